"""Google BigQuery: external tables over the GCS layout with Hive partitioning on `date`.

GoogleSQL column names cannot hold dots, so an object with a dotted key (`mcp.method.name`,
`rpc.response.status_code`) is declared `JSON` as a whole rather than losing those keys;
every other closed object is a STRUCT. `require_hive_partition_filter` refuses a query
that would scan every day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon.forwarding.destination import Destination, EnvVar, PackOptions
from beacon.forwarding.destinations.gcs import BUCKET
from beacon.forwarding.dialect import (
    PARTITION,
    QUERY_FROM,
    QUERY_TO,
    TABLES,
    SqlDialect,
)

if TYPE_CHECKING:
    from beacon.schema.model import Field

PREFIX = EnvVar(
    "BEACON_GCS_PREFIX", "Object prefix the shipper writes under (`beacon ship`: `beacon`)."
)
PROJECT = EnvVar("BEACON_BQ_PROJECT", "Project that holds the dataset.")
DATASET = EnvVar(
    "BEACON_BQ_DATASET", "Dataset that holds the two tables (same location as the bucket)."
)
MAX_BAD_RECORDS = 1000
"""Lines that are not JSON a query may skip before it fails (a loud signal, not silent loss)."""

# GoogleSQL reserved keywords: these need backticks as column or member names.
_RESERVED = frozenset(
    {
        "all", "and", "any", "array", "as", "asc", "assert_rows_modified", "at", "between",
        "by", "case", "cast", "collate", "contains", "create", "cross", "cube", "current",
        "default", "define", "desc", "distinct", "else", "end", "enum", "escape", "except",
        "exclude", "exists", "extract", "false", "fetch", "following", "for", "from", "full",
        "group", "grouping", "groups", "hash", "having", "if", "ignore", "in", "inner",
        "intersect", "interval", "into", "is", "join", "lateral", "left", "like", "limit",
        "lookup", "merge", "natural", "new", "no", "not", "null", "nulls", "of", "on", "or",
        "order", "outer", "over", "partition", "preceding", "proto", "qualify", "range",
        "recursive", "respect", "right", "rollup", "rows", "select", "set", "some", "struct",
        "tablesample", "then", "to", "treat", "true", "unbounded", "union", "unnest", "using",
        "when", "where", "window", "with", "within",
        # not reserved, but quoted for readers used to other engines
        "timestamp", "date", "user",
    }
)  # fmt: skip


class BigQueryDialect(SqlDialect):
    """GoogleSQL: STRUCT/ARRAY types, JSON for open objects, RE2 regexes."""

    name = "bigquery"
    title = "Google BigQuery"
    scalar_types = {"string": "STRING", "integer": "INT64", "number": "FLOAT64", "boolean": "BOOL"}
    open_object_type = "JSON"
    reserved = _RESERVED

    def quote(self, name: str) -> str:
        """Backticks."""
        return f"`{name}`"

    def can_struct(self, field: Field) -> bool:
        """No dotted keys: a column name cannot hold a dot."""
        return all("." not in c.name for c in field.children)

    def struct(self, members: list[tuple[str, str]]) -> str:
        """`STRUCT<name TYPE, …>`."""
        return "STRUCT<" + ", ".join(f"{self.ident(n)} {t}" for n, t in members) + ">"

    def array(self, inner: str) -> str:
        """`ARRAY<TYPE>`."""
        return f"ARRAY<{inner}>"

    def literal(self, text: str) -> str:
        """GoogleSQL escapes quotes with a backslash."""
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def table(self, stream: str) -> str:
        """`` `${BEACON_BQ_PROJECT}.${BEACON_BQ_DATASET}.beacon_<stream>` ``."""
        return f"`{PROJECT.ref}.{DATASET.ref}.{TABLES[stream]}`"

    def env(self, options: PackOptions) -> tuple[EnvVar, ...]:
        """Bucket, prefix, project, dataset."""
        return (BUCKET, PREFIX, PROJECT, DATASET)

    def create_statements(self, options: PackOptions) -> list[str]:
        """One hive-partitioned external table per stream."""
        columns = self.aligned_columns(self.ident)
        statements = []
        for stream in options.streams:
            base = f"gs://{BUCKET.ref}/{PREFIX.ref}/{stream}"
            statements.append(
                f"CREATE OR REPLACE EXTERNAL TABLE {self.table(stream)} (\n"
                f"{columns}\n)\n"
                f"WITH PARTITION COLUMNS (\n  {self.ident(PARTITION)} DATE\n)\n"
                "OPTIONS (\n"
                "  format = 'NEWLINE_DELIMITED_JSON',\n"
                "  compression = 'GZIP',\n"
                f"  uris = ['{base}/*'],\n"
                f"  hive_partition_uri_prefix = '{base}',\n"
                "  require_hive_partition_filter = true,\n"
                "  ignore_unknown_values = true,\n"
                f"  max_bad_records = {MAX_BAD_RECORDS}\n"
                ")"
            )
        return statements

    def shift_day(self, day: EnvVar, days: int) -> str:
        """`DATE_ADD` / `DATE_SUB`, comparable with the DATE partition column."""
        shift = "DATE_ADD" if days >= 0 else "DATE_SUB"
        return f"{shift}(DATE {self.param(day)}, INTERVAL {abs(days)} DAY)"

    def day(self) -> str:
        """`SUBSTR(timestamp, 1, 10)`."""
        return f"SUBSTR({self.col('timestamp')}, 1, 10)"

    def json_text(self, expr: str, path: str) -> str:
        """`JSON_VALUE`."""
        return f"JSON_VALUE({expr}, {self.literal(path)})"

    def safe_cast(self, expr: str, type_: str) -> str:
        """`SAFE_CAST`."""
        return f"SAFE_CAST({expr} AS {type_})"

    def regex(self, expr: str, pattern: str) -> str:
        """`REGEXP_CONTAINS` with a raw string (RE2)."""
        return f"REGEXP_CONTAINS({expr}, r'{pattern}')"

    def starts_with(self, expr: str, prefix: str) -> str:
        """`STARTS_WITH`."""
        return f"STARTS_WITH({expr}, {prefix})"

    def unnest_json_array(self, expr: str, path: str, alias: str) -> str:
        """`CROSS JOIN UNNEST(JSON_QUERY_ARRAY(…))`."""
        return f"CROSS JOIN UNNEST(JSON_QUERY_ARRAY({expr}, {self.literal(path)})) AS {alias}"


DIALECT = BigQueryDialect()


def destination_setup(options: PackOptions) -> str:
    """README section: dataset, permissions, running tables.sql."""
    return (
        "1. Ship to GCS with `beacon ship --sink gcs` (objects `application/gzip`, no\n"
        "   `Content-Encoding`, read by BigQuery as they are) under\n"
        "   `gs://$BEACON_GCS_BUCKET/$BEACON_GCS_PREFIX/<stream>/date=YYYY-MM-DD/`.\n"
        "2. Create the dataset in the bucket's location: `bq mk --location=EU "
        "$BEACON_BQ_PROJECT:$BEACON_BQ_DATASET`.\n"
        "   Querying needs `roles/bigquery.dataViewer` + `roles/bigquery.jobUser`, and\n"
        "   `roles/storage.objectViewer` on the bucket for whoever runs the queries.\n"
        "3. Render and run `tables.sql`:\n\n"
        "   ```sh\n"
        "   export BEACON_GCS_BUCKET=my-audit-logs BEACON_GCS_PREFIX=beacon \\\n"
        "     BEACON_BQ_PROJECT=my-project BEACON_BQ_DATASET=beacon\n"
        "   envsubst '$BEACON_GCS_BUCKET $BEACON_GCS_PREFIX $BEACON_BQ_PROJECT "
        "$BEACON_BQ_DATASET' \\\n"
        "     < tables.sql | bq query --nouse_legacy_sql\n"
        "   ```\n\n"
        "4. `require_hive_partition_filter` is on: a query without a `date` predicate is\n"
        "   refused instead of billed for every day. Objects with a key that has dots\n"
        "   (`mcp`, `rpc`, `jsonrpc`, `network`) are JSON columns: `JSON_VALUE(mcp, '$.server')`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Count yesterday's and today's runtime events through `bq query`."""
    return (
        ': "${BEACON_BQ_PROJECT:?set BEACON_BQ_PROJECT}"\n'
        ': "${BEACON_BQ_DATASET:?set BEACON_BQ_DATASET}"\n'
        "bq query --nouse_legacy_sql --format=csv \\\n"
        '  "SELECT COUNT(*) FROM \\`$BEACON_BQ_PROJECT.$BEACON_BQ_DATASET.beacon_runtime\\` '
        'WHERE date >= DATE_SUB(CURRENT_DATE(), INTERVAL 1 DAY)" > "$tmp/count.csv"\n'
        'echo "ok: beacon_runtime has $(tail -n 1 "$tmp/count.csv") events since yesterday"\n'
    )


DESTINATION = Destination(
    name="bigquery",
    title="Google BigQuery",
    summary="External tables beacon_runtime / beacon_inventory over GCS, hive partitioning.",
    env=(BUCKET, PREFIX, PROJECT, DATASET, QUERY_FROM, QUERY_TO),
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    sql_dialect=DIALECT,
)
