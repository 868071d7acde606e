"""The dashboard's index: incremental, keyed by file identity and size, kept in the state
directory, and always the same numbers as reading the whole log."""

from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from demo_log import build

from beacon.audit.query import Filter, parse_time
from beacon.audit.reader import snapshot
from beacon.audit.sessions import sessions, summaries_of
from beacon.audit.usage import add_usage, usage_totals
from beacon.config import load_config
from beacon.dashboard.index import LogIndex
from beacon.ingest import write_events

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def write(log_dir: Path, events: list[dict[str, object]], rotate_bytes: int = 10 << 20) -> None:
    config = load_config(None, env={})
    config = replace(
        config,
        writer=replace(
            config.writer, log_dir=str(log_dir), rotate_bytes=rotate_bytes, rotate_archives=50
        ),
    )
    assert write_events([dict(e) for e in events], config) == len(events)


def all_events(log_dir: Path) -> list[dict[str, object]]:
    from beacon.audit.query import search

    return [m.event for m in search(log_dir, Filter(), newest_first=False)]


def check_matches_the_log(index: LogIndex, log_dir: Path) -> None:
    """The index's sessions, usage and counts are those of reading every line."""
    view = index.update("runtime")
    events = all_events(log_dir)
    assert view.events == len(events)
    expected = [s.to_dict() for s in sessions(log_dir)]
    assert [s.to_dict() for s in summaries_of(view.tallies().values())] == expected
    rows: dict = {}
    add_usage(rows, events)
    assert usage_totals(view.usage()).to_dict() == usage_totals(rows).to_dict()
    assert sum(view.counter("actions").values()) == len(events)


@pytest.fixture
def demo() -> list[dict[str, object]]:
    return build(NOW)


def test_an_update_reads_only_what_was_appended(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo[:20])
    index = LogIndex(log_dir, state)
    index.update("runtime")
    assert index.progress["runtime"].total == (log_dir / "runtime.jsonl").stat().st_size
    size = (log_dir / "runtime.jsonl").stat().st_size
    write(log_dir, demo[20:])
    grown = (log_dir / "runtime.jsonl").stat().st_size
    index.update("runtime")
    assert index.progress["runtime"].total == grown - size  # only the new bytes
    check_matches_the_log(index, log_dir)
    assert index.progress["runtime"].total == 0  # nothing new: nothing read
    again = LogIndex(log_dir, state)  # a new process: the stored entry is reused
    again.update("runtime")
    assert again.progress["runtime"].total == 0


def test_rotation_keeps_the_entries_of_renamed_files(tmp_path: Path, demo: list) -> None:
    """Archives are the same files renamed: nothing is read twice; counts stay exact."""
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo[:25], rotate_bytes=8192)
    index = LogIndex(log_dir, state)
    index.update("runtime")
    archives_before = len(list(log_dir.glob("runtime.jsonl.*[0-9]")))
    before = sum(p.stat().st_size for p in log_dir.glob("runtime.jsonl*") if p.suffix != ".lock")
    write(log_dir, demo[25:], rotate_bytes=8192)
    assert len(list(log_dir.glob("runtime.jsonl.*[0-9]"))) > archives_before
    view = index.update("runtime")
    after = sum(f.size for f in view.files)
    assert index.progress["runtime"].total == after - before  # each byte read once
    check_matches_the_log(index, log_dir)


def test_a_rewritten_file_is_read_again(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo[:10])
    index = LogIndex(log_dir, state)
    index.update("runtime")
    path = log_dir / "runtime.jsonl"
    data = path.read_bytes()
    at = data.rindex(b"passed")
    changed = data[:at] + b"PASSED" + data[at + 6 :]  # the same size, not in the first bytes
    assert changed != data and changed[:4096] == data[:4096]
    path.write_bytes(changed)
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    view = index.update("runtime")
    assert index.progress["runtime"].total == len(data)
    assert view.events == 10


def test_gzip_archives_and_torn_lines(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo, rotate_bytes=8192)
    oldest = sorted(log_dir.glob("runtime.jsonl.*[0-9]"), key=lambda p: int(p.suffix[1:]))[-1]
    with oldest.open("rb") as src, gzip.open(f"{oldest}.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    oldest.unlink()
    index = LogIndex(log_dir, state)
    check_matches_the_log(index, log_dir)
    with (log_dir / "runtime.jsonl").open("ab") as handle:
        handle.write(
            b'{"timestamp":"2026-12-10T11:00:00.000Z","event":{"act'
        )  # a write in progress
    view = index.update("runtime")
    assert view.events == len(demo)  # the torn line is not counted …
    with (log_dir / "runtime.jsonl").open("ab") as handle:
        handle.write(b'ion":"prompt.submitted"},"session":{"id":"late"}}\n')
    view = index.update("runtime")
    assert view.events == len(demo) + 1  # … until it is complete
    assert "late" in view.tallies()


def test_the_index_lives_in_the_state_directory_only(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo)
    before = sorted(os.listdir(log_dir))
    index = LogIndex(log_dir, state)
    index.update("runtime")
    assert sorted(os.listdir(log_dir)) == before
    stored = list(index.root.glob("runtime.*.json"))
    assert len(stored) == 1 and index.root.is_relative_to(state / "dashboard" / "index")
    assert stored[0].stat().st_mode & 0o777 == 0o600
    assert index.root.stat().st_mode & 0o777 == 0o700


def test_a_damaged_index_entry_is_rebuilt_from_the_log(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo)
    index = LogIndex(log_dir, state)
    index.update("runtime")
    (stored,) = index.root.glob("runtime.*.json")
    stored.write_bytes(b"{not json")
    fresh = LogIndex(log_dir, state)
    check_matches_the_log(fresh, log_dir)
    assert orjson.loads(stored.read_bytes())["events"] == len(demo)


def test_an_unwritable_state_directory_still_indexes_in_memory(tmp_path: Path, demo: list) -> None:
    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo)
    state.write_text("a file where the state directory should be")
    index = LogIndex(log_dir, state)
    view = index.update("runtime")
    assert view.events == len(demo)
    assert index.save_error is not None and str(index.root) in index.save_error


def test_keep_skips_files_that_cannot_hold_a_match(tmp_path: Path, demo: list) -> None:
    """A window after a file's last event, or a session not in it, skips the file; the
    search answer is the same either way."""
    from beacon.audit.query import search

    log_dir, state = tmp_path / "logs", tmp_path / "state"
    write(log_dir, demo, rotate_bytes=8192)
    view = LogIndex(log_dir, state).update("runtime")
    for where in (
        Filter(since=parse_time("2026-12-09T00:00:00Z")),
        Filter(until=parse_time("2026-12-07T00:00:00Z")),
        Filter(sessions=("5b9e0c44",)),
    ):
        keep = view.keep(where)
        with snapshot(log_dir, "runtime") as snap:
            kept = [f for f in snap.files if keep(f)]
            assert 0 < len(kept) < len(snap.files), where
        full = [m.line for m in search(log_dir, where)]
        assert full and [m.line for m in search(log_dir, where, keep=keep)] == full
