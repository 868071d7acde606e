"""Fleet queries: DuckDB over the shipped layout beside a plain Python scan of the same objects.

Generates a fleet (default 1,000,000 runtime events over six hosts and eight days, the
generator of the end-to-end test), ships it with `beacon ship --sink file`, creates the
DuckDB pack's views and times two questions over a six-day window, and the first over one
day (partition pruning reads three days of objects instead of eight):

- text filter: events whose command line contains `terraform`;
- group-by: events per host and action.

The baseline, in the same run, reads the same `.jsonl.gz` objects with gzip + orjson and
answers the same questions in Python (what a `beacon logs`-style reader does per line);
both must return the same answer. Rounds alternate and the table shows medians.
Run: `.venv/bin/python benchmarks/fleet.py [--events 1000000] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "fleet")]

import duckdb  # noqa: E402
import fleetlog  # noqa: E402
import orjson  # noqa: E402

from beacon.forwarding.destination import PackOptions  # noqa: E402
from beacon.forwarding.destinations.duckdb import DIALECT as DUCKDB_DIALECT  # noqa: E402
from beacon.forwarding.pack import build_pack  # noqa: E402
from beacon.forwarding.renderers.sql import statements, substitute  # noqa: E402

BASELINE = "python (gzip + orjson)"
DUCKDB = f"duckdb {duckdb.__version__} (python package)"
CLI = shutil.which("duckdb") or shutil.which("duckdb", path=str(Path(sys.executable).parent))

NEEDLE = "terraform"
CASES = [  # (question, first day, last day)
    ("text filter", *fleetlog.WINDOW),
    ("group-by", *fleetlog.WINDOW),
    ("text filter", "2026-11-23", "2026-11-23"),
]


def _window(lo: str, hi: str) -> str:
    """The pack's own window predicate (partition range with slack, then each timestamp)."""
    return substitute(DUCKDB_DIALECT.window(), {"BEACON_QUERY_FROM": lo, "BEACON_QUERY_TO": hi})


def _sql(question: str, lo: str, hi: str) -> str:
    if question == "text filter":
        return (
            f"SELECT count(*) FROM beacon_runtime WHERE {_window(lo, hi)} "
            f"AND contains(command.command, '{NEEDLE}')"
        )
    return (
        "SELECT endpoint.hostname, event.action, count(*) FROM beacon_runtime "
        f"WHERE {_window(lo, hi)} GROUP BY 1, 2"
    )


def ship(logs: list[Path], root: Path, work: Path) -> None:
    """`beacon ship --sink file --once` per host, as a fleet would."""
    beacon = str(Path(sys.executable).parent / "beacon")
    for log_dir in logs:
        subprocess.run(
            [beacon, "ship", "--sink", "file", "--root", str(root), "--log-dir", str(log_dir),
             "--state-dir", str(work / "state" / log_dir.name), "--host", log_dir.name,
             "--once", "--metrics-address", "off"],
            check=True,
            env={**os.environ, "HOME": str(work)},
        )  # fmt: skip


def partitions(root: Path, lo: str, hi: str) -> list[Path]:
    """The objects of the window's partitions and one day each side, as the SQL reads them."""
    first = (date.fromisoformat(lo) - timedelta(days=1)).isoformat()
    last = (date.fromisoformat(hi) + timedelta(days=1)).isoformat()
    return [
        path
        for path in sorted(root.glob("runtime/date=*/*.jsonl.gz"))
        if first <= path.parent.name.removeprefix("date=") <= last
    ]


def python_scan(root: Path, question: str, lo: str, hi: str) -> Any:
    """The baseline: gunzip every object of those partitions and parse each line."""
    hits = 0
    groups: Counter[tuple[Any, Any]] = Counter()
    for path in partitions(root, lo, hi):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            try:
                e = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            ts = e.get("timestamp")
            if not isinstance(ts, str) or not lo <= ts[:10] <= hi:
                continue
            if question == "text filter":
                command = (e.get("command") or {}).get("command")
                hits += isinstance(command, str) and NEEDLE in command
            else:
                groups[((e.get("endpoint") or {}).get("hostname"), e["event"]["action"])] += 1
    return hits if question == "text filter" else sorted(groups.items(), key=repr)


def duck(con: Any, question: str, lo: str, hi: str) -> Any:
    """DuckDB over the pack's views."""
    rows = con.sql(_sql(question, lo, hi)).fetchall()
    if question == "text filter":
        return rows[0][0]
    return sorted((((h, a), n) for h, a, n in rows), key=repr)


def duck_cli(tables: Path, question: str, lo: str, hi: str) -> Any:
    """The same query through the `duckdb` CLI (a fresh process: views, then the query)."""
    assert CLI is not None
    out = subprocess.run(
        [CLI, "-noheader", "-csv", "-c", f".read {tables}", "-c", _sql(question, lo, hi)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.rsplit(",", 1) for line in out.splitlines()]
    if question == "text filter":
        return int(rows[0][0])
    return sorted(((tuple(k.split(",", 1)), int(n)) for k, n in rows), key=repr)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> None:
    """Generate, ship, then time each engine on each question; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="beacon-fleet-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        logs = fleetlog.write_fleet(work / "logs", args.events)
        raw = sum((d / "runtime.jsonl").stat().st_size for d in logs)
        root = work / "root"
        root.mkdir()
        ship(logs, root, work)
        shipped = sum(p.stat().st_size for p in root.glob("runtime/date=*/*.jsonl.gz"))
        print(
            f"{args.events:,} events, {raw / 1e6:,.0f} MB raw, {shipped / 1e6:,.1f} MB shipped "
            f"gzip ({len(list(root.glob('runtime/date=*/*.jsonl.gz')))} objects) in "
            f"{time.perf_counter() - t0:.1f} s; cpu: {os.cpu_count()} cores; duckdb "
            f"{duckdb.__version__}; python {sys.version.split()[0]}"
        )
        con = duckdb.connect()
        pack = build_pack("duckdb", None, PackOptions(data_root=str(root)))
        for statement in statements(pack.files["tables.sql"]):
            con.execute(statement)
        tables = work / "tables.sql"
        tables.write_text(pack.files["tables.sql"])
        cli_name = ""
        if CLI is not None:
            version = subprocess.run([CLI, "-version"], capture_output=True, text=True).stdout
            cli_name = f"duckdb {version.split()[0]} (CLI, new process)"
        scanned = {
            (lo, hi): sum(
                len(gzip.decompress(p.read_bytes()).splitlines()) for p in partitions(root, lo, hi)
            )
            for _, lo, hi in CASES
        }
        results: dict[tuple[str, str, str, str], list[float]] = {}
        for _ in range(args.rounds):
            for question, lo, hi in CASES:
                base_s, base = timed(lambda q=question, a=lo, b=hi: python_scan(root, q, a, b))
                duck_s, got = timed(lambda q=question, a=lo, b=hi: duck(con, q, a, b))
                assert got == base, f"{question}: DuckDB and the Python scan disagree"
                results.setdefault((question, lo, hi, BASELINE), []).append(base_s)
                results.setdefault((question, lo, hi, DUCKDB), []).append(duck_s)
                if cli_name:
                    cli_s, got = timed(lambda q=question, a=lo, b=hi: duck_cli(tables, q, a, b))
                    assert got == base, f"{question}: the DuckDB CLI and the Python scan disagree"
                    results.setdefault((question, lo, hi, cli_name), []).append(cli_s)
        load = os.getloadavg()[0]
    print(
        f"\nrounds: {args.rounds} (medians); events/s = lines in the partitions read / s; "
        f"1-min load average at the end: {load:.1f}\n"
    )
    print("| question | window | events read | engine | median s | events/s | vs baseline |")
    print("|---|---|---:|---|---:|---:|---:|")
    for question, lo, hi in CASES:
        base = statistics.median(results[(question, lo, hi, BASELINE)])
        for engine in (BASELINE, DUCKDB, *([cli_name] if cli_name else [])):
            median = statistics.median(results[(question, lo, hi, engine)])
            window = lo if lo == hi else f"{lo} .. {hi}"
            print(
                f"| {question} | {window} | {scanned[(lo, hi)]:,} | {engine} | {median:.2f} "
                f"| {scanned[(lo, hi)] / median:,.0f} | {base / median:.1f}x |"
            )


if __name__ == "__main__":
    main()
