"""Events/s through the pipeline and writer, against `orjson.dumps` + `write` of the same events.

Events are shaped like the recorded Claude Code 2.1.197 log records (their attributes under
`raw.attributes`, prompt and tool parameters filled to about 1.3 KiB) and one in ten carries
a secret to redact. Each mode runs in a fresh process pinned to one core, with fsync
`interval`. Events are materialised from JSON untimed, in chunks; a chunk's time ends when
its last line is written. Modes: `baseline` (dumps + write), `unchained` (the pipeline and
writer without the hash chain), `beacon` (with it, plain SHA-256) and `keyed` (HMAC-SHA256);
`--base REV` adds `base`: the pipeline and writer of git revision REV (e.g. `main`, from
before the chain), run from a temporary worktree. The writer modes alternate for `--rounds`
rounds so machine load hits them alike; costs are CPU time per event (every thread of the
child), which other load on the machine moves less than wall time. The chain's cost is
also timed directly (the pipeline and sealing its lines, back to back in one thread).

    python benchmarks/pipeline.py [--events 200000] [--rounds 3] [--base main] [--base REV2]

`--base` may be given several times (each revision is one more mode, e.g. to compare a
refactoring with the commit before it, in the same run).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
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


WRITER_MODES = ("unchained", "beacon", "keyed")


def run_child(mode: str, count: int) -> dict[str, Any]:
    """One measurement in this process: `baseline` or a writer mode (pipeline + writer)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from beacon.config import load_config, with_log_dir
    from beacon.pipeline import build_pipeline

    try:
        from beacon.logfiles.writer import EventWriter
    except ImportError:  # a `--base` revision from before the `beacon/logfiles/` layout
        from beacon.writer import EventWriter  # type: ignore[import-not-found,no-redef]

    blobs = templates()
    batch, chunk = 100, 5_000
    elapsed = cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        config = with_log_dir(load_config(env={}), tmp)
        config = replace(config, writer=replace(config.writer, rotate_bytes=1 << 40))
        pipeline = build_pipeline(config)
        if mode in ("base", "baseline"):  # `base` runs another revision's code: its own API
            writer = EventWriter(config.writer)
        else:
            from beacon.logfiles.chain import ChainKey

            writer = EventWriter(
                config.writer, key=ChainKey(b"k" * 32) if mode == "keyed" else None
            )
        if mode == "unchained":  # this writer without sealing: same files, no chain
            for jsonl in writer._files.values():
                jsonl._sealer = None
        writer.start()
        handle = open(Path(tmp) / "baseline.jsonl", "ab")  # noqa: SIM115 - closed below
        for start in range(0, count, chunk):
            # Materialise the chunk untimed (a receiver's decoding is not measured here).
            events = [orjson.loads(blobs[(start + j) % len(blobs)]) for j in range(chunk)]
            started, cpu_started = time.perf_counter(), time.process_time()
            for i in range(0, chunk, batch):
                part = events[i : i + batch]
                if mode != "baseline":
                    while not writer.submit(pipeline.process_batch(part), timeout=1.0):
                        pass
                else:
                    handle.write(b"".join(orjson.dumps(e) + b"\n" for e in part))
            if mode != "baseline":
                while writer.queue_depth:  # the chunk counts only once it is on disk
                    time.sleep(0.0005)
            else:
                handle.flush()
            elapsed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started  # every thread; waiting costs none
        writer.close()
        handle.close()
        if mode != "baseline":
            written, size = sum(writer.stats.written.values()), writer.stats.bytes_written
        else:
            written, size = count, (Path(tmp) / "baseline.jsonl").stat().st_size
    return {
        "mode": mode,
        "events": written,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "bytes": size,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_process(count: int = 5_000, repeats: int = 7) -> dict[str, float]:
    """CPU µs per event of the pipeline (with serialization, as `submit` does it) and of
    sealing its lines, back to back in this thread (best of `repeats`): CPU time, so other
    processes on the machine change it much less than they change wall time."""
    import hashlib

    from beacon.config import load_config
    from beacon.logfiles.chain import GENESIS, ChainKey, Sealer
    from beacon.logfiles.writer import lines_of
    from beacon.pipeline import build_pipeline

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    blobs = templates()
    pipeline = build_pipeline(load_config(env={}))
    sealers = {
        "plain": Sealer(None, hashlib.sha256),
        "keyed": Sealer(ChainKey(b"k" * 32), hashlib.sha256),
    }
    best = {"pipeline": float("inf"), "plain": float("inf"), "keyed": float("inf")}
    for _ in range(repeats):
        events = [orjson.loads(blobs[j % len(blobs)]) for j in range(count)]
        started = time.thread_time()
        written = [
            lines_of(pipeline.process_batch(events[i : i + 100])) for i in range(0, count, 100)
        ]
        best["pipeline"] = min(best["pipeline"], time.thread_time() - started)
        for name, sealer in sealers.items():
            started = time.thread_time()
            for lines in written:
                b"".join(sealer.seal_pieces(lines.runtime, 0, GENESIS)[0])  # as the writer does
            best[name] = min(best[name], time.thread_time() - started)
    return {name: seconds / count * 1e6 for name, seconds in best.items()}


def _child(mode: str, events: int, tree: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)} if tree else None
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--events", str(events)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree,
    )
    return dict(json.loads(out.stdout))


def _worktree(rev: str, where: Path) -> Path:
    tree = where / f"base-{rev.replace('/', '_')}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True
    )
    return tree


def main() -> int:
    """Run every mode in fresh processes (writer modes alternating) and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--base", metavar="REV", action="append", default=[], help="also run REV's pipeline"
    )
    parser.add_argument("--child", choices=("baseline", "base", *WRITER_MODES))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.events)))
        return 0
    with tempfile.TemporaryDirectory() as temp:
        trees = {rev: _worktree(rev, Path(temp)) for rev in args.base}
        try:
            return report(args, trees)
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )


def report(args: argparse.Namespace, trees: dict[str, Path]) -> int:
    """Run the modes and print the table and the chain's cost."""
    sizes = [len(b) for b in templates()]
    print(
        f"events: {args.events}, template sizes {min(sizes)}-{max(sizes)} B "
        f"(mean {sum(sizes) // len(sizes)} B), 1 in 10 with a secret, one core, "
        f"{args.rounds} rounds"
    )
    modes = tuple(f"base:{rev}" for rev in trees) + WRITER_MODES
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in ("baseline", *modes)}
    runs["baseline"].append(_child("baseline", args.events))
    for _ in range(args.rounds):
        for mode in modes:
            rev = mode.removeprefix("base:") if mode.startswith("base:") else None
            tree = trees[rev] if rev else None
            runs[mode].append(_child("base" if rev else mode, args.events, tree))
    labels = {
        **{f"base:{rev}": f"{rev}: pipeline + writer" for rev in trees},
        "baseline": "baseline: orjson.dumps + write",
        "unchained": "pipeline + writer, no chain",
        "beacon": "pipeline + writer + chain",
        "keyed": "pipeline + writer + keyed chain",
    }
    print(
        f"| {'mode':<34} | {'events/s':>9} | {'CPU µs/event':>12} | {'MB/s':>6} | {'RSS MB':>6} |"
    )
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 14}|{'-' * 8}|{'-' * 8}|")
    per_event: dict[str, float] = {}
    for mode, results in runs.items():
        wall = statistics.median(r["seconds"] / r["events"] for r in results)
        per_event[mode] = statistics.median(r["cpu_seconds"] / r["events"] for r in results)
        r = results[0]
        print(
            f"| {labels[mode]:<34} | {1 / wall:>9,.0f} | {per_event[mode] * 1e6:>12.2f} | "
            f"{r['bytes'] / r['events'] / wall / 1e6:>6.1f} | "
            f"{max(x['rss_mb'] for x in results):>6.1f} |"
        )
    print()
    comparisons = [(mode, "unchained") for mode in ("beacon", "keyed")]
    comparisons += [(mode, f"base:{rev}") for rev in trees for mode in ("unchained", "beacon")]
    comparisons += [(f"base:{new}", f"base:{old}") for old, new in itertools.pairwise(trees)]
    for mode, reference in comparisons:
        base = per_event[reference]
        rounds = [
            (c["cpu_seconds"] / c["events"]) / (u["cpu_seconds"] / u["events"]) - 1
            for c, u in zip(runs[mode], runs[reference], strict=True)
        ]
        print(
            f"{labels[mode]} vs {labels[reference]}: {(per_event[mode] - base) * 1e6:+.2f} "
            f"CPU µs/event = {(per_event[mode] / base - 1) * 100:+.1f} % "
            f"(rounds: {', '.join(f'{x * 100:+.1f} %' for x in rounds)})"
        )
    direct = in_process()
    print(f"in one thread, best of 7: pipeline {direct['pipeline']:.2f} CPU µs/event", end="")
    for name in ("plain", "keyed"):
        share = direct[name] / direct["pipeline"] * 100
        print(f"; sealing {name} {direct[name]:.2f} µs/event ({share:.1f} %)", end="")
    print()
    ratio = per_event["baseline"] / per_event["beacon"]
    print(f"\nratio beacon / baseline: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
