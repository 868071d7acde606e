"""Delivery guarantees: pending re-send after a crash, checkpoints, retries, shutdown."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from beacon.errors import ConfigError, StorageError
from shippers._checkpoint import CheckpointStore
from shippers._retry import Shutdown
from shippers._runner import Shipper, StreamShipper
from shippers.config import ShipConfig
from shippers.sinks import PermanentError, RetryableError
from shippers.testing import InMemorySink, RotatingLog, SimulatedCrash, make_event

Seqs = Callable[[list[bytes]], list[int]]


def _config(tmp_path: Path, log_dir: Path, **overrides: object) -> ShipConfig:
    options: dict[str, object] = {
        "sink": "s3",
        "log_dir": log_dir,
        "state_dir": tmp_path / "state",
        "streams": ("runtime",),
        "batch_max_bytes": 2048,
        "max_line_bytes": 1024,
        "poll_interval": 0.01,
        "batch_max_age": 0.05,
        "retry_initial": 0.01,
        "retry_max": 0.05,
        "shutdown_deadline": 1.0,
    }
    options.update(overrides)
    return ShipConfig(**options)  # type: ignore[arg-type]


def test_crash_after_upload_resends_same_range_to_same_key(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """A batch stored but not checkpointed is re-sent once, to the same key, after restart."""
    for i in range(30):
        runtime_log.append(make_event(i))
    cfg = _config(tmp_path, log_dir)
    store = CheckpointStore(cfg.state_dir)
    store.prepare()
    sink = InMemorySink()
    sink.crash_after_store = True
    with pytest.raises(SimulatedCrash):
        StreamShipper("runtime", cfg, sink, store, Shutdown(), once=True).run()
    crashed_key = next(iter(sink.objects))
    pending = json.loads(store.path("runtime").read_bytes())["pending"]
    assert pending is not None and crashed_key == pending["key"]
    sink.crash_after_store = False
    Shipper(cfg, sink=sink).run(once=True)
    assert sink.puts == len(sink.objects) + 1
    assert seqs(sink.lines()) == list(range(30))
    assert json.loads(store.path("runtime").read_bytes())["pending"] is None


def test_checkpoint_files_are_private_and_atomic(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """State dir is 0700, checkpoint 0600, and no temp file is left behind."""
    runtime_log.append(make_event(0))
    cfg = _config(tmp_path, log_dir)
    Shipper(cfg, sink=InMemorySink()).run(once=True)
    assert stat.S_IMODE(cfg.state_dir.stat().st_mode) == 0o700
    path = cfg.state_dir / "runtime.checkpoint.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(cfg.state_dir.glob("*.tmp"))


def test_corrupt_checkpoint_is_moved_aside_and_reported(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """A garbled checkpoint raises StorageError naming the kept copy; nothing resets silently."""
    runtime_log.append(make_event(0))
    cfg = _config(tmp_path, log_dir)
    cfg.state_dir.mkdir(mode=0o700)
    (cfg.state_dir / "runtime.checkpoint.json").write_bytes(b"\x00\x00{not json")
    with pytest.raises(StorageError, match="corrupt"):
        Shipper(cfg, sink=InMemorySink()).run(once=True)
    kept = list(cfg.state_dir.glob("runtime.checkpoint.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"\x00\x00{not json"
    sink = InMemorySink()
    assert Shipper(cfg, sink=sink).run(once=True) == 0
    assert len(sink.lines()) == 1


def test_state_dir_is_locked_against_a_second_shipper(tmp_path: Path, log_dir: Path) -> None:
    """Two shippers on one state dir would double-ship; the second one is refused."""
    store = CheckpointStore(tmp_path / "state")
    store.prepare()
    fd = store.lock()
    try:
        with pytest.raises(StorageError, match="in use"):
            Shipper(_config(tmp_path, log_dir), sink=InMemorySink()).run(once=True)
    finally:
        store.unlock(fd)


def test_state_of_another_destination_is_refused(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """Reusing a state dir for a different sink is a config error, not a silent skip."""
    runtime_log.append(make_event(0))
    cfg = _config(tmp_path, log_dir)
    Shipper(cfg, sink=InMemorySink()).run(once=True)
    other = InMemorySink()
    other.destination = "memory://elsewhere"
    with pytest.raises(ConfigError, match="separate --state-dir"):
        Shipper(cfg, sink=other).run(once=True)


def test_retryable_errors_are_retried_and_counted(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """429/503-style failures are retried (honouring Retry-After) until delivered."""
    for i in range(5):
        runtime_log.append(make_event(i))
    sink = InMemorySink()
    sink.fail_next = [RetryableError("503", retry_after=0.01) for _ in range(3)]
    shipper = Shipper(_config(tmp_path, log_dir), sink=sink)
    assert shipper.run(once=True) == 0
    assert seqs(sink.lines()) == list(range(5))
    state = shipper.streams[0].state
    assert state.counters["retries"] == 3
    assert state.last_error is not None and "503" in state.last_error


def test_permanent_error_stops_the_stream_without_advancing(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 4xx stops the stream with a clear error and leaves the checkpoint where it was."""
    runtime_log.append(make_event(0))
    sink = InMemorySink()
    sink.fail_next = [PermanentError("HTTP 403 invalid token")]
    shipper = Shipper(_config(tmp_path, log_dir), sink=sink)
    assert shipper.run(once=True) == 1
    state = shipper.streams[0].state
    assert state.offset == 0 and state.pending is not None
    assert state.stopped is not None and "403" in state.stopped
    assert "403 invalid token" in capsys.readouterr().err


def test_sigterm_flushes_open_batch_within_deadline(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """A stop request ships the partial batch (age limit far away) and returns promptly."""
    cfg = _config(tmp_path, log_dir, batch_max_age=600.0, batch_max_bytes=10**6)
    sink = InMemorySink()
    shipper = Shipper(cfg, sink=sink)
    thread = threading.Thread(target=shipper.run)
    thread.start()
    for i in range(10):
        runtime_log.append(make_event(i))
    time.sleep(0.3)
    assert sink.lines() == []
    started = time.monotonic()
    shipper.request_stop()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < cfg.shutdown_deadline + 1.0
    assert seqs(sink.lines()) == list(range(10))


def test_shutdown_deadline_bounds_an_outage_and_keeps_pending(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """With the sink down, stop gives up at the deadline; the next run re-sends the batch."""
    cfg = _config(tmp_path, log_dir, shutdown_deadline=0.5)
    runtime_log.append(make_event(0))
    sink = InMemorySink()
    sink.fail_next = [RetryableError("down") for _ in range(10**6)]
    shipper = Shipper(cfg, sink=sink)
    thread = threading.Thread(target=shipper.run)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    shipper.request_stop()
    thread.join(5)
    assert time.monotonic() - started < 2.5  # deadline 0.5 s, plus scheduling slack
    assert json.loads((cfg.state_dir / "runtime.checkpoint.json").read_bytes())["pending"]
    sink.fail_next = []
    Shipper(cfg, sink=sink).run(once=True)
    assert seqs(sink.lines()) == [0]


def test_outage_with_rotation_counts_archives_deleted_unshipped(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """During a long outage the open file is still drained; newer deleted files are counted."""
    cfg = _config(tmp_path, log_dir)
    runtime_log.append(make_event(0, pad=300))
    sink = InMemorySink()
    sink.fail_next = [RetryableError("down") for _ in range(10**6)]
    shipper = Shipper(cfg, sink=sink)
    thread = threading.Thread(target=shipper.run)
    thread.start()
    i = 1
    deadline = time.monotonic() + 10
    while runtime_log.rotations < 12 and time.monotonic() < deadline:
        runtime_log.append(make_event(i, pad=300))
        i += 1
        time.sleep(0.002)
    with sink.lock:
        sink.fail_next = []
    caught_up = time.monotonic() + 20
    while time.monotonic() < caught_up and (seqs(sink.lines()) or [-1])[-1] != i - 1:
        time.sleep(0.05)
    shipper.request_stop()
    thread.join(5)
    state = shipper.streams[0].state
    shipped = seqs(sink.lines())
    assert shipped[0] == 0 and len(shipped) == len(set(shipped))
    assert state.counters["files_lost"] > 0 and state.counters["bytes_lost"] > 0
    assert shipped[-1] == i - 1
