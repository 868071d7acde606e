"""Sentinel sink against the Logs Ingestion + Entra ID token fakes over HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import LogsIngestionServer, Scripted

from shippers._runner import Shipper
from shippers.config import SentinelOptions, ShipConfig
from shippers.testing import RotatingLog, make_event

pytestmark = pytest.mark.network


def _cfg(tmp_path: Path, log_dir: Path, server: LogsIngestionServer, **kw: Any) -> ShipConfig:
    return ShipConfig(
        sink="sentinel",
        log_dir=log_dir,
        state_dir=tmp_path / "state",
        batch_max_bytes=kw.pop("batch_max_bytes", 8192),
        poll_interval=0.02,
        retry_initial=0.02,
        retry_max=0.1,
        sentinel=SentinelOptions(dce_endpoint=server.url, dcr_id=server.dcr_id, **kw),
    )


def test_rows_follow_the_table_schema_per_stream(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
) -> None:
    """Runtime and inventory rows reach their DCR streams with TimeGenerated and Event."""
    inventory = RotatingLog(log_dir / "inventory_state.jsonl")
    for i in range(10):
        runtime_log.append(make_event(i))
    inventory.append(make_event(100, action="inventory.snapshot"))
    with runtime_log.path.open("ab") as fh:
        fh.write(b"{broken\n")
    assert Shipper(_cfg(tmp_path, log_dir, logs_ingestion)).run(once=True) == 0
    rows = logs_ingestion.rows["Custom-BeaconRuntime"]
    assert [r["Event"]["seq"] for r in rows[:10]] == list(range(10))
    first = rows[0]
    assert first["TimeGenerated"] == first["Event"]["timestamp"]
    assert first["EventId"] == first["Event"]["event"]["id"]
    assert first["EventAction"] == "tool.invoked"
    assert first["Hostname"] == "test-host" and first["HarnessName"] == "claude-code"
    assert first["BeaconStream"] == "runtime"
    assert rows[-1]["Event"] == "{broken" and "TimeGenerated" not in rows[-1]
    inv = logs_ingestion.rows["Custom-BeaconInventory"]
    assert [r["Event"]["seq"] for r in inv] == [100]
    assert logs_ingestion.token_requests >= 1


def test_requests_stay_under_one_megabyte(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
) -> None:
    """A 3 MB batch is split so no request body exceeds the 1 MB limit (no 413)."""
    runtime_log.rotate_bytes = 10**9
    for i in range(600):
        runtime_log.append(make_event(i, pad=5000))
    cfg = _cfg(tmp_path, log_dir, logs_ingestion, batch_max_bytes=5 * 1024 * 1024)
    assert Shipper(cfg).run(once=True) == 0
    rows = logs_ingestion.rows["Custom-BeaconRuntime"]
    assert [r["Event"]["seq"] for r in rows] == list(range(600))
    assert 0 < logs_ingestion.max_body_seen <= 1_000_000


def test_the_fake_rejects_bodies_over_one_megabyte(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the split limit raised past 1 MiB the service answers 413 and the stream stops."""
    runtime_log.rotate_bytes = 10**9
    for i in range(400):
        runtime_log.append(make_event(i, pad=5000))
    cfg = _cfg(
        tmp_path,
        log_dir,
        logs_ingestion,
        batch_max_bytes=4 * 1024 * 1024,
        max_request_bytes=4 * 1024 * 1024,
    )
    assert Shipper(cfg).run(once=True) == 1
    assert "HTTP 413" in capsys.readouterr().err


def test_throttling_429_honours_retry_after(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
) -> None:
    """429 with Retry-After: 1 waits about a second, then the batch is accepted."""
    import time

    runtime_log.append(make_event(0))
    throttled = {"error": {"code": "TooManyRequests", "message": "slow down"}}
    logs_ingestion.script = [Scripted(429, throttled, {"Retry-After": "1"})]
    shipper = Shipper(_cfg(tmp_path, log_dir, logs_ingestion))
    started = time.monotonic()
    assert shipper.run(once=True) == 0
    assert time.monotonic() - started >= 1.0
    assert len(logs_ingestion.rows["Custom-BeaconRuntime"]) == 1
    assert shipper.streams[0].state.counters["retries"] == 1


def test_bad_client_secret_stops_the_stream(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rejected credential is permanent, reported, and the secret is not echoed."""
    runtime_log.append(make_event(0))
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "definitely-wrong-secret")
    shipper = Shipper(
        _cfg(
            tmp_path,
            log_dir,
            logs_ingestion,
        ),
    )
    assert shipper.run(once=True) == 1
    stopped = shipper.streams[0].state.stopped or ""
    assert "Entra ID token" in stopped
    assert "definitely-wrong-secret" not in stopped
    state_text = (tmp_path / "state" / "runtime.checkpoint.json").read_text()
    assert "definitely-wrong-secret" not in state_text


def test_mixed_429_and_503_storm_delivers_everything(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    logs_ingestion: LogsIngestionServer,
) -> None:
    """A storm of throttling and unavailability is retried until every row lands."""
    for i in range(50):
        runtime_log.append(make_event(i, pad=200))
    busy = {"error": {"code": "ServiceUnavailable", "message": "busy"}}
    throttled = {"error": {"code": "TooManyRequests", "message": "slow down"}}
    logs_ingestion.script = [
        Scripted(429, throttled, {"Retry-After": "0"}) if i % 2 else Scripted(503, busy)
        for i in range(12)
    ]
    shipper = Shipper(_cfg(tmp_path, log_dir, logs_ingestion, batch_max_bytes=4096))
    assert shipper.run(once=True) == 0
    rows = logs_ingestion.rows["Custom-BeaconRuntime"]
    assert [r["Event"]["seq"] for r in rows] == list(range(50))
    assert shipper.streams[0].state.counters["retries"] == 12
