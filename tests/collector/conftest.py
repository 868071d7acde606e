"""Fixtures for collector tests (the harness itself lives in collector_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from collector_harness import RunningCollector, start_collector


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """A fresh collector for one test, stopped (SIGTERM) afterwards."""
    running = start_collector(tmp_path / "logs")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One collector for a whole module (tests use `mark()`/`new_events()`)."""
    running = start_collector(tmp_path_factory.mktemp("shared") / "logs")
    yield running
    running.stop()


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    """An HTTP client with a bounded timeout."""
    with httpx.Client(timeout=20.0) as client:
        yield client
