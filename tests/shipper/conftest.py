"""Fixtures for shipper tests: a log dir with a rotating writer, and an in-memory shipper."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from shippers._runner import Shipper
from shippers.config import ShipConfig
from shippers.testing import InMemorySink, RotatingLog


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def runtime_log(log_dir: Path) -> RotatingLog:
    return RotatingLog(log_dir / "runtime.jsonl", rotate_bytes=4096, keep=5)


ShipOnce = Callable[..., Shipper]


@pytest.fixture
def ship_once(tmp_path: Path, log_dir: Path) -> ShipOnce:
    """Run `--once` over the runtime stream into the given sink; returns the Shipper."""

    def run(sink: InMemorySink, **overrides: object) -> Shipper:
        options: dict[str, object] = {
            "sink": "s3",
            "log_dir": log_dir,
            "state_dir": tmp_path / "state",
            "streams": ("runtime",),
            "batch_max_bytes": 2048,
            "max_line_bytes": 1024,
            "poll_interval": 0.01,
            "retry_initial": 0.01,
            "retry_max": 0.05,
        }
        options.update(overrides)
        shipper = Shipper(ShipConfig(**options), sink=sink)  # type: ignore[arg-type]
        shipper.run(once=True)
        return shipper

    return run


def _seqs(lines: list[bytes]) -> list[int]:
    out = []
    for line in lines:
        try:
            out.append(json.loads(line)["seq"])
        except (ValueError, KeyError):
            continue
    return out


@pytest.fixture
def seqs() -> Callable[[list[bytes]], list[int]]:
    """The `seq` of every shipped line that has one."""
    return _seqs
