"""The DuckDB pack end to end: ship with `beacon ship --sink file`, create the views with the
`duckdb` package, and every starter query returns what Python computes from the source lines.

Two data sets: the recorded runtime fixtures (golden normalized events of Claude Code, Codex
and Gemini CLI, one host each) and a generated fleet of one million events (slow).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb", reason="duckdb is in the `fleet` extra that `all` includes")

import fleetlog  # noqa: E402

from beacon.forwarding.queries import STARTER_QUERIES  # noqa: E402
from beacon.forwarding.renderers.sql import named_queries, statements, substitute  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests/collector/golden"
NAMES = [q.name for q in STARTER_QUERIES]


def beacon(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the `beacon` CLI in a child with a temporary HOME."""
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "beacon"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=home,
    )


def ship(log_dirs: list[Path], root: Path, work: Path) -> None:
    """Ship each host's logs into `root` with `beacon ship --sink file --once`."""
    for log_dir in log_dirs:
        done = beacon(
            "ship", "--sink", "file", "--root", str(root), "--log-dir", str(log_dir),
            "--state-dir", str(work / "state" / log_dir.name), "--host", log_dir.name,
            "--once", "--metrics-address", "off",
            home=work,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def generate_pack(root: Path, work: Path) -> Path:
    """`beacon forward generate --dest duckdb --root ROOT` into a fresh directory."""
    out = work / "duckdb-pack"
    done = beacon(
        "forward", "generate", "--dest", "duckdb", "--root", str(root), "--output", str(out),
        home=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


class Fleet:
    """Views over a shipped root, the pack's queries, and the Python reference."""

    def __init__(self, pack: Path, window: tuple[str, str], reference: dict[str, Any]) -> None:
        self.con = duckdb.connect()
        for statement in statements((pack / "tables.sql").read_text()):
            self.con.execute(statement)
        params = {"BEACON_QUERY_FROM": window[0], "BEACON_QUERY_TO": window[1]}
        text = (pack / "queries.sql").read_text()
        self.queries = {n: substitute(q, params) for n, q in named_queries(text).items()}
        self.reference = reference

    def run(self, name: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.con.sql(self.queries[name]).fetchall()]

    def scalar(self, sql: str) -> Any:
        ((value,),) = self.con.execute(sql).fetchall()
        return value


def _norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def assert_same(name: str, got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    """Rows equal (floats to 1e-6 of a dollar); order too for the query with a LIMIT."""
    if name == "top_commands":
        assert [_norm(r) for r in got] == [_norm(r) for r in want]
        return
    key = repr
    assert sorted(map(_norm, got), key=key) == sorted(map(_norm, want), key=key), name


# -- the recorded fixtures ---------------------------------------------------------------

_FIXTURE_HOSTS = {"claude-code": "ws-claude", "codex": "ws-codex", "gemini-cli": "ws-gemini"}
INVENTORY_HOME = REPO / "tests" / "fixtures" / "inventory" / "realistic"


def _inventory(log_dir: Path, host: str, work: Path) -> None:
    """`beacon inventory --write-event` on a copy of the realistic fixture home, as `host`:
    ws-codex with a small event cap (a snapshot in parts), ws-gemini without Cursor's MCP
    file (fewer servers)."""
    endpoint = work / "endpoints" / host
    shutil.copytree(INVENTORY_HOME, endpoint)
    config = f'[endpoint]\nhostname = "{host}"\n'
    if host == "ws-codex":
        config += "[limits]\nmax_event_bytes = 8192\n"
    if host == "ws-gemini":
        (endpoint / "home" / ".cursor" / "mcp.json").unlink()
    (endpoint / "beacon.toml").write_text(config)
    env = {
        "HOME": str(endpoint / "home"),
        "PATH": "/usr/bin:/bin",
        "BEACON_CONFIG": str(endpoint / "beacon.toml"),
        "BEACON_STATE_DIR": str(endpoint / "state"),
        "BEACON_INVENTORY_SYSTEM_ROOT": str(endpoint / "system"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "inventory",
            "--write-event",
            "--log-dir",
            str(log_dir),
        ],
        cwd=endpoint / "project",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _fixture_logs(directory: Path) -> list[Path]:
    """The golden events of each runtime as one host's runtime.jsonl (with the endpoint,
    user and event id the collector's enrich step adds), plus that host's real inventory."""
    dirs = []
    seq = 0
    for prefix, host in _FIXTURE_HOSTS.items():
        log_dir = directory / "logs" / host
        log_dir.mkdir(parents=True)
        dirs.append(log_dir)
        lines = []
        for path in sorted(GOLDEN.glob(f"{prefix}-*/*.jsonl")):
            for line in path.read_text().splitlines():
                event = json.loads(line)
                seq += 1
                event["event"]["id"] = f"0197b1f0-0000-7000-8000-{seq:012d}"
                event["event"]["created"] = event["timestamp"]
                event["endpoint"] = {"hostname": host, "os": "linux"}
                event["user"] = {"name": f"dev-{prefix}"}
                lines.append(json.dumps(event, separators=(",", ":")))
        (log_dir / "runtime.jsonl").write_text("\n".join(lines) + "\n")
        _inventory(log_dir, host, directory)
    return dirs


@pytest.fixture(scope="module")
def fixture_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path]]:
    """The recorded fixtures shipped into a root, with views and the Python reference."""
    work = tmp_path_factory.mktemp("fixture-fleet")
    logs = _fixture_logs(work)
    root = work / "root"
    root.mkdir()
    ship(logs, root, work)
    # the recorded sessions are of 2026-11-22; the inventory was just taken
    window = ("2026-11-22", datetime.now(UTC).strftime("%Y-%m-%d"))
    fleet = Fleet(generate_pack(root, work), window, fleetlog.expected(logs, window))
    yield fleet, root
    fleet.con.close()


@pytest.mark.parametrize("name", NAMES)
def test_recorded_fixtures_every_query_matches_python(
    fixture_fleet: tuple[Fleet, Path], name: str
) -> None:
    """Over the shipped recorded fixtures, the query returns Python's rows."""
    fleet, _ = fixture_fleet
    assert_same(name, fleet.run(name), fleet.reference[name])


def test_recorded_fixtures_answer_the_usual_questions(fixture_fleet: tuple[Fleet, Path]) -> None:
    """The fixtures are not empty results: commands, tokens, runtimes, prompts, inventory."""
    fleet, _ = fixture_fleet
    commands = {row[1]: row[2] for row in fleet.run("commands_per_host_day")}
    assert commands == {"ws-claude": 3, "ws-codex": 2, "ws-gemini": 1}
    # one Claude record (content flags off) carries no command text
    assert fleet.run("top_commands") == [("echo BEACON_MARKER", 5, 3, 3)]
    tokens = {(r[1], r[2]): r[4] for r in fleet.run("token_cost_by_user")}
    assert tokens[("codex_cli", "gpt-5.5-fake")] == 120
    assert {r[0] for r in fleet.run("harness_versions")} == {
        "claude_code",
        "codex_cli",
        "gemini_cli",
    }
    servers = {
        (name, transport): hosts for name, transport, hosts in fleet.run("mcp_servers_fleet")
    }
    assert len(servers) >= 20 and servers[("github", "http")] == 3
    assert 2 in servers.values()  # ws-gemini has no Cursor MCP file
    parts = fleet.scalar(
        "SELECT max(TRY_CAST(json_extract_string(raw, '$.inventory.parts') AS INT)) "
        "FROM beacon_inventory WHERE endpoint.hostname = 'ws-codex'"
    )
    assert parts > 1, "ws-codex's snapshot should come in parts"
    assert len(fleet.run("prompts_per_user_day")) == 3
    assert [r[:2] for r in sorted(fleet.run("inventory_heartbeats"))] == [
        ("ws-claude", 1),
        ("ws-codex", 1),
        ("ws-gemini", 1),
    ]


def test_each_line_is_in_the_views_exactly_once(fixture_fleet: tuple[Fleet, Path]) -> None:
    """The views see every shipped line once: event ids are unique and all present."""
    fleet, root = fixture_fleet
    ids = fleet.con.sql("SELECT event.id FROM beacon_runtime").fetchall()
    shipped = [
        json.loads(line)["event"]["id"]
        for path in root.glob("runtime/date=*/*.jsonl.gz")
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]
    assert len(ids) == len(shipped) == 308 and len({i for (i,) in ids}) == 308


def test_queries_read_only_the_window_partitions(fixture_fleet: tuple[Fleet, Path]) -> None:
    """A corrupt object in a day outside the window breaks a full scan but no starter query:
    the `date` predicate prunes its partition before DuckDB opens it."""
    fleet, root = fixture_fleet
    poison = root / "runtime" / "date=2026-01-01" / "poison.jsonl.gz"
    poison.parent.mkdir(parents=True)
    poison.write_bytes(b"definitely not gzip")
    try:
        with pytest.raises(duckdb.Error):
            fleet.con.sql("SELECT count(*) FROM beacon_runtime").fetchall()
        for name in NAMES:
            fleet.run(name)
    finally:
        poison.unlink()
        poison.parent.rmdir()


# -- a generated fleet of one million events --------------------------------------------


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """1,000,000 runtime events over six hosts and eight days, shipped and referenced."""
    work = tmp_path_factory.mktemp("million")
    logs = fleetlog.write_fleet(work / "logs", 1_000_000)
    root = work / "root"
    root.mkdir()
    ship(logs, root, work)
    fleet = Fleet(
        generate_pack(root, work), fleetlog.WINDOW, fleetlog.expected(logs, fleetlog.WINDOW)
    )
    lines = sum(1 for d in logs for _ in (d / "runtime.jsonl").open("rb"))
    fleet.reference["_lines"] = [(lines,)]
    yield fleet
    fleet.con.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_million_events_every_query_matches_python(million: Fleet, name: str) -> None:
    """Over one million shipped events, the query returns Python's rows, and not none."""
    want = million.reference[name]
    assert want, f"the generated fleet gives {name} nothing to find"
    assert_same(name, million.run(name), want)


@pytest.mark.slow
def test_million_events_shipped_once_and_late_events_counted(million: Fleet) -> None:
    """Every line is in the views once (malformed lines as empty rows); late events that sit
    in the next day's partition are still counted for their own day."""
    total = million.scalar("SELECT count(*) FROM beacon_runtime")
    assert total == million.reference["_lines"][0][0]
    unique = million.scalar(
        "SELECT count(DISTINCT event.id) FROM beacon_runtime WHERE event.id IS NOT NULL"
    )
    assert unique == total - 3  # the three lines that are not JSON
    day = 'CAST(substr("timestamp", 1, 10) AS DATE)'
    assert million.scalar(f"SELECT count(*) FROM beacon_runtime WHERE {day} < date") > 0
    early = million.scalar(f"SELECT count(*) FROM beacon_runtime WHERE {day} > date")
    assert early == 0, "an object holds an event dated after its partition"
