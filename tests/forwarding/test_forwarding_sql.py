"""Query packs for Athena, BigQuery and DuckDB: every statement parses in its dialect (sqlglot),
the tables follow the schema model, every query prunes on `date`, parameters stay `${ENV}`."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.bigquery import BigQuery
from sqlglot.parsers.bigquery import BigQueryParser

from beacon.errors import UsageError
from beacon.forwarding.destination import PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.pack import build_pack, write_pack
from beacon.forwarding.queries import STARTER_QUERIES
from beacon.forwarding.renderers.sql import named_queries, statements, substitute
from beacon.schema import model as schema_model
from beacon.schema.model import EVENT_FIELDS, Field

SQL_DESTS = ["athena", "bigquery", "duckdb"]
PARAMS = {
    "BEACON_S3_BUCKET": "audit-bucket",
    "BEACON_S3_PREFIX": "beacon",
    "BEACON_ATHENA_DATABASE": "beacon_db",
    "BEACON_GCS_BUCKET": "audit-bucket",
    "BEACON_GCS_PREFIX": "beacon",
    "BEACON_BQ_PROJECT": "audit-project",
    "BEACON_BQ_DATASET": "beacon_ds",
    "BEACON_DATA_ROOT": "/srv/beacon",
    "BEACON_QUERY_FROM": "2026-11-01",
    "BEACON_QUERY_TO": "2026-11-30",
}


class _HiveBigQueryParser(BigQueryParser):
    """sqlglot's BigQuery parser plus `WITH PARTITION COLUMNS (…)`, the one clause of
    BigQuery's external-table DDL it lacks; the column list is parsed by sqlglot itself."""

    def _parse_with_property(self) -> Any:
        if self._match_text_seq("PARTITION", "COLUMNS"):
            return self.expression(exp.PartitionedByProperty(this=self._parse_schema()))
        return super()._parse_with_property()


class BigQueryHive(BigQuery):
    Parser = _HiveBigQueryParser


READ: dict[str, Any] = {"athena": "athena", "bigquery": BigQueryHive, "duckdb": "duckdb"}


def parse(dest: str, sql: str) -> exp.Expr:
    """Parse one statement strictly; a fallback to an opaque `Command` is a failure."""
    tree = sqlglot.parse_one(sql, read=READ[dest], error_level=sqlglot.ErrorLevel.RAISE)
    assert not isinstance(tree, exp.Command), f"{dest}: not really parsed:\n{sql[:300]}"
    return tree


def rendered(dest: str, options: PackOptions | None = None) -> tuple[list[str], dict[str, str]]:
    """(tables.sql statements, queries by name) with every parameter substituted."""
    pack = build_pack(dest, None, options or PackOptions())
    tables = statements(substitute(pack.files["tables.sql"], PARAMS))
    queries = {
        n: substitute(q, PARAMS) for n, q in named_queries(pack.files["queries.sql"]).items()
    }
    return tables, queries


def test_the_parser_rejects_broken_sql() -> None:
    """The parse check is not vacuous: bad SQL and unparsed DDL both fail it."""
    with pytest.raises(sqlglot.ParseError):
        parse("duckdb", "SELECT FROM WHERE (")
    with pytest.raises(AssertionError, match="not really parsed"):
        parse("athena", "CREATE OR REPLACE SOMETHING ODD beacon_runtime")


@pytest.mark.parametrize("dest", SQL_DESTS)
def test_every_generated_statement_parses_in_its_dialect(dest: str) -> None:
    """tables.sql and every starter query parse with sqlglot in the engine's dialect."""
    tables, queries = rendered(dest)
    creates = [parse(dest, s) for s in tables]
    assert sum(isinstance(c, exp.Create) for c in creates) == len(tables)
    names = [q.name for q in STARTER_QUERIES]
    assert list(queries) == names and len(names) >= 10
    for name, sql in queries.items():
        tree = parse(dest, sql)
        assert isinstance(tree, exp.Query), name
        if dest == "athena":  # Athena engine v3 runs queries as Trino SQL
            sqlglot.parse_one(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def test_members_of_json_columns_are_read_as_text() -> None:
    """BigQuery keeps `mcp` as JSON (dotted keys), so its members are read with JSON_VALUE
    (a JSON value cannot be grouped); struct engines use plain member access."""
    from beacon.forwarding.destinations import athena, bigquery, duckdb

    assert bigquery.DIALECT.col("mcp", "server") == "JSON_VALUE(mcp, '$.server')"
    assert bigquery.DIALECT.col("mcp", "method.name") == """JSON_VALUE(mcp, '$."method.name"')"""
    assert bigquery.DIALECT.col("tool", "name") == "tool.name"
    assert athena.DIALECT.col("mcp", "method.name") == "mcp.method_name"
    assert duckdb.DIALECT.col("mcp", "method.name") == 'mcp."method.name"'
    assert duckdb.DIALECT.col("user", "name") == '"user".name'


@pytest.mark.parametrize("dest", SQL_DESTS)
def test_every_query_prunes_on_the_date_partition(dest: str) -> None:
    """Each scan of a Beacon table has a `date` predicate in its WHERE (partition pruning)."""
    _, queries = rendered(dest)
    for name, sql in queries.items():
        tree = parse(dest, sql)
        scans = [
            select
            for select in tree.find_all(exp.Select)
            if any(t.name.startswith("beacon_") for t in select.args["from_"].find_all(exp.Table))
        ]
        assert scans, name
        for select in scans:
            where = select.args.get("where")
            assert where is not None, name
            columns = {c.name for c in where.find_all(exp.Column)}
            assert "date" in columns and "timestamp" in columns, name


def _top_columns(dest: str, create: exp.Expr) -> dict[str, exp.DataType]:
    schema = create.this
    assert isinstance(schema, exp.Schema)
    return {c.name: c.args["kind"] for c in schema.expressions if isinstance(c, exp.ColumnDef)}


def _members(kind: exp.DataType) -> list[str]:
    return [m.name for m in kind.expressions]


@pytest.mark.parametrize("dest", ["athena", "bigquery"])
def test_table_columns_follow_schema_1_1_with_nested_structs(dest: str) -> None:
    """One column per top-level field; closed objects are structs with the model's members."""
    tables, _ = rendered(dest)
    create = next(parse(dest, s) for s in tables if "beacon_runtime" in s)
    columns = _top_columns(dest, create)
    assert list(columns) == [f.name for f in EVENT_FIELDS]
    by_name = {f.name: f for f in EVENT_FIELDS}
    assert _members(columns["event"]) == [c.name for c in by_name["event"].children]
    assert columns["event"].this == exp.DType.STRUCT
    truncations = next(m for m in columns["content"].expressions if m.name == "truncations")
    assert truncations.args["kind"].this == exp.DType.ARRAY
    assert columns["command"].expressions[1].args["kind"].this == exp.DType.BIGINT
    open_type = exp.DType.TEXT if dest == "athena" else exp.DType.JSON
    assert columns["gen_ai"].this == open_type and columns["raw"].this == open_type
    if dest == "athena":  # OpenX `dots.in.keys`: `method.name` is read as `method_name`
        assert "method_name" in _members(columns["mcp"])
    else:  # GoogleSQL names cannot hold dots: such objects stay whole, as JSON
        assert columns["mcp"].this == exp.DType.JSON
        assert columns["tool"].this == exp.DType.STRUCT


def test_duckdb_view_columns_follow_schema_1_1() -> None:
    """The `columns` of read_json list every top-level field with a nested STRUCT type."""
    tables, _ = rendered("duckdb")
    view = parse("duckdb", tables[0])
    struct = max(view.find_all(exp.Struct), key=lambda s: len(s.expressions))
    columns = {p.name: p.args["expression"].name for p in struct.expressions}  # type: ignore[union-attr]
    assert list(columns) == [f.name for f in EVENT_FIELDS]
    assert (
        columns["mcp"].startswith('STRUCT("server" VARCHAR') and '"method.name"' in columns["mcp"]
    )
    assert columns["content"].endswith('"dropped_fields" VARCHAR[])')
    assert columns["gen_ai"] == "JSON"


def test_types_are_generated_from_the_schema_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field added to the model appears in every engine's DDL with its own type."""
    extra = Field(
        "sandbox",
        "object",
        "Sandbox the agent ran in.",
        children=(Field("profile", "string", "Profile."), Field("level", "integer", "Level.")),
    )
    monkeypatch.setattr(schema_model, "EVENT_FIELDS", (*EVENT_FIELDS, extra))
    text = {d: build_pack(d, None, PackOptions()).files["tables.sql"] for d in SQL_DESTS}
    assert re.search(r"`sandbox` +struct<profile:string,level:bigint>  -- Sandbox", text["athena"])
    assert re.search(r"sandbox +STRUCT<profile STRING, level INT64>  -- Sandbox", text["bigquery"])
    assert """'sandbox': 'STRUCT("profile" VARCHAR, "level" BIGINT)'""" in text["duckdb"]


def test_athena_tables_use_openx_and_partition_projection_on_date() -> None:
    """OpenX SerDe with dots.in.keys; date projection, no crawler; location from parameters."""
    pack = build_pack("athena", None, PackOptions())
    text = pack.files["tables.sql"]
    assert "CREATE DATABASE IF NOT EXISTS ${BEACON_ATHENA_DATABASE};" in text
    assert "LOCATION 's3://${BEACON_S3_BUCKET}/${BEACON_S3_PREFIX}/runtime/'" in text
    tables, _ = rendered("athena")
    create = parse("athena", tables[1])
    props = {
        p.name: p.text("value") for p in create.find_all(exp.Property) if p.name.startswith("proj")
    }
    assert props == {
        "projection.enabled": "true",
        "projection.date.type": "date",
        "projection.date.format": "yyyy-MM-dd",
        "projection.date.range": "2025-01-01,NOW+1DAYS",
        "projection.date.interval": "1",
        "projection.date.interval.unit": "DAYS",
    }
    serde = create.find(exp.RowFormatSerdeProperty)
    assert serde is not None and serde.text("this") == "org.openx.data.jsonserde.JsonSerDe"
    assert "'dots.in.keys' = 'true'" in text and "'ignore.malformed.json' = 'true'" in text
    partitioned = create.find(exp.PartitionedByProperty)
    assert partitioned is not None and [c.name for c in partitioned.this.expressions] == ["date"]


def test_bigquery_tables_are_hive_partitioned_external_tables_over_gcs() -> None:
    """WITH PARTITION COLUMNS (date DATE), the GCS prefix as parameters, a required filter."""
    text = build_pack("bigquery", None, PackOptions()).files["tables.sql"]
    assert (
        "CREATE OR REPLACE EXTERNAL TABLE "
        "`${BEACON_BQ_PROJECT}.${BEACON_BQ_DATASET}.beacon_inventory`" in text
    )
    tables, _ = rendered("bigquery")
    create = parse("bigquery", tables[0])
    options = {p.name: p.args["value"] for p in create.find_all(exp.Property) if "value" in p.args}
    assert options["hive_partition_uri_prefix"].name == "gs://audit-bucket/beacon/runtime"
    assert options["uris"].expressions[0].name == "gs://audit-bucket/beacon/runtime/*"
    assert options["require_hive_partition_filter"].this is True
    partitioned = create.find(exp.PartitionedByProperty)
    assert partitioned is not None
    (date,) = partitioned.this.expressions
    assert date.name == "date" and date.args["kind"].this == exp.DType.DATE


@pytest.mark.parametrize("dest", SQL_DESTS)
def test_storage_names_are_parameters_never_literals(dest: str) -> None:
    """Buckets, prefixes, projects, datasets and the root appear only as `${NAME}`."""
    pack = build_pack(dest, None, PackOptions(prefix="corp"))
    text = pack.files["tables.sql"] + pack.files["queries.sql"]
    assert "corp" not in text and "s3://beacon" not in text and "gs://beacon" not in text
    expected = {
        "athena": ["BEACON_S3_BUCKET", "BEACON_S3_PREFIX", "BEACON_ATHENA_DATABASE"],
        "bigquery": ["BEACON_GCS_BUCKET", "BEACON_GCS_PREFIX", "BEACON_BQ_PROJECT"],
        "duckdb": ["BEACON_DATA_ROOT"],
    }[dest]
    for name in [*expected, "BEACON_QUERY_FROM", "BEACON_QUERY_TO"]:
        assert "${" + name + "}" in text
        assert f"`{name}`" in pack.files["README.md"]
    with pytest.raises(UsageError, match="BEACON_QUERY_FROM"):
        substitute(pack.files["queries.sql"], {})


def test_duckdb_root_renders_the_path_into_the_views(tmp_path: Path) -> None:
    """`--root` writes the directory into tables.sql; no `${BEACON_DATA_ROOT}` remains."""
    root = str(tmp_path / "fleet's share")
    pack = build_pack("duckdb", None, PackOptions(data_root=root))
    text = pack.files["tables.sql"]
    assert "${BEACON_DATA_ROOT}" not in text
    assert f"'{root.replace(chr(39), chr(39) * 2)}/runtime/date=*/*.jsonl.gz'" in text
    for statement in statements(text):
        parse("duckdb", statement)
    assert shlex.split(text.splitlines()[1].lstrip("- "))[-2:] == ["--root", root]


def test_streams_option_limits_tables_and_queries() -> None:
    """`--streams runtime` creates one view and leaves out the inventory queries."""
    pack = build_pack("duckdb", None, PackOptions(streams=("runtime",)))
    assert "beacon_inventory" not in pack.files["tables.sql"]
    names = set(named_queries(pack.files["queries.sql"]))
    assert "mcp_servers_fleet" not in names and "commands_per_host_day" in names


def test_cli_generates_query_packs_and_refuses_misplaced_options(tmp_path: Path) -> None:
    """`forward generate --dest duckdb --root` works; --prefix and --root are refused where
    they do not apply; `forward list` shows the engines under `sql`."""
    import argparse
    import json

    from beacon.forwarding import cli

    def run(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(prog="beacon")
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(argv)
        return int(args.func(args))

    out = tmp_path / "duck"
    assert (
        run(["forward", "generate", "--dest", "duckdb", "--root", "/srv/x", "--output", str(out)])
        == 0
    )
    assert "'/srv/x/runtime/date=*/*.jsonl.gz'" in (out / "tables.sql").read_text()
    assert {p.name for p in out.iterdir()} >= {"tables.sql", "queries.sql", "README.md"}
    with pytest.raises(UsageError, match="--prefix does not apply"):
        run(["forward", "generate", "--dest", "athena", "--prefix", "x", "--output", str(out)])
    with pytest.raises(UsageError, match="--root applies to --dest duckdb only"):
        run(["forward", "generate", "--dest", "bigquery", "--root", "/x", "--output", str(out)])
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert run(["forward", "list", "--json"]) == 0
    shippers = {d["name"]: d["shippers"] for d in json.loads(buf.getvalue())["destinations"]}
    assert shippers["athena"] == shippers["bigquery"] == shippers["duckdb"] == ["sql"]


def test_duckdb_smoke_test_script_reads_the_sample_events(tmp_path: Path) -> None:
    """The pack's smoke-test.sh, run with the real duckdb CLI, reads back every sample event."""
    duckdb_cli = shutil.which("duckdb") or shutil.which(
        "duckdb", path=str(Path(sys.executable).parent)
    )
    if duckdb_cli is None:
        pytest.skip("duckdb CLI not installed (pip install duckdb-cli; the test extra has it)")
    for options in (PackOptions(), PackOptions(data_root="/srv/beacon")):
        out = tmp_path / ("root" if options.data_root else "param")
        write_pack(build_pack("duckdb", None, options), out)
        env = {**os.environ, "PATH": f"{Path(duckdb_cli).parent}:{os.environ['PATH']}"}
        done = subprocess.run(
            ["bash", str(out / "smoke-test.sh")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "ok: beacon_runtime/beacon_inventory read 4/2 sample events" in done.stdout


def test_destinations_register_the_sql_engines() -> None:
    """The three engines are destinations with a dialect, listed after the forwarders."""
    assert [n for n, d in DESTINATIONS.items() if d.sql_dialect is not None] == SQL_DESTS


def test_docs_fleet_lists_every_query_engine_and_parameter() -> None:
    """docs/fleet.md embeds the current query table, a section per engine and every
    parameter the packs read; the README links it."""
    from beacon.forwarding.queries import queries_markdown

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs/fleet.md").read_text()
    assert queries_markdown() in doc
    for heading in ("## DuckDB", "## Amazon Athena", "## Google BigQuery"):
        assert heading in doc
    for dest in SQL_DESTS:
        for var in DESTINATIONS[dest].env:
            assert f"`{var.name}`" in doc or var.name in doc, var.name
    assert "docs/fleet.md" in (root / "README.md").read_text()
