"""Fixtures for hook tests: an isolated environment for `beacon-hooks` and a collector."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))  # reuse the collector test harness

from collector_harness import RunningCollector, start_collector  # noqa: E402


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    """Env for hook processes: private HOME and spool, no inherited BEACON_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env["BEACON_SPOOL_DIR"] = str(tmp_path / "spool")
    # SessionStart would start a detached inventory run; tests/inventory covers that path.
    env["BEACON_INVENTORY_ON_HOOK"] = "0"
    return env


@pytest.fixture(scope="module")
def hooks_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One `beacon run` for a module, with its own spool directory (tests use mark/new_events)."""
    base = tmp_path_factory.mktemp("hooks-collector")
    env = {"HOME": str(base / "home"), "BEACON_SPOOL_DIR": str(base / "spool")}
    running = start_collector(base / "logs", env=env)
    yield running
    running.stop()
