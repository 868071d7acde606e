"""DuckDB: views over a local or mounted directory in the object layout (`beacon ship --sink file`).

`read_json` with an explicit column list (types from schema 1.1), Hive partitioning on
`date`, gzip detected from the extension. `--root PATH` renders the directory into the
views; without it `tables.sql` keeps a `${BEACON_DATA_ROOT}` parameter.
"""

from __future__ import annotations

from beacon.forwarding.destination import Destination, EnvVar, PackOptions
from beacon.forwarding.dialect import (
    PARTITION,
    QUERY_FROM,
    QUERY_TO,
    TABLES,
    SqlDialect,
)

DATA_ROOT = EnvVar(
    "BEACON_DATA_ROOT",
    "Directory holding `runtime/` and `inventory/` (the `beacon ship --sink file` root).",
)


class DuckDBDialect(SqlDialect):
    """DuckDB ≥ 1.1: structs with quoted members, JSON for open objects, RE2 regexes."""

    name = "duckdb"
    title = "DuckDB"
    scalar_types = {
        "string": "VARCHAR",
        "integer": "BIGINT",
        "number": "DOUBLE",
        "boolean": "BOOLEAN",
    }
    open_object_type = "JSON"
    reserved = frozenset({"timestamp", "user", "date"})

    def struct(self, members: list[tuple[str, str]]) -> str:
        """`STRUCT("name" TYPE, …)`: members quoted, so dotted keys (`method.name`) stay as is."""
        return "STRUCT(" + ", ".join(f"{self.quote(n)} {t}" for n, t in members) + ")"

    def array(self, inner: str) -> str:
        """`TYPE[]`."""
        return f"{inner}[]"

    def root(self, options: PackOptions) -> str:
        """The data root as rendered into the views."""
        return options.data_root if options.data_root is not None else DATA_ROOT.ref

    def env(self, options: PackOptions) -> tuple[EnvVar, ...]:
        """`BEACON_DATA_ROOT` unless `--root` rendered the path."""
        return () if options.data_root is not None else (DATA_ROOT,)

    def create_statements(self, options: PackOptions) -> list[str]:
        """One `CREATE OR REPLACE VIEW` per stream over `<root>/<stream>/date=*/*.jsonl.gz`."""
        columns = self.columns()
        width = max(len(c.name) for c in columns) + 20
        lines = []
        for i, c in enumerate(columns):
            comma = "," if i < len(columns) - 1 else ""
            entry = f"    {self.literal(c.name)}: {self.literal(c.type)}{comma}"
            lines.append(f"{entry:<{width}} -- {c.description}")
        body = "\n".join(lines)
        statements = []
        for stream in options.streams:
            glob = f"{self.root(options)}/{stream}/{PARTITION}=*/*.jsonl.gz"
            statements.append(
                f"CREATE OR REPLACE VIEW {TABLES[stream]} AS\n"
                "SELECT *\n"
                "FROM read_json(\n"
                f"  {self.literal(glob)},\n"
                "  format = 'newline_delimited',\n"
                "  compression = 'gzip',\n"
                "  hive_partitioning = true,\n"
                f"  hive_types = {{'{PARTITION}': 'DATE'}},\n"
                "  -- A line that is not JSON reads as a row of NULLs (no timestamp, so every\n"
                "  -- windowed query skips it) instead of failing the whole scan.\n"
                "  ignore_errors = true,\n"
                "  columns = {\n"
                f"{body}\n"
                "  }\n"
                ")"
            )
        return statements

    def partition_column(self) -> str:
        """`date`, bare: the Hive partition reads as a DATE column."""
        return PARTITION

    def shift_day(self, day: EnvVar, days: int) -> str:
        """`CAST(DATE … ± INTERVAL n DAY AS DATE)`."""
        sign = "+" if days >= 0 else "-"
        return f"CAST(DATE {self.param(day)} {sign} INTERVAL {abs(days)} DAY AS DATE)"

    def json_text(self, expr: str, path: str) -> str:
        """`json_extract_string`."""
        return f"json_extract_string({expr}, {self.literal(path)})"

    def safe_cast(self, expr: str, type_: str) -> str:
        """`TRY_CAST`."""
        return f"TRY_CAST({expr} AS {type_})"

    def regex(self, expr: str, pattern: str) -> str:
        """`regexp_matches` (RE2, unanchored)."""
        return f"regexp_matches({expr}, {self.literal(pattern)})"

    def unnest_json_array(self, expr: str, path: str, alias: str) -> str:
        """`CROSS JOIN unnest(TRY_CAST(json_extract(…) AS JSON[]))`."""
        array = f"TRY_CAST(json_extract({expr}, {self.literal(path)}) AS JSON[])"
        return f"CROSS JOIN unnest({array}) AS {alias}_rows({alias})"


DIALECT = DuckDBDialect()


def destination_setup(options: PackOptions) -> str:
    """README section: where the data comes from and how to create the views."""
    root = DIALECT.root(options)
    return (
        "1. Ship each host into one directory with `beacon ship --sink file --root DIR`\n"
        "   (a share, NFS or SMB mount, or a synced folder), or mirror an S3/GCS prefix\n"
        "   (`aws s3 sync s3://BUCKET/PREFIX DIR`). The views read\n"
        f"   `{root}/runtime/date=*/*.jsonl.gz` and `{root}/inventory/date=*/*.jsonl.gz`.\n"
        "2. Create the views (DuckDB ≥ 1.1; once each stream has at least one object, because\n"
        "   `read_json` refuses a glob that matches nothing):\n\n"
        "   ```sh\n"
        + (
            "   duckdb fleet.duckdb < tables.sql\n"
            if options.data_root is not None
            else "   export BEACON_DATA_ROOT=/mnt/audit-share/beacon\n"
            "   envsubst '$BEACON_DATA_ROOT' < tables.sql | duckdb fleet.duckdb\n"
        )
        + "   ```\n\n"
        "3. Run the starter investigations for a window of UTC days:\n\n"
        "   ```sh\n"
        "   export BEACON_QUERY_FROM=2026-11-01 BEACON_QUERY_TO=2026-11-30\n"
        "   envsubst '$BEACON_QUERY_FROM $BEACON_QUERY_TO' < queries.sql | duckdb fleet.duckdb\n"
        "   ```\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Lay the sample events out as a tiny root, create the views, count both streams."""
    return (
        "command -v duckdb >/dev/null || { echo 'duckdb CLI not found (pip install duckdb-cli)'"
        " >&2; exit 1; }\n"
        'mkdir -p "$tmp/root/runtime/date=2026-05-11" "$tmp/root/inventory/date=2026-05-11"\n'
        'grep -v \'"inventory\\.\' "$PACK_DIR/sample-event.jsonl" | gzip -c \\\n'
        '  > "$tmp/root/runtime/date=2026-05-11/smoke-0000.jsonl.gz"\n'
        'grep \'"inventory\\.\' "$PACK_DIR/sample-event.jsonl" | gzip -c \\\n'
        '  > "$tmp/root/inventory/date=2026-05-11/smoke-0000.jsonl.gz"\n'
        'sed "s|'
        + DIALECT.root(options).replace("$", "\\$").replace("|", "\\|")
        + '|$tmp/root|g" "$PACK_DIR/tables.sql" > "$tmp/tables.sql"\n'
        'got="$(duckdb -noheader -csv "$tmp/smoke.duckdb" -c ".read $tmp/tables.sql" \\\n'
        '  -c "SELECT (SELECT count(*) FROM beacon_runtime WHERE event.action IS NOT NULL)'
        " || '/' || (SELECT count(*) FROM beacon_inventory WHERE event.action IS NOT NULL)\")\"\n"
        'want="$(grep -vc \'"inventory\\.\' "$PACK_DIR/sample-event.jsonl")/'
        '$(grep -c \'"inventory\\.\' "$PACK_DIR/sample-event.jsonl")"\n'
        '[ "$got" = "$want" ] || { echo "views returned $got rows, expected $want" >&2; exit 1; }\n'
        'echo "ok: beacon_runtime/beacon_inventory read $got sample events"\n'
    )


DESTINATION = Destination(
    name="duckdb",
    title="DuckDB",
    summary="Views beacon_runtime / beacon_inventory over a directory of shipped objects.",
    env=(DATA_ROOT, QUERY_FROM, QUERY_TO),
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    sql_dialect=DIALECT,
)
