"""Test harness for the dashboard: a rich log written by real Beacon producers, and a real
`beacon dashboard` process on a free loopback port.

The log holds the demo sessions (demo_log.py, through the one ingest path), the recorded
Claude Code run (tests/fixtures/agents/claude-code-2.1.197/json1: its OTLP requests and
HTTP hook payloads replayed into a real `beacon run`), and an inventory written by a real
`beacon inventory --write-event` over the realistic inventory fixture home.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))  # reuse the collector test harness

from collector_harness import FIXTURES, start_collector  # noqa: E402

CLAUDE_RUN = FIXTURES / "claude-code-2.1.197" / "json1"
CLAUDE_SESSION = "d28424ba-f47c-4411-ab71-518f1dc25ced"
CLAUDE_PROMPT = "Run the shell command: echo BEACON_MARKER"
CLAUDE_ANSWER = "Done: the command printed BEACON_MARKER."
INVENTORY_FIXTURE = REPO / "tests" / "fixtures" / "inventory" / "realistic"


def clean_env(base: Path) -> dict[str, str]:
    """A subprocess env with a private HOME, state and rule store, no inherited BEACON_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env.update(
        HOME=str(base / "home"),
        BEACON_STATE_DIR=str(base / "state"),
        BEACON_RULES_DIR=str(base / "rules"),
        BEACON_SPOOL_DIR=str(base / "spool"),
        BEACON_INVENTORY_ON_HOOK="0",
        BEACON_INVENTORY_INTERVAL="0",
        PYTHONPATH=str(REPO),
    )
    (base / "home").mkdir(parents=True, exist_ok=True)
    return env


@dataclass
class RunningDashboard:
    """A `beacon dashboard` process and the URL it printed."""

    process: subprocess.Popen[str]
    url: str
    host: str
    port: int

    def stop(self) -> int:
        """SIGTERM, then wait (bounded) for the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def start_dashboard(log_dir: Path, env: dict[str, str], *extra: str) -> RunningDashboard:
    """`beacon dashboard --addr 127.0.0.1:0` over `log_dir`; waits for its listening line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "dashboard",
            "--log-dir",
            str(log_dir),
            "--addr",
            "127.0.0.1:0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening dashboard=http://"):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"beacon dashboard did not start: {line!r} {err}")
    url = line.split("=", 1)[1].strip()
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return RunningDashboard(process, url, host, int(port))


@dataclass
class Site:
    """A log directory, the env the dashboard runs with, and the running dashboard."""

    base: Path
    log_dir: Path
    env: dict[str, str]
    dashboard: RunningDashboard

    @property
    def url(self) -> str:
        return self.dashboard.url


def replay_claude_run(log_dir: Path) -> None:
    """Send the recorded Claude Code run (OTLP, then its HTTP hooks) to a real collector
    writing into `log_dir`, and wait until its events are written."""
    collector = start_collector(log_dir)
    try:
        with httpx.Client(timeout=20, trust_env=False) as client:
            for body in sorted((CLAUDE_RUN / "otlp").glob("*.json")):
                if body.name.endswith(".headers.json"):
                    continue
                signal = body.stem.split("-", 1)[1]
                response = client.post(
                    collector.url(f"/v1/{signal}"),
                    content=body.read_bytes(),
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text
            for body in sorted((CLAUDE_RUN / "hooks" / "http").glob("*.json")):
                response = client.post(
                    collector.url("/v1/hooks/claude"),
                    content=body.read_bytes(),
                    headers={"Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if any(e.get("event", {}).get("action") == "session.ended" for e in collector.events()):
                break
            time.sleep(0.05)
    finally:
        assert collector.stop() == 0


def write_inventory(base: Path, log_dir: Path) -> None:
    """A real `beacon inventory --write-event` over a copy of the realistic fixture home."""
    home, project, bin_dir = base / "inv-home", base / "inv-project", base / "inv-bin"
    shutil.copytree(INVENTORY_FIXTURE / "home", home, symlinks=True)
    shutil.copytree(INVENTORY_FIXTURE / "project", project, symlinks=True)
    bin_dir.mkdir()
    env = {
        "HOME": str(home),
        "PATH": str(bin_dir),
        "BEACON_STATE_DIR": str(base / "inv-state"),
        "BEACON_INVENTORY_SYSTEM_ROOT": str(base / "inv-system"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "inventory",
            "--write-event",
            "--log-dir",
            str(log_dir),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def build_site(base: Path) -> Path:
    """The rich log directory: demo sessions, the recorded Claude run, an inventory."""
    from demo_log import write

    log_dir = base / "logs"
    assert write(log_dir) > 30
    replay_claude_run(log_dir)
    write_inventory(base, log_dir)
    return log_dir


def listing(log_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of a directory with its size, mode and modification time (ns)."""
    out = {}
    for path in sorted(log_dir.iterdir()):
        info = path.stat()
        out[path.name] = (info.st_size, info.st_mode, info.st_mtime_ns)
    return out
