"""Fixtures for hook tests: an isolated environment for `beacon-hooks` and the recorded payloads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))  # reuse the collector test harness

from collector_harness import RunningCollector, start_collector  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "agents"
HOOKS_BIN = Path(sys.executable).parent / "beacon-hooks"


def recorded_payloads() -> list[tuple[str, str, bytes]]:
    """Every recorded hook payload: (platform, fixture-relative name, raw body)."""
    out: list[tuple[str, str, bytes]] = []
    for path in sorted(FIXTURES.glob("*/*/hooks/*/*")):
        platform = path.relative_to(FIXTURES).parts[0].split("-")[0]
        name = str(path.relative_to(FIXTURES))
        if path.suffix == ".jsonl":
            lines = [line for line in path.read_bytes().splitlines() if line.strip()]
            out.extend((platform, f"{name}:{i}", line) for i, line in enumerate(lines))
        else:
            out.append((platform, name, path.read_bytes()))
    return out


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    """Env for hook processes: private HOME and spool, no inherited BEACON_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env["BEACON_SPOOL_DIR"] = str(tmp_path / "spool")
    # SessionStart would start a detached inventory run; tests/inventory covers that path.
    env["BEACON_INVENTORY_ON_HOOK"] = "0"
    return env


def run_hook(
    args: list[str], stdin: bytes, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    """Run `beacon-hooks` once, capturing stdout and stderr."""
    return subprocess.run(
        [str(HOOKS_BIN), *args], input=stdin, capture_output=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def hooks_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One `beacon run` for a module, with its own spool directory (tests use mark/new_events)."""
    base = tmp_path_factory.mktemp("hooks-collector")
    env = {"HOME": str(base / "home"), "BEACON_SPOOL_DIR": str(base / "spool")}
    running = start_collector(base / "logs", env=env)
    yield running
    running.stop()
