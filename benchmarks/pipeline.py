"""Events/s through the pipeline and writer, against `orjson.dumps` + `write` of the same events.

Events are shaped like the recorded Claude Code 2.1.197 log records (their attributes under
`raw.attributes`, prompt and tool parameters filled to about 1.3 KiB) and one in ten carries
a secret to redact. Each mode runs in a fresh process pinned to one core, with fsync
`interval`. Events are materialised from JSON untimed, in chunks; a chunk's time ends when
its last line is written.

    python benchmarks/pipeline.py [--events 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/agents/claude-code-2.1.197/json1/otlp/0002-logs.json"
SECRETS = [
    "export GITHUB_TOKEN=ghp_R4nd0mT0k3nV4lu3F0rB3nchm4rk1ng0001",
    "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefgh'",
    "psql postgres://admin:S3cretPassw0rd@db.internal:5432/app",
    "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
]
ACTIONS = {
    "user_prompt": "prompt.submitted",
    "tool_decision": "approval.allowed",
    "tool_result": "command.executed",
    "api_request": "model.request",
    "hook_registered": "hook.registered",
    "hook_execution_start": "hook.started",
    "hook_execution_complete": "hook.completed",
}


def _value(any_value: dict[str, Any]) -> Any:
    return next(iter(any_value.values())) if any_value else None


def templates() -> list[bytes]:
    """Serialized event templates built from the fixture's log records."""
    from beacon.schema import new_event

    data = json.loads(FIXTURE.read_text())
    records = data["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    out: list[bytes] = []
    for i, record in enumerate(records):
        attrs = {a["key"]: _value(a["value"]) for a in record["attributes"]}
        name = attrs.get("event.name", "")
        attrs.setdefault(
            "tool_parameters",
            json.dumps(
                {
                    "command": "ls -la /home/dev/project && git status --short",
                    "description": "Inspect the working tree before editing files",
                }
            ),
        )
        attrs["prompt"] = (
            "Refactor the collector so that gzip bodies are bounded, then run "
            "the test suite and summarise what changed. "
        ) * 3
        if i % 10 == 0:
            attrs["tool_input"] = SECRETS[(i // 10) % len(SECRETS)]
        event = new_event(
            ACTIONS.get(name, "session.activity"),
            harness="claude_code",
            message=_value(record.get("body", {})) or name,
            session={"id": attrs.get("session.id", "")},
            raw={"otel_signal": "logs", "attributes": attrs},
        )
        out.append(orjson.dumps(event))
    return out


def run_child(mode: str, count: int) -> dict[str, Any]:
    """One measurement in this process: `beacon` (pipeline + writer) or `baseline`."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from beacon.config import load_config, with_log_dir
    from beacon.logfiles.writer import EventWriter
    from beacon.pipeline import build_pipeline

    blobs = templates()
    batch, chunk = 100, 5_000
    elapsed = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        config = with_log_dir(load_config(env={}), tmp)
        config = replace(config, writer=replace(config.writer, rotate_bytes=1 << 40))
        pipeline = build_pipeline(config)
        writer = EventWriter(config.writer)
        writer.start()
        handle = open(Path(tmp) / "baseline.jsonl", "ab")  # noqa: SIM115 - closed below
        for start in range(0, count, chunk):
            # Materialise the chunk untimed (a receiver's decoding is not measured here).
            events = [orjson.loads(blobs[(start + j) % len(blobs)]) for j in range(chunk)]
            started = time.perf_counter()
            for i in range(0, chunk, batch):
                part = events[i : i + batch]
                if mode == "beacon":
                    while not writer.submit(pipeline.process_batch(part), timeout=1.0):
                        pass
                else:
                    handle.write(b"".join(orjson.dumps(e) + b"\n" for e in part))
            if mode == "beacon":
                while writer.queue_depth:  # the chunk counts only once it is on disk
                    time.sleep(0.0005)
            else:
                handle.flush()
            elapsed += time.perf_counter() - started
        writer.close()
        handle.close()
        if mode == "beacon":
            written, size = sum(writer.stats.written.values()), writer.stats.bytes_written
        else:
            written, size = count, (Path(tmp) / "baseline.jsonl").stat().st_size
    return {
        "mode": mode,
        "events": written,
        "seconds": elapsed,
        "bytes": size,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    """Run both modes in fresh processes and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--child", choices=("beacon", "baseline"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.events)))
        return 0
    sizes = [len(b) for b in templates()]
    print(
        f"events: {args.events}, template sizes {min(sizes)}-{max(sizes)} B "
        f"(mean {sum(sizes) // len(sizes)} B), 1 in 10 with a secret, one core"
    )
    results = {}
    for mode in ("baseline", "beacon"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--events", str(args.events)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[mode] = json.loads(out.stdout)
    print(f"| {'mode':<34} | {'events/s':>9} | {'MB/s':>6} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 8}|{'-' * 13}|")
    labels = {"baseline": "baseline: orjson.dumps + write", "beacon": "beacon: pipeline + writer"}
    for mode in ("baseline", "beacon"):
        r = results[mode]
        print(
            f"| {labels[mode]:<34} | {r['events'] / r['seconds']:>9,.0f} | "
            f"{r['bytes'] / r['seconds'] / 1e6:>6.1f} | {r['rss_mb']:>11.1f} |"
        )
    ratio = (results["beacon"]["events"] / results["beacon"]["seconds"]) / (
        results["baseline"]["events"] / results["baseline"]["seconds"]
    )
    print(f"\nratio beacon / baseline: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
