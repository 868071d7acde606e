"""`EventWriter`: routing, schema-valid output, backpressure, drain, fsync, I/O failures."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from beacon.config import BeaconConfig, WriterConfig, load_config, with_log_dir
from beacon.logfiles.jsonl import JsonlFile
from beacon.logfiles.writer import EventWriter
from beacon.pipeline import build_pipeline
from beacon.schema import Action, load_json_schema, new_event
from beacon.schema.actions import INVENTORY_ACTIONS

REPO = Path(__file__).resolve().parents[2]


def _config(log_dir: Path, **writer: Any) -> BeaconConfig:
    config = with_log_dir(load_config(env={}), log_dir)
    return replace(config, writer=replace(config.writer, **writer))


def _writer_config(log_dir: Path, **changes: Any) -> WriterConfig:
    return _config(log_dir, **{"fsync": "never", **changes}).writer


def _events(start: int, count: int, action: str = "tool.completed") -> list[dict[str, Any]]:
    return [
        new_event(action, harness="test", message=f"seq-{n}") for n in range(start, start + count)
    ]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def _seqs(path: Path) -> list[int]:
    return [int(line["message"].removeprefix("seq-")) for line in _lines(path)]


def _wait_until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


@pytest.fixture
def fsync_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Inode numbers of every fd passed to `os.fsync` while the test runs (seam, calls through)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


# -- routing and content -----------------------------------------------------------------
def test_inventory_actions_go_to_inventory_state_and_all_others_to_runtime(
    tmp_path: Path,
) -> None:
    """Every action of the vocabulary lands in the file of its stream, once."""
    writer = EventWriter(_writer_config(tmp_path))
    writer.start()
    actions = [a.value for a in Action]
    assert writer.submit([new_event(a, harness="test") for a in actions])
    writer.close()

    inventory = [e["event"]["action"] for e in _lines(tmp_path / "inventory_state.jsonl")]
    runtime = [e["event"]["action"] for e in _lines(tmp_path / "runtime.jsonl")]
    assert sorted(inventory) == sorted(INVENTORY_ACTIONS)
    assert runtime == [a for a in actions if a not in INVENTORY_ACTIONS]
    assert writer.stats.written == {"runtime": len(runtime), "inventory": len(inventory)}
    assert writer.paths["inventory"] == tmp_path / "inventory_state.jsonl"


def test_every_written_line_validates_against_the_json_schema(tmp_path: Path) -> None:
    """Events run through `build_pipeline` are written as lines valid under the JSON Schema."""
    config = _config(tmp_path, fsync="always")
    pipeline = build_pipeline(config)
    secret = "AKIA" + "ABCDEFGHIJKLMNOP"
    raw_events = [
        new_event(
            "prompt.submitted",
            harness="claude-code",
            session={"id": "s1"},
            prompt={"text": f"deploy with {secret} " + "é" * 5000},
        ),
        new_event(
            "tool.completed",
            harness="claude-code",
            session={"id": "s1"},
            tool={
                "name": "Bash",
                "command": "curl -H 'Authorization: Bearer "
                "abcdefghijklmnopqrstuvwxyz012345' https://x",
            },
            command={"command": "ls", "exit_code": 0, "output": "o" * 9000},
        ),
        new_event(
            "mcp.tool_invoked",
            harness="codex",
            mcp={"server": "gh", "tool": "search"},
            raw={"args": {"token": "ghp_" + "a" * 36}, "blob": "b" * 200_000},
        ),
        new_event("file.modified", harness="gemini", file={"path": "/x.py", "diff": "+" * 70_000}),
        new_event("inventory.heartbeat", harness="beacon"),
        new_event("inventory.snapshot", harness="beacon", message="snapshot"),
    ]
    processed = pipeline.process_batch(raw_events)
    assert len(processed) == len(raw_events)
    writer = EventWriter(config.writer)
    writer.start()
    assert writer.submit(processed)
    writer.close()

    validator = Draft202012Validator(load_json_schema())
    lines = [
        line
        for name in ("runtime.jsonl", "inventory_state.jsonl")
        for line in (tmp_path / name).read_bytes().splitlines()
    ]
    assert len(lines) == len(raw_events)
    for line in lines:
        errors = [e.message for e in validator.iter_errors(json.loads(line))]
        assert errors == [], errors
        assert secret.encode() not in line
        assert len(line) <= config.limits.max_event_bytes


# -- queue, backpressure, close ----------------------------------------------------------
def test_full_queue_rejects_at_once_and_accepted_events_are_written_after_release(
    tmp_path: Path,
) -> None:
    """With the file lock held elsewhere, a full queue returns False and counts `rejected`."""
    writer = EventWriter(_writer_config(tmp_path, queue_events=10))
    writer.start()
    runtime = tmp_path / "runtime.jsonl"
    blocker = JsonlFile(runtime)
    try:
        with blocker.locked():
            assert writer.submit(_events(0, 6))
            assert writer.submit(_events(6, 4))
            assert not writer.submit(_events(100, 1))
            started = time.monotonic()
            assert not writer.submit(_events(200, 2), timeout=0.2)
            assert time.monotonic() - started >= 0.2
            assert writer.stats.rejected == 3
            assert writer.queue_depth == 10
            time.sleep(0.05)  # the writer thread is parked on the lock, not writing
            assert _lines(runtime) == []
        _wait_until(lambda: writer.stats.written["runtime"] == 10, "the 10 accepted events")
        assert writer.submit(_events(10, 1))
    finally:
        blocker.close()
        writer.close()
    assert _seqs(runtime) == list(range(11))
    assert writer.stats.submitted == 11 and writer.stats.rejected == 3
    assert writer.stats.unwritten_at_close == 0 and writer.queue_depth == 0


def test_submit_with_timeout_waits_for_room_and_then_accepts(tmp_path: Path) -> None:
    """A producer willing to wait gets in once the writer frees queue space."""
    writer = EventWriter(_writer_config(tmp_path, queue_events=5))
    writer.start()
    lock_fd = os.open(tmp_path / "runtime.jsonl.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        assert writer.submit(_events(0, 5))
        release = threading.Timer(0.2, fcntl.flock, (lock_fd, fcntl.LOCK_UN))
        release.start()
        assert writer.submit(_events(5, 5), timeout=10)
        release.join()
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
        writer.close()
    assert _seqs(tmp_path / "runtime.jsonl") == list(range(10))
    assert writer.stats.rejected == 0


def test_close_drains_every_accepted_event_in_order(tmp_path: Path) -> None:
    """Submit many batches, close at once: every event is on disk, in submission order."""
    writer = EventWriter(_writer_config(tmp_path))
    writer.start()
    total = 0
    for size in [1, 7, 50, 3] * 25:
        assert writer.submit(_events(total, size))
        total += size
    writer.close()
    assert _seqs(tmp_path / "runtime.jsonl") == list(range(total))
    assert writer.stats.written["runtime"] == total == writer.stats.submitted
    assert writer.stats.unwritten_at_close == 0
    assert not writer.submit(_events(total, 1))  # closed: refused, and counted
    assert writer.stats.rejected == 1


# -- fsync policy ------------------------------------------------------------------------
def test_fsync_always_syncs_the_log_file_after_every_batch(
    tmp_path: Path, fsync_calls: list[int]
) -> None:
    """With `fsync = "always"` each written batch is followed by an fsync of `runtime.jsonl`."""
    writer = EventWriter(_writer_config(tmp_path, fsync="always"))
    writer.start()
    try:
        for batch in range(3):
            assert writer.submit(_events(batch, 1))
            _wait_until(lambda b=batch: writer.stats.written["runtime"] == b + 1, "a batch")
            inode = (tmp_path / "runtime.jsonl").stat().st_ino
            _wait_until(lambda b=batch, i=inode: fsync_calls.count(i) >= b + 1, "its fsync")
    finally:
        writer.close()


def test_fsync_interval_defers_to_the_interval_and_close(
    tmp_path: Path, fsync_calls: list[int]
) -> None:
    """`interval` does not fsync per batch; it does once the interval passes, and on close."""
    writer = EventWriter(_writer_config(tmp_path, fsync="interval", fsync_interval=60.0))
    writer.start()
    assert writer.submit(_events(0, 3))
    _wait_until(lambda: writer.stats.written["runtime"] == 3, "the batch")
    time.sleep(0.05)
    assert fsync_calls == []
    writer.close()
    assert (tmp_path / "runtime.jsonl").stat().st_ino in fsync_calls

    fsync_calls.clear()
    writer = EventWriter(_writer_config(tmp_path / "short", fsync="interval", fsync_interval=0.05))
    writer.start()
    try:
        assert writer.submit(_events(0, 1))
        inode_of = lambda: (tmp_path / "short" / "runtime.jsonl").stat().st_ino  # noqa: E731
        _wait_until(lambda: writer.stats.written["runtime"] == 1, "the batch")
        _wait_until(lambda: inode_of() in fsync_calls, "the interval fsync", timeout=5)
    finally:
        writer.close()


def test_fsync_never_does_not_sync(tmp_path: Path, fsync_calls: list[int]) -> None:
    """`never` leaves durability to the OS: no fsync while running or on close."""
    writer = EventWriter(_writer_config(tmp_path, fsync="never"))
    writer.start()
    assert writer.submit(_events(0, 5))
    writer.close()
    assert len(_lines(tmp_path / "runtime.jsonl")) == 5
    assert fsync_calls == []


# -- I/O failures ------------------------------------------------------------------------
def test_deleted_log_directory_is_recreated_and_no_accepted_event_is_lost(
    tmp_path: Path,
) -> None:
    """Removing the log dir mid-run: the writer recreates it (0700) and writes every event."""
    log_dir = tmp_path / "logs"
    writer = EventWriter(_writer_config(log_dir))
    writer.start()
    try:
        assert writer.submit(_events(0, 5))
        _wait_until(lambda: writer.stats.written["runtime"] == 5, "the first batch")
        shutil.rmtree(log_dir)
        assert writer.submit(_events(5, 5))
        assert writer.submit(_events(10, 1, action="inventory.heartbeat"))
        _wait_until(lambda: writer.stats.written["runtime"] == 10, "the second batch")
        _wait_until(lambda: writer.stats.written["inventory"] == 1, "the inventory event")
    finally:
        writer.close()
    assert _seqs(log_dir / "runtime.jsonl") == list(range(5, 10))
    assert _seqs(log_dir / "inventory_state.jsonl") == [10]
    assert log_dir.stat().st_mode & 0o777 == 0o700
    assert writer.stats.errors >= 1
    assert writer.stats.unwritten_at_close == 0


def test_write_failure_is_reported_and_retried_until_the_path_works_again(
    tmp_path: Path,
) -> None:
    """Log dir replaced by a regular file: errors are counted and named, then events land."""
    log_dir = tmp_path / "logs"
    writer = EventWriter(_writer_config(log_dir))
    writer.start()
    try:
        assert writer.submit(_events(0, 2))
        _wait_until(lambda: writer.stats.written["runtime"] == 2, "the first batch")
        shutil.rmtree(log_dir)
        log_dir.write_text("a file where the log directory was")
        assert writer.submit(_events(2, 3))
        _wait_until(lambda: writer.stats.errors >= 2, "retried errors")
        assert str(log_dir) in writer.stats.last_error
        assert writer.stats.written["runtime"] == 2 and writer.queue_depth == 3
        log_dir.unlink()
        _wait_until(lambda: writer.stats.written["runtime"] == 5, "the retried batch")
    finally:
        writer.close()
    assert _seqs(log_dir / "runtime.jsonl") == [2, 3, 4]
    assert writer.stats.unwritten_at_close == 0


_FSIZE_SCRIPT = r"""
import json, resource, sys, time
from dataclasses import replace
from beacon.config import load_config, with_log_dir
from beacon.schema import new_event
from beacon.logfiles.chain import GENESIS, Sealer
from beacon.logfiles.writer import EventWriter, serialize

def event(n, pad=250):
    return new_event("tool.completed", harness="test", message=f"seq-{n:03d}",
                     raw={"pad": "p" * pad})

def size_on_disk(n, pad=250):  # sealed into the hash chain as line n + 1
    return len(Sealer().seal([serialize(event(n, pad))], n, GENESIS)[0][0])

small, big = sum(size_on_disk(n) for n in range(13)), size_on_disk(13, 3000)
# 13 small lines fill runtime.jsonl up to the size limit; the big one rotates to a new file.
rotate_bytes, limit = small + big - 1, small + 10
config = with_log_dir(load_config(env={}), sys.argv[1]).writer
writer = EventWriter(replace(config, fsync="never", rotate_bytes=rotate_bytes))
writer.start()

def wait(predicate):
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, writer.stats
        time.sleep(0.005)

soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))  # like a disk filling up
assert writer.submit([event(n) for n in range(10)])
wait(lambda: writer.stats.written["runtime"] == 10)
# 3 lines fit, the big one rotates, the rest overflows the new file part-way: EFBIG.
assert writer.submit([event(10), event(11), event(12), event(13, 3000)]
                     + [event(n) for n in range(14, 34)])
wait(lambda: writer.stats.errors >= 2)
stuck = writer.stats.written["runtime"]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space freed
wait(lambda: writer.stats.written["runtime"] == 34)
writer.close()
print(json.dumps({"stuck": stuck, "errors": writer.stats.errors,
                  "last_error": writer.stats.last_error,
                  "unwritten": writer.stats.unwritten_at_close}))
"""


def test_file_size_limit_error_is_retried_without_torn_lost_or_duplicated_lines(
    tmp_path: Path,
) -> None:
    """A real EFBIG (partial write, then error) after a rotation resumes with whole lines only."""
    proc = subprocess.run(
        [sys.executable, "-c", _FSIZE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["stuck"] == 13  # the lines before the rotation are counted as written
    assert result["errors"] >= 2 and "too large" in result["last_error"].lower()
    assert result["unwritten"] == 0
    chain = sorted(tmp_path.glob("runtime.jsonl.*[0-9]"), key=lambda p: -int(p.suffix[1:]))
    assert [n for path in [*chain, tmp_path / "runtime.jsonl"] for n in _seqs(path)] == list(
        range(34)
    )


def test_an_idle_writer_writes_a_batch_in_the_producers_thread(tmp_path: Path) -> None:
    """Nothing queued or being written: the batch is on disk, and acknowledged, before
    `submit` returns, in the caller's thread (no hand-over to the writer thread)."""
    writer = EventWriter(_writer_config(tmp_path, queue_events=100))
    writer.start()
    acks: list[tuple[bool, str]] = []
    try:
        assert writer.submit(
            _events(0, 3), on_written=lambda ok: acks.append((ok, threading.current_thread().name))
        )
        assert acks == [(True, threading.current_thread().name)]
        assert _seqs(tmp_path / "runtime.jsonl") == [0, 1, 2]
        assert writer.queue_depth == 0
    finally:
        writer.close()


def test_a_lock_held_by_another_process_never_blocks_the_producer(tmp_path: Path) -> None:
    """With the cross-process lock taken, `submit` queues at once; the writer thread writes
    and acknowledges once the lock is free, in order with later batches."""
    writer = EventWriter(_writer_config(tmp_path, queue_events=100))
    writer.start()
    acks: list[bool] = []
    blocker = JsonlFile(tmp_path / "runtime.jsonl")
    try:
        with blocker.locked():
            started = time.monotonic()
            assert writer.submit(_events(0, 2), on_written=acks.append)
            assert writer.submit(_events(2, 2), on_written=acks.append)
            assert time.monotonic() - started < 5  # bounded: not waiting for the lock
            assert acks == [] and writer.queue_depth == 4
        _wait_until(lambda: acks == [True, True], "both batches acknowledged")
    finally:
        blocker.close()
        writer.close()
    assert _seqs(tmp_path / "runtime.jsonl") == [0, 1, 2, 3]
