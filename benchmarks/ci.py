"""CI-mode benchmark: what `beacon ci exec` adds to a CI step, and `beacon ci validate` speed.

Interleaved rounds (`--runs`), so machine load hits all alike:
  * `true` alone and under `beacon ci exec` (the fixed cost: session, collector start and
    stop, validation, summary);
  * an OpenTelemetry SDK agent (`tests/ci/sdk_agent.py`, `--prompts` log records and a
    span) sending to an already-running `beacon run`, and the same agent under
    `beacon ci exec` (everything included).
Then `beacon ci validate` over a generated log of `--events` events against a bare
parse of the same file (`orjson.loads` per line) by the same interpreter, with peak RSS.
Prints Markdown tables for docs/performance.md. Usage: `python benchmarks/ci.py`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
AGENT = REPO / "tests" / "ci" / "sdk_agent.py"
sys.path.insert(0, str(REPO / "benchmarks"))

from hooks import start_collector  # noqa: E402


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, check=False, cwd=REPO)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return elapsed


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {statistics.median(ordered) * 1000:.0f} ms | {p95 * 1000:.0f} ms |"


def exec_overhead(runs: int, prompts: int, tmp: Path) -> None:
    """Wall times of the four commands, interleaved."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), "TMPDIR": str(tmp)}
    (tmp / "home").mkdir()
    collector, http = start_collector(tmp / "run-logs", env)
    direct_env = {
        **env,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{http}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    beacon = [str(PYTHON), "-m", "beacon.cli", "ci", "exec", "--harness", "otel"]
    agent = [str(PYTHON), str(AGENT), "--prompts", str(prompts)]
    cases = {
        "`true`": ([str(Path("/bin/true"))], env, False),
        "`beacon ci exec -- true`": (
            [*beacon, "--require-telemetry", "false", "--", "true"],
            env,
            True,
        ),
        f"SDK agent ({prompts} records) to a running `beacon run`": (agent, direct_env, False),
        f"`beacon ci exec --` SDK agent ({prompts} records)": ([*beacon, "--", *agent], env, True),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for n in range(runs):
            for name, (cmd, case_env, own_dir) in cases.items():
                run_env = dict(case_env)
                if own_dir:
                    run_env["BEACON_CI_BASE_DIR"] = str(tmp / f"ci-{n}-{len(samples[name])}")
                samples[name].append(_wall(cmd, run_env))
    finally:
        collector.terminate()
        collector.wait(15)
    print(f"\n{runs} rounds, interleaved\n")
    print("| command | median | p95 |\n|---|---|---|")
    for name, values in samples.items():
        print(_row(name, values))
    names = list(cases)
    fixed = statistics.median(samples[names[1]]) - statistics.median(samples[names[0]])
    agent_cost = statistics.median(samples[names[3]]) - statistics.median(samples[names[2]])
    print(
        f"\nfixed cost of `beacon ci exec`: {fixed * 1000:.0f} ms; "
        f"with the agent: {agent_cost * 1000:.0f} ms over the running collector"
    )


def _child_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def validate_speed(events: int, tmp: Path) -> None:
    """`beacon ci validate` over `events` lines against a bare orjson parse of them."""
    import orjson

    from beacon.config import load_config
    from beacon.pipeline import build_pipeline
    from beacon.schema.event import new_event

    pipeline = build_pipeline(load_config(env={}))
    sample = []
    for n, action in enumerate(("prompt.submitted", "command.executed", "tool.invoked") * 10):
        event = pipeline.process(
            new_event(action, harness="claude_code", command={"command": f"ls -la /tmp/{n}"})
        )
        assert event is not None
        event["ci"] = {"session_id": "bench"}
        sample.append(orjson.dumps(event))
    log = tmp / "validate" / "runtime.jsonl"
    log.parent.mkdir()
    with log.open("wb") as fh:
        for n in range(events):
            fh.write(sample[n % len(sample)] + b"\n")
    size = log.stat().st_size / (1024 * 1024)
    parse = [
        str(PYTHON),
        "-c",
        "import orjson,sys\nfor line in open(sys.argv[1], 'rb'): orjson.loads(line)",
        str(log),
    ]
    validate = [str(PYTHON), "-m", "beacon.cli", "ci", "validate", "--log-path", str(log)]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home")}
    rows = []
    for name, cmd in (
        ("orjson parse of each line (baseline)", parse),
        ("`beacon ci validate`", validate),
    ):
        before = _child_rss_mib()
        wall = min(_wall(cmd, env) for _ in range(3))
        rss = max(_child_rss_mib(), before)
        rows.append(f"| {name} | {wall:.2f} s | {events / wall:,.0f} | {rss:.0f} MiB |")
    print(f"\n{events:,} events, {size:.0f} MiB, best of 3\n")
    print("| command | wall | events/s | peak RSS (max so far) |\n|---|---|---|---|")
    print("\n".join(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        exec_overhead(args.runs, args.prompts, Path(tmp))
        validate_speed(args.events, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
