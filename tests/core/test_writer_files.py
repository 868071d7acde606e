"""`beacon.logfiles.jsonl` on disk: rotation chain, oversize lines, modes, torn-tail repair."""

from __future__ import annotations

import grp
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from beacon.config import WriterConfig, load_config, with_log_dir
from beacon.errors import StorageError
from beacon.logfiles.jsonl import FileModes, JsonlFile, ensure_directory
from beacon.logfiles.writer import EventWriter
from beacon.schema import new_event


def _writer_config(log_dir: Path, **changes: object) -> WriterConfig:
    config = with_log_dir(load_config(env={}), log_dir)
    return replace(config.writer, fsync="never", **changes)


def _line(n: int, pad: int = 60) -> bytes:
    return json.dumps({"n": n, "pad": "x" * pad}).encode() + b"\n"


def _chain(path: Path) -> list[Path]:
    """The rotation chain oldest first: `.K` … `.1`, then the active file."""
    archives = sorted(
        (p for p in path.parent.glob(path.name + ".*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
        reverse=True,
    )
    return [*archives, path]


def _numbers(path: Path) -> list[int]:
    return [json.loads(line)["n"] for line in path.read_bytes().splitlines()]


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# -- rotation ----------------------------------------------------------------------------
def test_rotation_keeps_exactly_n_archives_holding_the_newest_lines(tmp_path: Path) -> None:
    """After many rotations only `.1`..`.N` remain, and the chain is the newest lines in order."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path, rotate_bytes=1000, archives=3)
    written = 0
    for size in [1, 3, 1, 2, 5, 1] * 20:  # single and multi-line appends
        jsonl.append([_line(written + i) for i in range(size)])
        written += size
    jsonl.close()

    assert jsonl.rotations > 10
    assert [p.name for p in _chain(path)] == [
        "runtime.jsonl.3",
        "runtime.jsonl.2",
        "runtime.jsonl.1",
        "runtime.jsonl",
    ]
    assert not path.with_name("runtime.jsonl.4").exists()
    numbers = [n for p in _chain(path) for n in _numbers(p)]
    assert numbers == list(range(written - len(numbers), written))  # newest, contiguous
    for older, newer in pairwise(_chain(path)):
        assert older.stat().st_size <= 1000
        first_of_newer = newer.read_bytes().split(b"\n", 1)[0] + b"\n"
        assert older.stat().st_size + len(first_of_newer) > 1000  # rotated only when needed


def test_line_larger_than_rotate_bytes_sits_alone_in_its_file(tmp_path: Path) -> None:
    """An oversize line is written whole into a file of its own; no file is left empty."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path, rotate_bytes=200, archives=10)
    jsonl.append([_line(0, 500)])  # oversize into an empty file: no rotation first
    jsonl.append([_line(1), _line(2, 400), _line(3)])
    jsonl.close()

    files = _chain(path)
    assert [_numbers(p) for p in files] == [[0], [1], [2], [3]]
    for p in files:
        assert p.stat().st_size <= 200 or len(_numbers(p)) == 1


def test_zero_archives_discards_the_full_file_on_rotation(tmp_path: Path) -> None:
    """With `archives=0` rotation deletes the full file and no `.1` is ever created."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path, rotate_bytes=300, archives=0)
    for n in range(20):
        jsonl.append([_line(n)])
    jsonl.close()
    assert _chain(path) == [path]
    assert _numbers(path)[-1] == 19 and path.stat().st_size <= 300


def test_writer_applies_rotate_bytes_and_archives_from_config(tmp_path: Path) -> None:
    """`EventWriter` rotates `runtime.jsonl` at `rotate_bytes` and keeps `rotate_archives`."""
    writer = EventWriter(_writer_config(tmp_path, rotate_bytes=2000, rotate_archives=2))
    writer.start()
    for n in range(100):
        assert writer.submit(
            [new_event("tool.completed", harness="test", message=f"m{n}")], timeout=10
        )
    writer.close()
    chain = _chain(tmp_path / "runtime.jsonl")
    assert [p.name for p in chain] == ["runtime.jsonl.2", "runtime.jsonl.1", "runtime.jsonl"]
    messages = [json.loads(line)["message"] for p in chain for line in p.read_bytes().splitlines()]
    assert messages == [f"m{n}" for n in range(100 - len(messages), 100)]
    assert all(p.stat().st_size <= 2000 for p in chain)


# -- permissions -------------------------------------------------------------------------
@pytest.mark.parametrize("mask", [0o000, 0o077], ids=["umask000", "umask077"])
@pytest.mark.parametrize(
    ("mode", "file_mode", "dir_mode"), [("user", 0o600, 0o700), ("system", 0o640, 0o750)]
)
def test_created_files_and_directories_get_exact_modes_whatever_the_umask(
    tmp_path: Path, mask: int, mode: str, file_mode: int, dir_mode: int
) -> None:
    """Log, lock, torn and archive files and every created directory get the mode's permissions."""
    group = grp.getgrgid(os.getegid()).gr_name if mode == "system" else ""
    log_dir = tmp_path / "home" / "a" / "logs"
    config = _writer_config(log_dir, mode=mode, group=group, rotate_bytes=600)
    with _umask(mask):
        writer = EventWriter(config)
        writer.start()
        writer.submit([new_event("tool.completed", harness="test", message="x" * 100)] * 12)
        writer.submit([new_event("inventory.heartbeat", harness="test")])
        writer.close()
        with (log_dir / "runtime.jsonl").open("ab") as fh:
            fh.write(b'{"torn":')  # a crash mid-line: the next start creates the .torn file
        writer = EventWriter(config)
        writer.start()
        writer.close()

    names = {p.name for p in log_dir.iterdir()}
    assert {
        "runtime.jsonl",
        "runtime.jsonl.1",
        "runtime.jsonl.lock",
        "runtime.jsonl.torn",
        "inventory_state.jsonl",
        "inventory_state.jsonl.lock",
    } <= names
    for path in log_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == file_mode, path.name
        if group:
            assert path.stat().st_gid == os.getegid()
    for directory in (tmp_path / "home", tmp_path / "home" / "a", log_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == dir_mode, directory
    for path in (tmp_path / "home").rglob("*"):
        assert not path.stat().st_mode & stat.S_IWOTH, path


def test_existing_log_file_is_tightened_and_existing_directory_kept(tmp_path: Path) -> None:
    """A pre-existing 0666 log file becomes 0600; the user's own 0755 directory is left alone."""
    tmp_path.chmod(0o755)
    (tmp_path / "runtime.jsonl").write_bytes(b"")
    (tmp_path / "runtime.jsonl").chmod(0o666)
    writer = EventWriter(_writer_config(tmp_path))
    writer.start()
    writer.submit([new_event("tool.completed", harness="test")])
    writer.close()
    assert stat.S_IMODE((tmp_path / "runtime.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_world_writable_log_directory_is_refused(tmp_path: Path) -> None:
    """A log directory anybody can write to (no sticky bit) raises `StorageError` on start."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log_dir.chmod(0o777)
    writer = EventWriter(_writer_config(log_dir))
    with pytest.raises(StorageError, match="world-writable"):
        writer.start()
    assert list(log_dir.iterdir()) == []


def test_log_directory_under_a_regular_file_is_a_storage_error(tmp_path: Path) -> None:
    """A path component that is a file cannot hold the log directory: `StorageError`."""
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageError, match="cannot create log directory"):
        ensure_directory(tmp_path / "file" / "logs", FileModes.for_mode("user"))
    with pytest.raises(StorageError, match="not a directory"):
        ensure_directory(tmp_path / "file", FileModes.for_mode("user"))


# -- torn tail ---------------------------------------------------------------------------
def test_torn_last_line_is_moved_aside_on_start_and_new_events_append_cleanly(
    tmp_path: Path,
) -> None:
    """A partial last line goes to `<file>.torn`; the file ends in `\\n` and keeps growing."""
    runtime, inventory = tmp_path / "runtime.jsonl", tmp_path / "inventory_state.jsonl"
    whole = b"".join(_line(n) for n in range(3))
    runtime.write_bytes(whole + b'{"n": 3, "pad": "xx')
    inventory.write_bytes(b'{"only": "a frag')  # no newline at all

    writer = EventWriter(_writer_config(tmp_path))
    writer.start()
    assert runtime.read_bytes() == whole
    assert (tmp_path / "runtime.jsonl.torn").read_bytes() == b'{"n": 3, "pad": "xx\n'
    assert inventory.read_bytes() == b""
    assert (tmp_path / "inventory_state.jsonl.torn").read_bytes() == b'{"only": "a frag\n'

    writer.submit(
        [new_event("tool.completed", harness="test", message=f"new{n}") for n in range(5)]
    )
    writer.submit([new_event("inventory.snapshot", harness="test")])
    writer.close()
    lines = [json.loads(line) for line in runtime.read_bytes().splitlines()]
    assert [line.get("n") for line in lines[:3]] == [0, 1, 2]
    assert [line["message"] for line in lines[3:]] == [f"new{n}" for n in range(5)]
    assert json.loads(inventory.read_bytes())["event"]["action"] == "inventory.snapshot"
    assert runtime.read_bytes().endswith(b"\n")


def test_torn_repair_is_a_no_op_on_whole_files_and_keeps_earlier_fragments(
    tmp_path: Path,
) -> None:
    """Repair returns 0 for a file ending in `\\n`; a second torn tail is appended to `.torn`."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path)
    assert jsonl.repair_torn_tail() == 0  # missing file
    path.write_bytes(_line(0) + b"frag-one")
    assert jsonl.repair_torn_tail() == len(b"frag-one")
    assert jsonl.repair_torn_tail() == 0
    assert path.read_bytes() == _line(0)
    jsonl.append([_line(1)])
    with path.open("ab") as fh:
        fh.write(b"frag-two")
    assert jsonl.repair_torn_tail() == len(b"frag-two")
    jsonl.close()
    assert _numbers(path) == [0, 1]
    assert (tmp_path / "runtime.jsonl.torn").read_bytes() == b"frag-one\nfrag-two\n"


def test_symlink_planted_as_log_file_is_not_followed(tmp_path: Path) -> None:
    """A symlink in place of runtime.jsonl is refused, so writes cannot be redirected."""
    target = tmp_path / "elsewhere"
    target.write_text("")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "runtime.jsonl").symlink_to(target)
    jsonl = JsonlFile(log_dir / "runtime.jsonl")
    with pytest.raises(OSError):
        jsonl.append([b'{"a":1}\n'])
    assert target.read_text() == ""
