"""Fixtures for inventory tests: a realistic home and project copied to a temp directory,
fake agent executables on a private PATH, and a private state directory. Nothing here
reads or writes the real home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "inventory" / "realistic"
PLANTED = b"PLANTED"


@dataclass
class Endpoint:
    """A fake endpoint: home, project, PATH of fake agents, log and state directories."""

    root: Path
    home: Path
    project: Path
    bin: Path
    logs: Path
    state: Path

    @property
    def env(self) -> dict[str, str]:
        """A subprocess env with nothing inherited that could point at the real home."""
        keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
        return {
            **keep,
            "HOME": str(self.home),
            "PATH": str(self.bin),
            "BEACON_STATE_DIR": str(self.state),
            "BEACON_INVENTORY_SYSTEM_ROOT": str(self.root / "system"),
            "BEACON_SPOOL_DIR": str(self.root / "spool"),
            "PYTHONPATH": str(REPO),
        }

    def fake_agent(self, name: str, body: str) -> Path:
        """A fake executable on PATH running `body` (Python) with this interpreter."""
        path = self.bin / name
        path.write_text(f"#!{sys.executable}\nimport sys, time, subprocess\n{body}\n")
        path.chmod(0o755)
        return path

    def beacon(self, *args: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
        """`beacon ARGS` in the project directory with this endpoint's env."""
        result = subprocess.run(
            [sys.executable, "-m", "beacon.cli", *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            **kw,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def write_event(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.beacon("inventory", "--write-event", "--log-dir", str(self.logs), *args)

    @property
    def log_file(self) -> Path:
        return self.logs / "inventory_state.jsonl"

    def events(self) -> list[dict[str, Any]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]


def make_endpoint(root: Path, *, realistic: bool = True) -> Endpoint:
    home, project = root / "home", root / "project"
    if realistic:
        shutil.copytree(FIXTURE / "home", home, symlinks=True)
        shutil.copytree(FIXTURE / "project", project, symlinks=True)
    else:
        home.mkdir(parents=True)
        project.mkdir(parents=True)
    (root / "bin").mkdir()
    endpoint = Endpoint(root, home, project, root / "bin", root / "logs", root / "state")
    endpoint.fake_agent("claude", 'print("2.1.220 (Claude Code)")')
    endpoint.fake_agent("codex", 'print("codex-cli 0.142.4")')
    endpoint.fake_agent("gemini", 'print("0.9.0")')
    return endpoint


@pytest.fixture
def endpoint(tmp_path: Path) -> Endpoint:
    """The realistic fixture home and project, fake claude/codex/gemini on PATH."""
    return make_endpoint(tmp_path)


@pytest.fixture
def empty_endpoint(tmp_path: Path) -> Endpoint:
    """An empty home and project."""
    return make_endpoint(tmp_path, realistic=False)
