"""Collector cost per event in CPU instructions: beacon vs the pass-through baseline.

    .venv/bin/python benchmarks/instructions.py [--requests 60]

Timings on a shared VM vary by ±25 % between runs; instruction counts do not. Each stage
runs in a fresh interpreter under `valgrind --tool=cachegrind` on the collector benchmark's
request (100 Claude Code records), once with `--requests` requests and once with none, so
start-up cancels out. Stages: `decode` (protobuf to records, shared by both servers),
`baseline` (decode, build a dict, orjson), `beacon` (decode, map, pipeline, route lines).
The ratio baseline/beacon is what the collector benchmark's throughput ratio tends to on an
idle machine; the server adds HTTP handling and the writer to both sides.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WARMUP = 20
STAGES = ("decode", "baseline", "beacon")


def run_stage(stage: str, requests: int) -> None:
    """Run `stage` on the benchmark request `requests` times after a warm-up."""
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "benchmarks"))
    import orjson
    from collector import claude_batch

    from beacon.collector.service import Collector
    from beacon.config import BeaconConfig
    from beacon.logfiles.writer import Lines
    from beacon.receivers.otlp_decode import decode_protobuf

    body = claude_batch()
    collector = Collector(BeaconConfig(), writer=object())  # type: ignore[arg-type]  # never written

    def decode() -> None:
        decode_protobuf("logs", body)

    def baseline() -> None:
        for r in decode_protobuf("logs", body).logs:
            orjson.dumps(
                {
                    "timestamp": r.time_unix_nano,
                    "event": {"action": "raw"},
                    "body": r.body,
                    "attributes": r.attributes,
                    "resource": r.scope.resource,
                }
            )

    def beacon() -> None:
        events = collector.mapper.map(decode_protobuf("logs", body))
        Lines.of_serialized(collector.pipeline.process_serialized(events))

    fn = {"decode": decode, "baseline": baseline, "beacon": beacon}[stage]
    for _ in range(WARMUP + requests):
        fn()


def instructions(stage: str, requests: int) -> int:
    """Instructions a child running `stage` executes, from cachegrind's summary."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            stage,
            "--requests",
            str(requests),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    found = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if found is None:
        raise RuntimeError(f"no cachegrind summary in:\n{out[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_stage(args.child, args.requests)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    per_event: dict[str, float] = {}
    for stage in STAGES:
        net = instructions(stage, args.requests) - instructions(stage, 0)
        per_event[stage] = net / (args.requests * 100)
    print(f"# instructions per event, {args.requests} requests of 100 Claude Code records\n")
    print("| stage | instructions/event |\n|---|---:|")
    for stage in STAGES:
        print(f"| {stage} | {per_event[stage]:,.0f} |")
    decode = per_event["decode"]
    print(
        f"\nbeacon-only {per_event['beacon'] - decode:,.0f}, baseline-only "
        f"{per_event['baseline'] - decode:,.0f}; ratio baseline/beacon "
        f"{per_event['baseline'] / per_event['beacon']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
