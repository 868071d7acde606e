"""Tailer behaviour: identity, rotation chain, partial/oversize lines, truncation, loss."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from shippers._checkpoint import StreamState
from shippers._tailer import StreamTailer, fingerprint_fd, list_chain
from shippers.testing import InMemorySink, RotatingLog, make_event

Seqs = Callable[[list[bytes]], list[int]]


def test_short_file_claims_no_identity_until_first_line_completes(tmp_path: Path) -> None:
    """A file without a complete first line has no fingerprint; completing it gives one."""
    path = tmp_path / "f"
    path.write_bytes(b'{"partial":')
    fd = os.open(path, os.O_RDONLY)
    try:
        assert fingerprint_fd(fd) is None
        with path.open("ab") as fh:
            fh.write(b"1}\n")
        first = fingerprint_fd(fd)
        with path.open("ab") as fh:
            fh.write(b'{"more":2}\n')
        assert first is not None and fingerprint_fd(fd) == first
    finally:
        os.close(fd)


def test_chain_is_listed_oldest_first(runtime_log: RotatingLog) -> None:
    """`list_chain` orders .N … .1, active and ignores the lock sidecar."""
    for i in range(60):
        runtime_log.append(make_event(i, pad=200))
    (runtime_log.path.parent / "runtime.jsonl.lock").write_bytes(b"")
    entries = list_chain(runtime_log.path)
    assert [e.index for e in entries] == sorted((e.index for e in entries), reverse=True)
    assert entries[-1].path == runtime_log.path
    assert all(e.fingerprint for e in entries)


def test_every_line_shipped_once_across_rotations(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """Lines spread over the whole rotation chain arrive once each, in order."""
    for i in range(40):
        runtime_log.append(make_event(i, pad=100))
    assert runtime_log.rotations >= 1
    sink = InMemorySink()
    ship_once(sink)
    assert seqs(sink.lines()) == list(range(40))


def test_rotated_file_is_drained_before_moving_on(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """Lines appended to the active file, then rotated away between runs, are not skipped."""
    sink = InMemorySink()
    for i in range(10):
        runtime_log.append(make_event(i))
    ship_once(sink)
    for i in range(10, 70):
        runtime_log.append(make_event(i, pad=150))
    assert runtime_log.rotations >= 2
    ship_once(sink)
    assert seqs(sink.lines()) == list(range(70))


def test_partial_last_line_waits_for_its_newline(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """A torn tail of the active file is not shipped until the writer completes it."""
    sink = InMemorySink()
    runtime_log.append(make_event(0))
    line = make_event(1)
    with runtime_log.path.open("ab") as fh:
        fh.write(line[:20])
    ship_once(sink)
    assert seqs(sink.lines()) == [0]
    with runtime_log.path.open("ab") as fh:
        fh.write(line[20:])
    ship_once(sink)
    assert seqs(sink.lines()) == [0, 1]


def test_oversize_line_is_cut_flagged_and_does_not_block(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """A line over `max_line_bytes` becomes a flagged stub; later lines still ship."""
    sink = InMemorySink()
    runtime_log.rotate_bytes = 10**9
    runtime_log.append(make_event(0))
    runtime_log.append(make_event(1, pad=5000))
    runtime_log.append(make_event(2))
    shipper = ship_once(sink, max_line_bytes=1024)
    lines = sink.lines()
    assert seqs(lines) == [0, 2]
    stub = json.loads(lines[1])
    assert stub["shipper"]["line_cut"] is True
    assert stub["shipper"]["original_bytes"] > 5000
    assert len(lines[1]) <= 1024
    assert stub["event"]["id"]
    assert shipper.streams[0].state.counters["lines_cut"] == 1  # type: ignore[attr-defined]


def test_malformed_lines_are_shipped_and_counted_in_rotated_tail(
    runtime_log: RotatingLog, ship_once: Callable[..., object]
) -> None:
    """A torn line left at the end of a rotated file is shipped and counted as malformed."""
    sink = InMemorySink()
    runtime_log.append(make_event(0))
    with runtime_log.path.open("ab") as fh:
        fh.write(b'{"torn": tr')
    runtime_log.rotate()
    runtime_log.append(make_event(1))
    shipper = ship_once(sink)
    assert b'{"torn": tr' in sink.lines()
    assert shipper.streams[0].state.counters["lines_malformed"] == 1  # type: ignore[attr-defined]


def test_truncation_while_stopped_is_detected_and_new_lines_ship(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """Truncating the active file between runs is counted; lines written after ship."""
    sink = InMemorySink()
    runtime_log.rotate_bytes = 10**9
    for i in range(5):
        runtime_log.append(make_event(i))
    ship_once(sink)
    runtime_log.truncate()
    for i in range(5, 8):
        runtime_log.append(make_event(i))
    shipper = ship_once(sink)
    assert seqs(sink.lines()) == list(range(8))
    assert shipper.streams[0].state.counters["truncations"] == 1  # type: ignore[attr-defined]


def test_truncation_while_reading_is_counted(runtime_log: RotatingLog, tmp_path: Path) -> None:
    """An open file that shrinks below the read position counts a truncation and restarts."""
    runtime_log.rotate_bytes = 10**9
    for i in range(3):
        runtime_log.append(make_event(i))
    state = StreamState("runtime", "memory", "memory://")
    tailer = StreamTailer(runtime_log.path, state, 1024)
    assert tailer.resolve()
    assert tailer.read(10**6) is not None
    runtime_log.truncate()
    assert tailer.read(10**6) is None
    assert state.counters["truncations"] == 1
    runtime_log.append(make_event(9))
    chunk = tailer.read(10**6)
    assert chunk is not None and chunk.start == 0 and b'"seq":9' in chunk.data
    tailer.close()


def test_full_rotation_cycle_while_stopped_loses_nothing_within_retention(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """Five rotations while stopped (= retention) still deliver every line once."""
    sink = InMemorySink()
    runtime_log.append(make_event(0))
    ship_once(sink)
    i = 1
    while runtime_log.rotations < 5:
        runtime_log.append(make_event(i, pad=120))
        i += 1
    shipper = ship_once(sink)
    assert seqs(sink.lines()) == list(range(i))
    assert shipper.streams[0].state.counters["bytes_lost"] == 0  # type: ignore[attr-defined]


def test_bytes_lost_to_deleted_archives_are_counted(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """When the checkpointed file is deleted before shipping, the gap is reported."""
    sink = InMemorySink()
    for i in range(3):
        runtime_log.append(make_event(i))
    ship_once(sink)
    runtime_log.append(make_event(3, pad=300))
    i = 4
    while runtime_log.rotations < 9:
        runtime_log.append(make_event(i, pad=300))
        i += 1
    shipper = ship_once(sink)
    counters = shipper.streams[0].state.counters  # type: ignore[attr-defined]
    assert counters["files_lost"] == 1
    shipped = seqs(sink.lines())
    assert shipped == sorted(set(shipped)) and shipped[-1] == i - 1


def test_inode_reuse_with_new_content_is_a_new_file(
    runtime_log: RotatingLog, ship_once: Callable[..., object], seqs: Seqs
) -> None:
    """A file replaced in place by new content (different first line) is read from 0."""
    sink = InMemorySink()
    runtime_log.rotate_bytes = 10**9
    runtime_log.append(make_event(0))
    runtime_log.append(make_event(1))
    ship_once(sink)
    tmp = runtime_log.path.with_suffix(".new")
    tmp.write_bytes(make_event(2) + make_event(3) + make_event(4))
    os.replace(tmp, runtime_log.path)
    ship_once(sink)
    assert seqs(sink.lines()) == [0, 1, 2, 3, 4]
