"""Lines/s that `beacon logs` scans (and `beacon verify` checks), against a plain parse loop.

Writes a chained log of `--lines` Claude-Code-shaped events (the pipeline benchmark's
templates, 1.2-1.6 KiB each; one in a hundred mentions "production cluster") through the
real writer, rotated at 10 MiB, then times on one core, best of `--repeats`, in CPU time of
the reading thread (other load on the machine moves it less than wall time, also shown):

- baseline: read every file line by line and `orjson.loads` each line;
- queries through `beacon.audit.query.search` (all matches, newest first, as `beacon logs`);
- `beacon.audit.verify.verify_stream` over the same files.

    python benchmarks/logs.py [--lines 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

NEEDLE = "production cluster"


def write_log(log_dir: Path, count: int) -> int:
    """The log, written through `JsonlFile` (sealed), in batches of 100; returns its bytes."""
    from pipeline import templates  # this benchmark's sibling (the script's own directory)

    from beacon.logfiles.jsonl import JsonlFile

    blobs = templates()
    jsonl = JsonlFile(log_dir / "runtime.jsonl", rotate_bytes=10 << 20, archives=1000)
    for start in range(0, count, 100):
        batch = []
        for n in range(start, min(count, start + 100)):
            event = orjson.loads(blobs[n % len(blobs)])
            event["timestamp"] = f"2026-12-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:" + (
                f"{n % 60:02d}.000Z"
            )
            if n % 100 == 7:
                event["message"] = f"kubectl apply to the {NEEDLE} (step {n})"
            batch.append(orjson.dumps(event) + b"\n")
        jsonl.append(batch)
    jsonl.close()
    return sum(p.stat().st_size for p in log_dir.iterdir() if not p.name.endswith(".lock"))


def best_of(repeats: int, run: Callable[[], int]) -> tuple[float, float, int]:
    """The shortest CPU and wall times of `repeats` runs, and what the run returned."""
    cpu = wall = float("inf")
    result = 0
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.thread_time()
        result = run()
        cpu = min(cpu, time.thread_time() - cpu_started)
        wall = min(wall, time.perf_counter() - started)
    return cpu, wall, result


def main() -> int:
    """Build the log, time every reader, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from beacon.audit.query import Filter, ScanStats, search
    from beacon.audit.reader import stream_files
    from beacon.audit.verify import verify_stream

    with tempfile.TemporaryDirectory(prefix="beacon-logs-bench-") as temp:
        log_dir = Path(temp)
        size = write_log(log_dir, args.lines)
        files = stream_files(log_dir, "runtime")

        def baseline() -> int:
            parsed = 0
            for path in files:
                with open(path, "rb") as fh:
                    for line in fh:
                        orjson.loads(line)
                        parsed += 1
            return parsed

        def query(where: Filter) -> Callable[[], int]:
            def run() -> int:
                stats = ScanStats()
                search(log_dir, where, stats=stats)
                assert stats.lines == args.lines, stats.lines
                return stats.parsed

            return run

        def verify() -> int:
            report = verify_stream(log_dir, "runtime")
            assert report.intact and report.chained == args.lines
            return report.chained

        cases: list[tuple[str, Callable[[], int]]] = [
            ("baseline: readline + orjson.loads", baseline),
            (f'-q "{NEEDLE}" (1 % match)', query(Filter(text=NEEDLE))),
            ('-q "no-such-text"', query(Filter(text="no-such-text"))),
            (
                "--harness claude --action model.*",
                query(Filter(harnesses=("claude",), actions=("model.*",))),
            ),
            (
                "--since/--until (1 h of 28 h)",
                query(Filter(since="2026-12-01T05:00:00.000Z", until="2026-12-01T06:00:00.000Z")),
            ),
            ("beacon verify (hash every line)", verify),
        ]
        print(
            f"{args.lines:,} lines in {len(files)} files, {size / 1e6:.0f} MB "
            f"(mean {size // args.lines} B/line), one core, best of {args.repeats}"
        )
        print()
        print(
            f"| {'reader':<38} | {'lines/s CPU':>11} | {'MB/s':>6} | {'lines/s wall':>12} | "
            f"{'parsed':>7} | {'vs base':>7} |"
        )
        print(f"|{'-' * 40}|{'-' * 13}|{'-' * 8}|{'-' * 14}|{'-' * 9}|{'-' * 9}|")
        base_rate = 0.0
        for label, run in cases:
            cpu, wall, parsed = best_of(args.repeats, run)
            rate = args.lines / cpu
            base_rate = base_rate or rate
            print(
                f"| {label:<38} | {rate:>11,.0f} | {size / cpu / 1e6:>6.0f} | "
                f"{args.lines / wall:>12,.0f} | {parsed:>7,} | {rate / base_rate:>6.1f}x |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
