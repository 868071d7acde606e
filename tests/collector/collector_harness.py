"""Test harness for collector tests: a real `beacon run` subprocess on free loopback ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "agents"
GOLDEN = Path(__file__).resolve().parent / "golden"


@dataclass
class RunningCollector:
    """A `beacon run` process: its addresses, log directory and captured output."""

    process: subprocess.Popen[str]
    grpc: str
    http: str
    log_dir: Path
    startup_seconds: float
    _offset: int = field(default=0)

    @property
    def runtime_log(self) -> Path:
        return self.log_dir / "runtime.jsonl"

    def url(self, path: str) -> str:
        return f"http://{self.http}{path}"

    def events(self) -> list[dict[str, Any]]:
        """Every event written so far."""
        if not self.runtime_log.exists():
            return []
        return [orjson.loads(line) for line in self.runtime_log.read_bytes().splitlines() if line]

    def mark(self) -> None:
        """Remember the current end of runtime.jsonl; `new_events` reads from here."""
        self._offset = self.runtime_log.stat().st_size if self.runtime_log.exists() else 0

    def new_events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait (bounded) until at least `count` events were written after `mark()`."""
        deadline = time.monotonic() + timeout
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            if self.runtime_log.exists():
                with self.runtime_log.open("rb") as fh:
                    fh.seek(self._offset)
                    data = fh.read()
                lines = data.splitlines()
                if data and not data.endswith(b"\n"):
                    lines = lines[:-1]
                found = [orjson.loads(line) for line in lines if line]
                if len(found) >= count:
                    time.sleep(0.05)
                    return found
            time.sleep(0.02)
        return found

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Signal the process and wait for its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def start_collector(
    log_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> RunningCollector:
    """Start `beacon run` on port 0 and wait (bounded) for its `listening` line."""
    cmd = [
        sys.executable,
        "-m",
        "beacon.cli",
        "run",
        "--log-dir",
        str(log_dir),
        "--otlp-grpc",
        "127.0.0.1:0",
        "--otlp-http",
        "127.0.0.1:0",
        *extra,
    ]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    # `beacon run` inventories its user at start: never the real home in tests, and only
    # where a test asks for it (tests/inventory does), to keep the suite's CPU for itself.
    full_env["HOME"] = str(log_dir.parent / f"{log_dir.name}-home")
    full_env["BEACON_INVENTORY_INTERVAL"] = "0"
    full_env.update(env or {})
    began = time.monotonic()
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, cwd=REPO
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    startup = time.monotonic() - began
    if not line.startswith("listening "):
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"beacon run did not start: {line!r} {err}")
    parts = dict(item.split("=", 1) for item in line.split()[1:])
    return RunningCollector(process, parts["otlp-grpc"], parts["otlp-http"], log_dir, startup)
