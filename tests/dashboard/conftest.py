"""Fixtures for dashboard tests: one rich log and one `beacon dashboard` per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness beside us

from dashboard_harness import Site, build_site, clean_env, start_dashboard


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The rich log and a dashboard over it (temporary HOME and state directory)."""
    base = tmp_path_factory.mktemp("dashboard")
    log_dir = build_site(base)
    env = clean_env(base / "viewer")
    running = start_dashboard(log_dir, env)
    yield Site(base, log_dir, env, running)
    running.stop()


@pytest.fixture(scope="module")
def empty_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A dashboard over a log directory that does not exist yet."""
    base = tmp_path_factory.mktemp("dashboard-empty")
    env = clean_env(base / "viewer")
    running = start_dashboard(base / "logs", env)
    yield Site(base, base / "logs", env, running)
    running.stop()
