"""Inventory benchmark: what the SessionStart trigger costs `beacon-hooks`, and how long an
inventory run takes.

1. `beacon-hooks --platform claude` with the collector up (a loopback stub answering 204),
   for a `PreToolUse` payload, a `SessionStart` the TTL holds back, and a `SessionStart`
   that starts a detached run (a fresh state directory each time; the runs it starts are
   waited for, untimed, before the next invocation). With `--baseline-src DIR` (the package
   without the trigger: `git archive main beacon | tar -x -C DIR` before the merge), the same
   invocations of that code run interleaved as the baseline.
2. `beacon inventory --write-event` on the realistic test home and on a home with 600 MCP
   servers, against `beacon --version` (interpreter and CLI start) as the baseline; with the
   snapshot's part count and largest line.

    python benchmarks/inventory.py [--runs 40] [--baseline-src /tmp/beacon-before]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
FIXTURE = REPO / "tests" / "fixtures" / "inventory" / "realistic"
PRE_TOOL = REPO / "tests/fixtures/agents/claude-code-2.1.197/json1/hooks/command/PreToolUse.jsonl"


class _Accept(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _wall(cmd: list[str], stdin: bytes, env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{cmd} exited {done.returncode}: {done.stderr!r}")
    return elapsed


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.1f} ms | {p95 * 1000:.1f} ms"


def _wait_heartbeat(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and b"inventory.heartbeat" in path.read_bytes():
            return
        time.sleep(0.05)
    raise SystemExit(f"no heartbeat in {path}")


def hook_costs(runs: int, baseline: Path | None, tmp: Path) -> list[tuple[str, list[float]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    home = tmp / "hook-home"
    home.mkdir()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    base_env.update({"HOME": str(home), "PATH": "/usr/bin:/bin"})
    pre_tool = PRE_TOOL.read_bytes().splitlines()[0]
    session = json.dumps({"session_id": "b", "hook_event_name": "SessionStart"}).encode()
    variants = [("after", {**base_env, "PYTHONPATH": str(REPO)})]
    if baseline is not None:
        variants.insert(0, ("before", {**base_env, "PYTHONPATH": str(baseline)}))
    cmd = [str(PYTHON), "-m", "beacon.hooks.cli", "--platform", "claude", "--collector", url]
    held = tmp / "state-held"  # a state whose TTL is active: SessionStart is skipped
    held.mkdir()
    (held / "inventory.state").write_text(f"last_emitted_at={time.time():.3f}\nttl_seconds=86400\n")
    results: dict[str, list[float]] = {}
    for _ in range(3):  # warm .pyc files and the page cache
        for _, env in variants:
            _wall(cmd, pre_tool, env, home)
    for i in range(runs):
        for name, env in variants if i % 2 else variants[::-1]:  # alternate who goes first
            results.setdefault(f"{name}: PreToolUse", []).append(_wall(cmd, pre_tool, env, home))
            held_env = {**env, "BEACON_STATE_DIR": str(held)}
            results.setdefault(f"{name}: SessionStart, TTL active", []).append(
                _wall(cmd, session, held_env, home)
            )
        if i < max(runs // 4, 5):
            fresh = tmp / f"state-{i}"
            logs = tmp / f"logs-{i}"
            env = {**variants[-1][1], "BEACON_STATE_DIR": str(fresh)}
            spawn_cmd = [*cmd, "--log-dir", str(logs)]
            results.setdefault("after: SessionStart, starts a run", []).append(
                _wall(spawn_cmd, session, env, home)
            )
            _wait_heartbeat(logs / "inventory_state.jsonl")  # untimed: the detached run
    server.shutdown()
    return list(results.items())


def trigger_costs(tmp: Path) -> list[tuple[str, float]]:
    """In-process cost of `maybe_trigger` (microseconds per call) and of its imports."""
    import timeit

    held = tmp / "state-micro"
    held.mkdir()
    (held / "inventory.state").write_text(f"last_emitted_at={time.time():.3f}\nttl_seconds=86400\n")
    env = {"HOME": str(tmp), "BEACON_STATE_DIR": str(held)}
    code = "import beacon.hooks.cli\nfrom beacon.inventory.trigger import maybe_trigger"
    imports = subprocess.run(
        [str(PYTHON), "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    ).stderr
    cumulative = {
        line.split("|")[2].strip(): int(line.split("|")[1])
        for line in imports.splitlines()
        if line.startswith("import time:") and "|" in line and "cumulative" not in line
    }
    from beacon.inventory.trigger import maybe_trigger

    out = [
        (
            "import `beacon.inventory.trigger` (cumulative, -X importtime)",
            float(cumulative["beacon.inventory.trigger"]),
        )
    ]
    for name, event in (
        ("PreToolUse (returns at once)", "PreToolUse"),
        ("SessionStart, TTL active", "SessionStart"),
    ):
        calls = 2000
        seconds = timeit.timeit(lambda e=event: maybe_trigger("claude", e, env=env), number=calls)
        out.append((f"`maybe_trigger`, {name}", seconds / calls * 1e6))
    return out


def _many_servers(home: Path, count: int) -> None:
    servers = {
        f"server-{i:04d}": {
            "command": "npx",
            "args": ["-y", f"@acme/mcp-server-{i}", f"--root=/srv/{i}"],
            "env": {f"SETTING_{j}": str(j) for j in range(8)},
        }
        for i in range(count)
    }
    (home / ".claude.json").write_text(json.dumps({"mcpServers": servers}))


def inventory_costs(runs: int, tmp: Path) -> list[tuple[str, list[float], str]]:
    out = []
    realistic, big = tmp / "realistic", tmp / "big"
    shutil.copytree(FIXTURE, realistic)
    (big / "home").mkdir(parents=True)
    (big / "project").mkdir()
    _many_servers(big / "home", 600)
    baseline: list[float] = []
    for name, root in (
        ("realistic home (24 servers, 7 skills)", realistic),
        ("600 MCP servers", big),
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        env.update({"HOME": str(root / "home"), "PATH": "/usr/bin:/bin"})
        env["BEACON_STATE_DIR"] = str(root / "state")
        times = []
        for i in range(runs):
            logs = root / f"logs-{i}"
            cmd = [
                str(PYTHON),
                "-m",
                "beacon.cli",
                "inventory",
                "--write-event",
                "--log-dir",
                str(logs),
            ]
            baseline.append(_wall([str(PYTHON), "-m", "beacon.cli", "--version"], b"", env, root))
            times.append(_wall(cmd, b"", env, root / "project"))
        lines = (root / "logs-0" / "inventory_state.jsonl").read_bytes().splitlines()
        parts = sum(1 for line in lines if b'"inventory.snapshot"' in line)
        note = f"{parts} snapshot part(s), largest line {max(len(x) for x in lines):,} bytes"
        out.append((f"`beacon inventory --write-event`, {name}", times, note))
    out.insert(0, ("`beacon --version` (baseline)", baseline, ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40, help="hook invocations per variant")
    parser.add_argument("--inventory-runs", type=int, default=10)
    parser.add_argument("--baseline-src", type=Path, help="checkout without the trigger")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="beacon-inventory-bench-"))
    try:
        print("| `beacon-hooks`, collector up | median | p95 |\n|---|---|---|")
        for name, samples in hook_costs(args.runs, args.baseline_src, tmp):
            print(f"| {name} | {_stats(samples)} |")
        print("\n| in process | microseconds |\n|---|---|")
        for name, micros in trigger_costs(tmp):
            print(f"| {name} | {micros:.1f} µs |")
        print("\n| inventory run | median | p95 | snapshot |\n|---|---|---|---|")
        for name, samples, note in inventory_costs(args.inventory_runs, tmp):
            print(f"| {name} | {_stats(samples)} | {note} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
