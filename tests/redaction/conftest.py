"""Fixtures for redaction tests: one `beacon run` per module, an isolated hook environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))  # reuse the collector test harness

from collector_harness import RunningCollector, start_collector  # noqa: E402


@pytest.fixture(scope="module")
def redaction_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One `beacon run` for a module, with a private HOME and spool."""
    base = tmp_path_factory.mktemp("redaction-collector")
    env = {"HOME": str(base / "home"), "BEACON_SPOOL_DIR": str(base / "spool")}
    running = start_collector(base / "logs", env=env)
    yield running
    running.stop()


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    """Env for `beacon-hooks`: private HOME and spool, no inherited BEACON_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env["BEACON_SPOOL_DIR"] = str(tmp_path / "spool")
    return env
