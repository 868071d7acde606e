"""Fixtures for the audit tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from chained_logs import event_line

from beacon.logfiles.chain import ChainKey
from beacon.logfiles.jsonl import JsonlFile

WriteLog = Callable[..., Path]


@pytest.fixture
def write_log(tmp_path: Path) -> WriteLog:
    """Write `count` lines in batches through `JsonlFile` into a fresh log dir; returns it."""
    made = 0

    def write(
        count: int = 30,
        *,
        rotate_bytes: int = 1 << 30,
        archives: int = 5,
        key: ChainKey | None = None,
        batch: int = 1,
        log_dir: Path | None = None,
    ) -> Path:
        nonlocal made
        made += 1
        target = log_dir or tmp_path / f"logs{made}"
        target.mkdir(mode=0o700, exist_ok=True)
        jsonl = JsonlFile(
            target / "runtime.jsonl", rotate_bytes=rotate_bytes, archives=archives, key=key
        )
        for start in range(0, count, batch):
            jsonl.append([event_line(n) for n in range(start, min(count, start + batch))])
        jsonl.close()
        return target

    return write


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary HOME and no key from the environment: the real home's key never applies."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("BEACON_AUDIT_KEY", "BEACON_AUDIT_KEY_FILE", "BEACON_CONFIG", "BEACON_LOG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BEACON_STATE_DIR", raising=False)
