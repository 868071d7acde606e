"""Fleet queries: DuckDB over the shipped layout beside a plain Python scan of the same objects.

Generates a fleet (default 1,000,000 runtime events over six hosts and eight days, the
generator of the end-to-end test), ships it with `beacon ship --sink file`, creates the
DuckDB pack's views and times two questions, each over the same window of six days:

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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "fleet")]

import duckdb  # noqa: E402
import fleetlog  # noqa: E402
import orjson  # noqa: E402

from beacon.forwarding.destination import PackOptions  # noqa: E402
from beacon.forwarding.pack import build_pack  # noqa: E402
from beacon.forwarding.renderers.sql import statements  # noqa: E402

LO, HI = fleetlog.WINDOW
NEEDLE = "terraform"
DUCK_WINDOW = (
    f"date BETWEEN DATE '{LO}' - INTERVAL 1 DAY AND DATE '{HI}' + INTERVAL 1 DAY "
    f"AND substr(\"timestamp\", 1, 10) BETWEEN '{LO}' AND '{HI}'"
)
QUERIES = {
    "text filter": (
        f"SELECT count(*) FROM beacon_runtime WHERE {DUCK_WINDOW} "
        f"AND contains(command.command, '{NEEDLE}')"
    ),
    "group-by": (
        "SELECT endpoint.hostname, event.action, count(*) FROM beacon_runtime "
        f"WHERE {DUCK_WINDOW} GROUP BY 1, 2"
    ),
}


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


def python_scan(root: Path, question: str) -> Any:
    """The baseline: gunzip every object in the window's partitions, parse each line."""
    hits = 0
    groups: Counter[tuple[Any, Any]] = Counter()
    for path in sorted(root.glob("runtime/date=*/*.jsonl.gz")):
        if not _slack(path.parent.name):
            continue
        for line in gzip.decompress(path.read_bytes()).splitlines():
            try:
                e = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            ts = e.get("timestamp")
            if not isinstance(ts, str) or not LO <= ts[:10] <= HI:
                continue
            if question == "text filter":
                command = (e.get("command") or {}).get("command")
                hits += isinstance(command, str) and NEEDLE in command
            else:
                groups[((e.get("endpoint") or {}).get("hostname"), e["event"]["action"])] += 1
    return hits if question == "text filter" else sorted(groups.items(), key=repr)


def _slack(partition: str) -> bool:
    """The window's partitions and one day each side, as the SQL reads them."""
    day = partition.removeprefix("date=")
    i = fleetlog.DAYS.index(day) if day in fleetlog.DAYS else -10
    return fleetlog.DAYS.index(LO) - 1 <= i <= fleetlog.DAYS.index(HI) + 1


def duck(con: Any, question: str) -> Any:
    """DuckDB over the pack's views."""
    rows = con.sql(QUERIES[question]).fetchall()
    if question == "text filter":
        return rows[0][0]
    return sorted((((h, a), n) for h, a, n in rows), key=repr)


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
        (scanned,) = con.sql(f"SELECT count(*) FROM beacon_runtime WHERE {DUCK_WINDOW}").fetchall()[
            0
        ]
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for question in QUERIES:
                base_s, base = timed(lambda q=question: python_scan(root, q))
                duck_s, got = timed(lambda q=question: duck(con, q))
                assert got == base, f"{question}: DuckDB and the Python scan disagree"
                results.setdefault((question, "python (gzip + orjson)"), []).append(base_s)
                results.setdefault((question, "duckdb (pack views)"), []).append(duck_s)
    print(f"\nevents in the window: {scanned:,}\n")
    print("| question | engine | median s | events/s | vs baseline |")
    print("|---|---|---:|---:|---:|")
    for question in QUERIES:
        base = statistics.median(results[(question, "python (gzip + orjson)")])
        for engine in ("python (gzip + orjson)", "duckdb (pack views)"):
            median = statistics.median(results[(question, engine)])
            print(
                f"| {question} | {engine} | {median:.2f} | {scanned / median:,.0f} | "
                f"{base / median:.1f}x |"
            )


if __name__ == "__main__":
    main()
