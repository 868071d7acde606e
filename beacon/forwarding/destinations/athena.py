"""Amazon Athena: external tables over the S3 layout, partition projection on `date`.

OpenX JSON SerDe, because Beacon keeps some keys with dots in them (`mcp.method.name`) and
only OpenX can map them (`dots.in.keys` → `method_name`). Partition projection computes the
`date=YYYY-MM-DD/` locations from the query's predicate: no crawler, no `MSCK REPAIR`.
"""

from __future__ import annotations

from beacon.forwarding.destination import Destination, EnvVar, PackOptions
from beacon.forwarding.destinations.s3 import BUCKET
from beacon.forwarding.dialect import (
    PARTITION,
    QUERY_FROM,
    QUERY_TO,
    TABLES,
    SqlDialect,
)

PREFIX = EnvVar(
    "BEACON_S3_PREFIX", "Key prefix the shipper writes under (`beacon ship`: `beacon`)."
)
DATABASE = EnvVar("BEACON_ATHENA_DATABASE", "Glue database that holds the two tables.")
OUTPUT = EnvVar("BEACON_ATHENA_OUTPUT", "s3:// location for query results (smoke test).")
WORKGROUP = EnvVar("BEACON_ATHENA_WORKGROUP", "Athena workgroup (smoke test).", default="primary")
PROJECTION_START = "2025-01-01"
"""First projected day; queries never look before it (widen it for older data)."""

# Hive DDL keywords that may not be bare names (Athena's reserved-keyword list, the ones a
# column or struct member could plausibly be called).
_DDL_RESERVED = frozenset(
    {
        "all", "alter", "and", "array", "as", "between", "bigint", "binary", "boolean", "both",
        "by", "case", "cast", "char", "column", "commit", "conf", "constraint", "create",
        "cross", "cube", "current", "cursor", "database", "date", "decimal", "delete",
        "describe", "distinct", "double", "drop", "else", "end", "exchange", "exists",
        "extended", "external", "extract", "false", "fetch", "float", "following", "for",
        "from", "full", "function", "grant", "group", "grouping", "having", "if", "import",
        "in", "inner", "insert", "int", "integer", "intersect", "interval", "into", "is",
        "join", "lateral", "left", "less", "like", "local", "macro", "map", "more", "none",
        "not", "null", "numeric", "of", "on", "only", "or", "order", "out", "outer", "over",
        "partition", "percent", "preceding", "precision", "primary", "procedure", "range",
        "reads", "reduce", "references", "regexp", "revoke", "right", "rlike", "rollback",
        "rollup", "row", "rows", "select", "set", "smallint", "start", "table", "tablesample",
        "then", "time", "timestamp", "to", "transform", "trigger", "true", "truncate",
        "unbounded", "union", "uniquejoin", "update", "user", "using", "values", "varchar",
        "views", "when", "where", "window", "with",
    }
)  # fmt: skip


class AthenaDialect(SqlDialect):
    """Athena engine v3: Hive DDL (backticks) for tables, Trino SQL for queries."""

    name = "athena"
    title = "Amazon Athena"
    scalar_types = {
        "string": "string",
        "integer": "bigint",
        "number": "double",
        "boolean": "boolean",
    }
    open_object_type = "string"  # the JSON text; query it with json_extract_scalar
    reserved = frozenset({"timestamp", "user", "date"})

    def member(self, key: str) -> str:
        """`dots.in.keys`: the SerDe reads `method.name` as `method_name`."""
        return key.replace(".", "_")

    def _ddl_name(self, name: str) -> str:
        return f"`{name}`" if name.lower() in _DDL_RESERVED else name

    def struct(self, members: list[tuple[str, str]]) -> str:
        """`struct<name:type,…>` (reserved member names in backticks)."""
        return "struct<" + ",".join(f"{self._ddl_name(n)}:{t}" for n, t in members) + ">"

    def array(self, inner: str) -> str:
        """`array<type>`."""
        return f"array<{inner}>"

    def table(self, stream: str) -> str:
        """Queries name `${BEACON_ATHENA_DATABASE}.beacon_<stream>`."""
        return f"{DATABASE.ref}.{TABLES[stream]}"

    def env(self, options: PackOptions) -> tuple[EnvVar, ...]:
        """Bucket, prefix and database."""
        return (BUCKET, PREFIX, DATABASE)

    def create_statements(self, options: PackOptions) -> list[str]:
        """The database, then one projected external table per stream."""
        columns = self.aligned_columns(lambda name: f"`{name}`")
        statements = [f"CREATE DATABASE IF NOT EXISTS {DATABASE.ref}"]
        for stream in options.streams:
            location = f"s3://{BUCKET.ref}/{PREFIX.ref}/{stream}/"
            statements.append(
                f"CREATE EXTERNAL TABLE IF NOT EXISTS {self.table(stream)} (\n"
                f"{columns}\n)\n"
                f"PARTITIONED BY (`{PARTITION}` string)\n"
                "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
                "WITH SERDEPROPERTIES (\n"
                "  'ignore.malformed.json' = 'true',\n"
                "  'dots.in.keys' = 'true'\n"
                ")\n"
                "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n"
                "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
                f"LOCATION '{location}'\n"
                "TBLPROPERTIES (\n"
                "  'projection.enabled' = 'true',\n"
                f"  'projection.{PARTITION}.type' = 'date',\n"
                f"  'projection.{PARTITION}.format' = 'yyyy-MM-dd',\n"
                f"  'projection.{PARTITION}.range' = '{PROJECTION_START},NOW+1DAYS',\n"
                f"  'projection.{PARTITION}.interval' = '1',\n"
                f"  'projection.{PARTITION}.interval.unit' = 'DAYS'\n"
                ")"
            )
        return statements

    def shift_day(self, day: EnvVar, days: int) -> str:
        """`date_format(date_add(…))`: the projected `date` is a string (it sorts as a date)."""
        return f"date_format(date_add('day', {days}, DATE {self.param(day)}), '%Y-%m-%d')"

    def json_text(self, expr: str, path: str) -> str:
        """`json_extract_scalar` over the JSON text."""
        return f"json_extract_scalar({expr}, {self.literal(path)})"

    def safe_cast(self, expr: str, type_: str) -> str:
        """`try_cast`."""
        return f"try_cast({expr} AS {type_})"

    def regex(self, expr: str, pattern: str) -> str:
        """`regexp_like` (Java regex, unanchored)."""
        return f"regexp_like({expr}, {self.literal(pattern)})"

    def unnest_json_array(self, expr: str, path: str, alias: str) -> str:
        """`CROSS JOIN UNNEST(try_cast(json_extract(…) AS array(json)))`."""
        array = f"try_cast(json_extract({expr}, {self.literal(path)}) AS array(json))"
        return f"CROSS JOIN UNNEST({array}) AS {alias}_rows({alias})"


DIALECT = AthenaDialect()


def destination_setup(options: PackOptions) -> str:
    """README section: objects, IAM, running tables.sql."""
    return (
        "1. Ship to S3 with `beacon ship --sink s3` or the `s3` Vector pack: objects land under\n"
        "   `s3://$BEACON_S3_BUCKET/$BEACON_S3_PREFIX/<stream>/date=YYYY-MM-DD/`.\n"
        "2. The querying role needs `s3:GetObject` and `s3:ListBucket` on that prefix, Glue\n"
        "   `CreateDatabase`/`CreateTable`/`GetTable`, and write access to the Athena results\n"
        "   location of its workgroup.\n"
        "3. Render and run the statements of `tables.sql` (the console runs one at a time):\n\n"
        "   ```sh\n"
        "   export BEACON_S3_BUCKET=my-audit-logs BEACON_S3_PREFIX=beacon "
        "BEACON_ATHENA_DATABASE=beacon\n"
        "   envsubst '$BEACON_S3_BUCKET $BEACON_S3_PREFIX $BEACON_ATHENA_DATABASE' \\\n"
        "     < tables.sql > tables.rendered.sql\n"
        "   ```\n\n"
        "   Name the variables: a bare `envsubst` also blanks anything else that looks like\n"
        "   `$name`. Partition projection covers "
        f"`{PROJECTION_START}` to tomorrow; no crawler or\n"
        "   `MSCK REPAIR TABLE` is needed as days are added.\n"
        "4. Every starter query filters on `date`, so Athena reads (and bills) only the days in\n"
        "   the window plus one day each side.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Count yesterday's and today's runtime events through Athena."""
    return (
        ': "${BEACON_ATHENA_DATABASE:?set BEACON_ATHENA_DATABASE}"\n'
        ': "${BEACON_ATHENA_OUTPUT:?set BEACON_ATHENA_OUTPUT (s3://bucket/athena-results/)}"\n'
        'since="$(date -u -d yesterday +%F 2>/dev/null || date -u -v-1d +%F)"\n'
        'sql="SELECT count(*) FROM $BEACON_ATHENA_DATABASE.beacon_runtime '
        'WHERE \\"date\\" >= \'$since\'"\n'
        'id="$(aws athena start-query-execution --query-string "$sql" \\\n'
        '  --work-group "${BEACON_ATHENA_WORKGROUP:-primary}" \\\n'
        '  --result-configuration "OutputLocation=$BEACON_ATHENA_OUTPUT" \\\n'
        '  --query QueryExecutionId --output text)"\n'
        "for _ in $(seq 60); do\n"
        '  state="$(aws athena get-query-execution --query-execution-id "$id" \\\n'
        '    --query QueryExecution.Status.State --output text)"\n'
        '  case "$state" in SUCCEEDED) break ;; FAILED|CANCELLED) echo "query $state" >&2; '
        "exit 1 ;; esac\n"
        "  sleep 2\n"
        "done\n"
        '[ "$state" = SUCCEEDED ] || { echo "query still $state after 120 s" >&2; exit 1; }\n'
        'count="$(aws athena get-query-results --query-execution-id "$id" \\\n'
        "  --query 'ResultSet.Rows[1].Data[0].VarCharValue' --output text)\"\n"
        'echo "ok: beacon_runtime has $count events since $since"\n'
    )


DESTINATION = Destination(
    name="athena",
    title="Amazon Athena",
    summary="External tables beacon_runtime / beacon_inventory over S3, partition projection.",
    env=(BUCKET, PREFIX, DATABASE, QUERY_FROM, QUERY_TO, OUTPUT, WORKGROUP),
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    sql_dialect=DIALECT,
)
