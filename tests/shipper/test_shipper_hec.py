"""Splunk HEC sink against the HEC fake: envelopes, gzip, auth, 400/403/503, acks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import HECServer, Scripted

from shippers._runner import Shipper
from shippers.config import HECOptions, ShipConfig
from shippers.testing import RotatingLog, make_event

pytestmark = pytest.mark.network


def _cfg(tmp_path: Path, log_dir: Path, url: str, **hec: Any) -> ShipConfig:
    return ShipConfig(
        sink="splunk_hec",
        log_dir=log_dir,
        state_dir=tmp_path / "state",
        streams=("runtime",),
        host="host-1",
        batch_max_bytes=8192,
        poll_interval=0.02,
        retry_initial=0.02,
        retry_max=0.1,
        splunk_hec=HECOptions(url=url, index="beacon", **hec),
    )


def test_envelopes_carry_event_time_host_source_and_sourcetype(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """Each line becomes one envelope with `time` from the event timestamp."""
    for i in range(20):
        runtime_log.append(make_event(i))
    with (log_dir / "runtime.jsonl").open("ab") as fh:
        fh.write(b"not json at all\n")
    shipper = Shipper(_cfg(tmp_path, log_dir, hec_server.url))
    assert shipper.run(once=True) == 0
    events = hec_server.events
    assert [e["event"]["seq"] for e in events[:20]] == list(range(20))
    first = events[0]
    ts = datetime.fromisoformat(first["event"]["timestamp"]).timestamp()
    assert first["time"] == pytest.approx(ts, abs=0.001)
    assert first["host"] == "host-1" and first["index"] == "beacon"
    assert first["sourcetype"] == "beacon:endpoint"
    assert first["source"].endswith("runtime.jsonl")
    assert events[-1]["event"] == "not json at all" and "time" not in events[-1]
    assert shipper.streams[0].state.counters["lines_malformed"] == 1


def test_requests_stay_under_the_size_limit(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """A batch larger than max_request_bytes is split into several requests."""
    runtime_log.rotate_bytes = 10**9
    for i in range(40):
        runtime_log.append(make_event(i, pad=400))
    cfg = _cfg(tmp_path, log_dir, hec_server.url, max_request_bytes=4000)
    assert Shipper(cfg).run(once=True) == 0
    assert hec_server.requests >= 6
    assert [e["event"]["seq"] for e in hec_server.events] == list(range(40))


def test_busy_503_storm_is_retried_until_accepted(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """503 code 9 (server busy), with and without Retry-After, is retried; nothing is lost."""
    runtime_log.append(make_event(0))
    busy = {"text": "Server is busy", "code": 9}
    hec_server.script = [Scripted(503, busy, {"Retry-After": "0"}) for _ in range(5)]
    hec_server.script += [Scripted(503, busy) for _ in range(5)]
    shipper = Shipper(_cfg(tmp_path, log_dir, hec_server.url))
    assert shipper.run(once=True) == 0
    assert [e["event"]["seq"] for e in hec_server.events] == [0]
    assert shipper.streams[0].state.counters["retries"] == 10


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"text": "Incorrect index", "code": 7}),
        (403, {"text": "Token disabled", "code": 1}),
    ],
)
def test_client_errors_stop_the_stream_with_the_hec_code(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    hec_server: HECServer,
    status: int,
    body: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """400/403 are permanent: one attempt, the stream stops, the error names the code."""
    runtime_log.append(make_event(0))
    hec_server.script = [Scripted(status, body)]
    shipper = Shipper(_cfg(tmp_path, log_dir, hec_server.url))
    assert shipper.run(once=True) == 1
    assert hec_server.requests == 1
    assert f"HTTP {status} code {body['code']}" in capsys.readouterr().err


def test_wrong_token_is_rejected_by_real_auth(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    hec_server: HECServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fake checks `Authorization: Splunk <token>`; a wrong token is 403 code 4."""
    runtime_log.append(make_event(0))
    monkeypatch.setenv("BEACON_SPLUNK_HEC_TOKEN", "wrong")
    shipper = Shipper(_cfg(tmp_path, log_dir, hec_server.url))
    assert shipper.run(once=True) == 1
    assert "code 4" in (shipper.streams[0].state.stopped or "")
    assert hec_server.events == []


def test_indexer_acknowledgement_is_awaited(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With acks on, the checkpoint moves only after /services/collector/ack says true."""
    server = HECServer(token="tok", ack=True, ack_after_polls=3)
    server.start()
    try:
        monkeypatch.setenv("BEACON_SPLUNK_HEC_TOKEN", "tok")
        for i in range(3):
            runtime_log.append(make_event(i))
        shipper = Shipper(_cfg(tmp_path, log_dir, server.url, ack=True))
        assert shipper.run(once=True) == 0
        assert [e["event"]["seq"] for e in server.events] == [0, 1, 2]
        assert all(polls >= 3 for polls in server._ack_polls.values())
        assert shipper.streams[0].state.offset == runtime_log.path.stat().st_size
    finally:
        server.stop()


def test_collector_down_then_up_and_token_never_persisted(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection refused is retried until HEC starts; the token appears in no state file."""
    import socket
    import threading
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "tok-" + "9" * 20
    monkeypatch.setenv("BEACON_SPLUNK_HEC_TOKEN", token)
    for i in range(12):
        runtime_log.append(make_event(i))
    shipper = Shipper(_cfg(tmp_path, log_dir, f"http://127.0.0.1:{port}"))
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(shipper.run(once=True)))
    thread.start()
    time.sleep(0.8)
    assert thread.is_alive() and shipper.streams[0].state.counters["retries"] >= 2
    server = HECServer(token=token, port=port)
    server.start()
    try:
        thread.join(30)
        assert result == [0]
        assert [e["event"]["seq"] for e in server.events] == list(range(12))
    finally:
        server.stop()
    for path in (tmp_path / "state").iterdir():
        assert token not in path.read_text(errors="replace")
