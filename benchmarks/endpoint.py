"""Endpoint benchmark: wall time of `beacon endpoint` commands against `beacon --version`.

On a temporary HOME with Claude Code, Codex and Gemini settings, interleaved so machine load
hits all variants alike, `--runs` times each: `beacon --version` (the baseline: interpreter
plus the CLI's imports), `beacon status --json` with the collector running, `beacon
endpoint doctor --json`, `beacon endpoint install --dry-run`, and an install + uninstall
pair (`--service none`). Prints a Markdown table for docs/performance.md.
Usage: `python benchmarks/endpoint.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = Path(sys.executable)
BEACON = [str(PYTHON), "-m", "beacon.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wall(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    began = time.perf_counter()
    done = subprocess.run([*BEACON, *args], capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode not in ok:
        raise SystemExit(f"beacon {' '.join(args)} exited {done.returncode}: {done.stderr!r}")
    return elapsed


def seed(home: Path) -> None:
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text('{"model": "opus", "env": {"A": "1"}}\n')
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text(
        '# mine\nmodel = "o3"\n\n[profiles.x]\nmodel = "y"\n'
    )
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text('{"theme": "dark"}\n')


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="invocations per variant")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        seed(home)
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
        grpc, http = free_port(), free_port()
        ports = ["--otlp-grpc-port", str(grpc), "--otlp-http-port", str(http)]
        harness = ["--harness", "claude,codex,gemini", "--service", "none"]
        out = subprocess.run(
            [*BEACON, "endpoint", "install", *harness, *ports],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        argv = out.split("run the collector yourself: ", 1)[1].splitlines()[0].split()
        collector = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert collector.stdout is not None and collector.stdout.readline().startswith(b"listening")
        status = json.loads(
            subprocess.run(
                [*BEACON, "status", "--json"], capture_output=True, env=env, check=True
            ).stdout
        )
        assert status["collector"]["healthy"], status
        variants: dict[str, list[float]] = {
            "beacon --version (baseline)": [],
            "beacon status --json": [],
            "beacon endpoint doctor --json": [],
            "beacon endpoint install --dry-run": [],
        }
        try:
            for _ in range(runs):
                variants["beacon --version (baseline)"].append(wall(["--version"], env))
                variants["beacon status --json"].append(wall(["status", "--json"], env))
                variants["beacon endpoint doctor --json"].append(
                    wall(["endpoint", "doctor", "--json"], env, ok=(0, 1))
                )
                variants["beacon endpoint install --dry-run"].append(
                    wall(["endpoint", "install", *harness, "--dry-run"], env)
                )
        finally:
            collector.terminate()
            collector.wait(20)
        cycles: list[float] = []
        subprocess.run([*BEACON, "endpoint", "uninstall"], env=env, check=True, capture_output=True)
        for _ in range(runs):
            began = time.perf_counter()
            wall(["endpoint", "install", *harness, *ports], env)
            wall(["endpoint", "uninstall"], env)
            cycles.append(time.perf_counter() - began)
        variants["install + uninstall (3 agents, --service none)"] = cycles
    base = statistics.median(variants["beacon --version (baseline)"])
    print(f"runs per variant: {runs}\n")
    print("| command | median ms | p95 ms | x baseline |")
    print("|---|---:|---:|---:|")
    for name, samples in variants.items():
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        median = statistics.median(ordered)
        print(f"| {name} | {median * 1000:.0f} | {p95 * 1000:.0f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
