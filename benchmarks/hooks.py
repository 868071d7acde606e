"""Hook benchmark: `beacon-hooks` wall time against a bare interpreter, and HTTP hook latency.

Runs, in one process and interleaved so machine load hits both alike: `python -c pass` and
`beacon-hooks --platform claude` (collector up, payload forwarded) with the same
interpreter, each `--runs` times; then `beacon-hooks` with the collector down (local
append); then `--requests` HTTP hook POSTs to `beacon run` over one keep-alive connection.
Prints a Markdown table for docs/performance.md. Usage: `python benchmarks/hooks.py`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests/fixtures/agents/claude-code-2.1.197/json1/hooks"
PYTHON = Path(sys.executable)
HOOKS = PYTHON.parent / "beacon-hooks"


def _wall(cmd: list[str], stdin: bytes, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} exited {done.returncode}: {done.stderr!r}")
    return elapsed


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def start_collector(log_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """`beacon run` on free loopback ports; returns the process and its OTLP/HTTP address."""
    cmd = [str(PYTHON), "-m", "beacon.cli", "run", "--log-dir", str(log_dir)]
    cmd += ["--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0"]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        raise SystemExit(f"beacon run did not start: {line!r}")
    parts = dict(item.split("=", 1) for item in line.split()[1:])
    return process, parts["otlp-http"]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60, help="invocations per variant (>= 50)")
    parser.add_argument("--requests", type=int, default=1000, help="HTTP hook requests")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="beacon-hooks-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    env.update({"HOME": str(tmp), "BEACON_SPOOL_DIR": str(tmp / "spool")})
    payload = (FIXTURE / "command" / "PreToolUse.jsonl").read_bytes()
    body = (FIXTURE / "http" / "0003-PostToolUse.json").read_bytes()
    collector, address = start_collector(tmp / "collector-logs", env)
    try:
        bare, up = [], []
        hook_up = [str(HOOKS), "--platform", "claude", "--collector", f"http://{address}"]
        for _ in range(3):  # warm the page cache and .pyc files
            _wall(hook_up, payload, env)
        for _ in range(args.runs):
            bare.append(_wall([str(PYTHON), "-c", "pass"], b"", env))
            up.append(_wall(hook_up, payload, env))
        hook_down = [str(HOOKS), "--platform", "claude", "--collector", "http://127.0.0.1:9"]
        hook_down += ["--log-dir", str(tmp / "fallback-logs")]
        down = [_wall(hook_down, payload, env) for _ in range(max(20, args.runs // 3))]
        conn = http.client.HTTPConnection(*address.rsplit(":", 1), timeout=5)
        headers = {"Content-Type": "application/json"}
        latency = []
        for _ in range(args.requests):
            began = time.perf_counter()
            conn.request("POST", "/v1/hooks/claude", body, headers)
            response = conn.getresponse()
            response.read()
            latency.append(time.perf_counter() - began)
            assert response.status == 200, response.status
        conn.close()
    finally:
        collector.terminate()
        collector.wait(15)
    bare_p50, bare_p95 = _stats(bare)
    up_p50, up_p95 = _stats(up)
    down_p50, down_p95 = _stats(down)
    http_p50, http_p95 = _stats(latency)
    print(f"Python {sys.version.split()[0]} ({PYTHON}), {os.cpu_count()} CPUs, runs={args.runs}")
    print()
    print("| measurement | median | p95 |")
    print("|---|---|---|")
    print(f"| `python -c pass` (same interpreter) | {bare_p50:.1f} ms | {bare_p95:.1f} ms |")
    print(f"| `beacon-hooks`, collector up (forward) | {up_p50:.1f} ms | {up_p95:.1f} ms |")
    print(
        f"| `beacon-hooks`, collector down (local append) | {down_p50:.1f} ms | {down_p95:.1f} ms |"
    )
    print(
        "| HTTP hook `POST /v1/hooks/claude` (keep-alive) "
        f"| {http_p50:.2f} ms | {http_p95:.2f} ms |"
    )
    print()
    print(f"ratio beacon-hooks / python -c pass (medians): {up_p50 / bare_p50:.2f} (limit 2.0)")


if __name__ == "__main__":
    main()
