"""Hook benchmark: `beacon-hooks` wall time against a bare interpreter, and HTTP hook latency.

Runs, interleaved so machine load hits all alike, `--runs` times each: `python -c pass`,
`beacon-hooks --platform claude` with the collector up (payload forwarded) and with it down
(mapped, redacted and appended locally), all with the same interpreter; each hook's ratio to
the bare interpreter is the median of the per-round ratios. `--against REV` adds both hook
paths of another git revision. Then `--requests` HTTP hook POSTs to `beacon run` over one
keep-alive connection. Bytecode is compiled first, as an installed package has it.
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
    # Not in the checkout: `python -m` would import its `beacon` before $PYTHONPATH's.
    done = subprocess.run(
        cmd, input=stdin, capture_output=True, env=env, check=False, cwd=env["HOME"]
    )
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


def _hook_command(tree: Path | None) -> list[str]:
    """How to run `beacon-hooks`: the installed script, or another revision's module."""
    if tree is None:
        return [str(HOOKS)]
    module = "beacon.hooks.cli" if (tree / "beacon" / "hooks" / "cli.py").exists() else None
    return [str(PYTHON), "-m", module or "beacon.hooks_cli"]


def _checkout(rev: str) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="beacon-hooks-rev-")) / "tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True
    )
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(tree / "beacon")], check=True)
    return tree


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60, help="invocations per variant (>= 50)")
    parser.add_argument("--requests", type=int, default=1000, help="HTTP hook requests")
    parser.add_argument("--against", metavar="REV", help="also time this git revision's hook")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="beacon-hooks-bench-"))
    # Installed packages have their bytecode compiled; so must the code measured here.
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(REPO / "beacon")], check=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BEACON_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({"HOME": str(tmp), "BEACON_SPOOL_DIR": str(tmp / "spool")})
    payload = (FIXTURE / "command" / "PreToolUse.jsonl").read_bytes()
    body = (FIXTURE / "http" / "0003-PostToolUse.json").read_bytes()
    collector, address = start_collector(tmp / "collector-logs", env)
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "bare": ([str(PYTHON), "-c", "pass"], env),
    }
    trees = {"": None} if not args.against else {"": None, args.against: _checkout(args.against)}
    for label, tree in trees.items():
        run_env = env if tree is None else {**env, "PYTHONPATH": str(tree)}
        hook = _hook_command(tree)
        suffix = f" @{label}" if label else ""
        variants["up" + suffix] = (
            [*hook, "--platform", "claude", "--collector", f"http://{address}"],
            run_env,
        )
        variants["down" + suffix] = (
            [
                *hook,
                "--platform",
                "claude",
                "--collector",
                "http://127.0.0.1:9",
                "--log-dir",
                str(tmp / f"fallback-logs{label}"),
            ],
            run_env,
        )
    samples: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for cmd, run_env in variants.values():  # warm the page cache
            for _ in range(3):
                _wall(cmd, payload, run_env)
        for _ in range(args.runs):  # interleaved: a slow spell hits every variant alike
            for name, (cmd, run_env) in variants.items():
                samples[name].append(_wall(cmd, payload, run_env))
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
        for tree in trees.values():
            if tree is not None:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )
    labels = {
        "bare": "`python -c pass` (same interpreter)",
        "up": "`beacon-hooks`, collector up (forward)",
        "down": "`beacon-hooks`, collector down (map, redact, append)",
    }
    limits = {"up": 1.5, "down": 3.0}
    print(f"Python {sys.version.split()[0]} ({PYTHON}), {os.cpu_count()} CPUs, runs={args.runs}")
    print()
    print("| measurement | median | p95 | ratio to bare (median of pairs) | limit |")
    print("|---|---|---|---|---|")
    for name, values in samples.items():
        p50, p95 = _stats(values)
        base, _, rev = name.partition(" @")
        label = labels[base] + (f" at {rev}" if rev else "")
        if name == "bare":
            print(f"| {label} | {p50:.1f} ms | {p95:.1f} ms | 1.00 | |")
            continue
        ratio = statistics.median(v / b for v, b in zip(values, samples["bare"], strict=True))
        limit = f"{limits[base]:.1f}" if not rev else ""
        print(f"| {label} | {p50:.1f} ms | {p95:.1f} ms | {ratio:.2f} | {limit} |")
    http_p50, http_p95 = _stats(latency)
    print(
        "| HTTP hook `POST /v1/hooks/claude` (keep-alive, answered once written) "
        f"| {http_p50:.2f} ms | {http_p95:.2f} ms | | |"
    )


if __name__ == "__main__":
    main()
