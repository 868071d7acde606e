"""Reading a stream's lines across the active file and its archives, in either direction.

A stream is `runtime.jsonl` (or `inventory_state.jsonl`) and its numbered archives `.1` …
`.N`, any of them possibly gzip-compressed (`.N.gz`, e.g. by logrotate). Readers get whole
lines in chunks (for fast byte scans) or one by one, oldest → newest or newest → oldest.
`snapshot` opens every file under the writers' lock, so a rotation or append during a long
read changes nothing that is read. Read-only: never creates or locks-for-writing a file.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from beacon.errors import UsageError
from beacon.logfiles.chain import HeadRecord
from beacon.logfiles.names import STREAM_FILES

BLOCK = 1 << 20
_ARCHIVE = re.compile(r"\.(\d+)(\.gz)?$")


class Readable(Protocol):
    """A binary file handle, plain or gzip."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a log file, without its newline; `complete` is False for a torn tail."""

    path: Path
    number: int
    data: bytes
    complete: bool = True


@dataclass(frozen=True, slots=True)
class LogFile:
    """One file of a stream, opened; reads stop at `size` (the size when it was opened).

    `ident` (device, inode) names the file across rotation renames: a position in it (a
    byte offset, of the decompressed stream for gzip files) stays valid after `runtime.jsonl`
    became `runtime.jsonl.1`.
    """

    path: Path
    handle: Readable
    size: int
    compressed: bool
    ident: tuple[int, int] = (0, 0)

    def close(self) -> None:
        """Close the handle."""
        self.handle.close()


def stream_path(log_dir: Path, stream: str) -> Path:
    """The active file of a stream (`runtime` or `inventory`)."""
    try:
        return Path(log_dir).expanduser() / STREAM_FILES[stream]
    except KeyError:
        known = ", ".join(STREAM_FILES)
        raise UsageError(f"unknown stream {stream!r} (known: {known})") from None


def stream_files(log_dir: Path, stream: str) -> list[Path]:
    """The stream's files that exist, oldest first: `.N(.gz)` … `.1(.gz)`, then the active."""
    active = stream_path(log_dir, stream)
    archives: list[tuple[int, Path]] = []
    if active.parent.is_dir():
        for path in active.parent.iterdir():
            if not path.name.startswith(active.name + "."):
                continue
            match = _ARCHIVE.fullmatch(path.name[len(active.name) :])
            if match:
                archives.append((int(match.group(1)), path))
    ordered = [path for _, path in sorted(archives, key=lambda item: -item[0])]
    if active.exists():
        ordered.append(active)
    return ordered


def open_file(path: Path) -> LogFile:
    """Open a plain or gzip log file for reading (gzip by name or by magic bytes)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - LogFile owns it
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    info = os.fstat(handle.fileno())
    ident = (info.st_dev, info.st_ino)
    if path.name.endswith(".gz") or handle.read(2) == b"\x1f\x8b":
        handle.close()
        return LogFile(path, gzip.open(path, "rb"), -1, True, ident)
    handle.seek(0)
    return LogFile(path, handle, info.st_size, False, ident)


@dataclass
class Snapshot:
    """A stream's files opened together, and the chain head its writers last recorded."""

    files: list[LogFile]
    record: HeadRecord | None

    def close(self) -> None:
        """Close every file."""
        for log_file in self.files:
            log_file.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def snapshot(log_dir: Path, stream: str) -> Snapshot:
    """Open a stream's files (oldest first) and read its head record under the writers' lock.

    The lock is shared and held only while opening: writers wait microseconds, and what is
    read afterwards is exactly the stream as it was at that moment.
    """
    active = stream_path(log_dir, stream)
    lock_path = str(active) + ".lock"
    try:
        lock_fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        lock_fd = -1
    try:
        if lock_fd >= 0:
            fcntl.flock(lock_fd, fcntl.LOCK_SH)
        files = []
        for path in stream_files(log_dir, stream):
            try:
                files.append(open_file(path))
            except UsageError:
                if path.exists():
                    raise  # unreadable, not merely rotated away in between
        record = HeadRecord.read(lock_fd) if lock_fd >= 0 else None
    finally:
        if lock_fd >= 0:
            os.close(lock_fd)  # releases the lock
    return Snapshot(files, record)


# -- chunks of whole lines ------------------------------------------------------------------
def chunks(log_file: LogFile) -> Iterator[bytes]:
    """The file's bytes in chunks that end at a newline (the last may end in a fragment)."""
    for _, chunk in chunks_at(log_file):
        yield chunk


def chunks_at(log_file: LogFile, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """`chunks` from byte `start` (a line start) on, each with its offset in the file."""
    handle, size = log_file.handle, log_file.size
    remaining = size - start if size >= 0 else -1
    if start and log_file.compressed:
        handle.seek(0)
        _skip(handle, start)
    else:
        handle.seek(start)
    offset = start
    carry = b""
    while remaining != 0:
        block = handle.read(BLOCK if remaining < 0 else min(BLOCK, remaining))
        if not block:
            break
        if remaining > 0:
            remaining -= len(block)
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            carry += block
            continue
        chunk = carry + block[:cut]
        yield offset, chunk
        offset += len(chunk)
        carry = block[cut:]
    if carry:
        yield offset, carry


def _skip(handle: Readable, count: int) -> None:
    """Read and drop `count` bytes (a gzip stream seeks by decompressing anyway)."""
    while count > 0:
        block = handle.read(min(BLOCK, count))
        if not block:
            return
        count -= len(block)


def chunks_reversed(log_file: LogFile) -> Iterator[bytes]:
    """The file's bytes newest first, in chunks of whole lines (the first may be a fragment).

    Plain files are read backwards block by block; gzip files are decompressed whole.
    """
    for _, chunk in chunks_reversed_at(log_file):
        yield chunk


def chunks_reversed_at(log_file: LogFile, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """`chunks_reversed` of the bytes before `end` (a line start; default: the whole file),
    each with its offset in the file."""
    if log_file.compressed:
        data = b"".join(chunks(log_file))
        yield from _split_backwards(data if end is None else data[:end])
        return
    handle = log_file.handle
    end = log_file.size if end is None else min(end, log_file.size)
    carry = b""
    while end > 0:
        start = max(0, end - BLOCK)
        handle.seek(start)
        block = handle.read(end - start) + carry
        end = start
        if start == 0:
            yield 0, block
            return
        cut = block.find(b"\n") + 1
        if cut == 0:
            carry = block
            continue
        carry = block[:cut]
        yield start + cut, block[cut:]
    if carry:
        yield 0, carry


def _split_backwards(data: bytes) -> Iterator[tuple[int, bytes]]:
    end = len(data)
    while end > 0:
        start = max(0, end - BLOCK)
        if start > 0:
            start = data.rfind(b"\n", 0, start) + 1
        yield start, data[start:end]
        end = start


def line_at(log_file: LogFile, offset: int) -> bytes | None:
    """The whole line that starts at byte `offset`, without its newline (None past the end,
    or when `offset` is not the start of a line)."""
    if offset < 0 or (log_file.size >= 0 and offset >= log_file.size):
        return None
    handle = log_file.handle
    if log_file.compressed:
        handle.seek(0)
        _skip(handle, max(0, offset - 1))
    else:
        handle.seek(max(0, offset - 1))
    if offset > 0 and handle.read(1) != b"\n":
        return None
    parts = []
    while block := handle.read(1 << 16):
        end = block.find(b"\n")
        if end >= 0:
            parts.append(block[:end])
            break
        parts.append(block)
    return b"".join(parts) or None


# -- lines ----------------------------------------------------------------------------------
def lines_of(log_file: LogFile) -> Iterator[Line]:
    """The file's lines oldest first, numbered from 1; a final line without `\\n` is marked."""
    number = 0
    path = log_file.path
    for chunk in chunks(log_file):
        parts = chunk.split(b"\n")
        tail = parts.pop()
        for data in parts:
            number += 1
            yield Line(path, number, data)
        if tail:
            number += 1
            yield Line(path, number, tail, complete=False)


def iter_lines(paths: Iterable[Path], *, reverse: bool = False) -> Iterator[Line]:
    """Every line of `paths` (given oldest first), oldest → newest or newest → oldest."""
    ordered = list(paths)
    if not reverse:
        for path in ordered:
            log_file = open_file(path)
            try:
                yield from lines_of(log_file)
            finally:
                log_file.close()
        return
    for path in reversed(ordered):
        log_file = open_file(path)
        try:
            number = sum(chunk.count(b"\n") for chunk in chunks(log_file))
            first = True
            for chunk in chunks_reversed(log_file):
                parts = chunk.split(b"\n")
                tail = parts.pop()
                if first and tail:  # a torn last line
                    yield Line(path, number + 1, tail, complete=False)
                elif tail:  # pragma: no cover - chunks end at newlines
                    parts.append(tail)
                first = False
                for data in reversed(parts):
                    yield Line(path, number, data)
                    number -= 1
        finally:
            log_file.close()


def stream_lines(
    log_dir: Path, stream: str = "runtime", *, reverse: bool = False
) -> Iterator[Line]:
    """Every line of a stream in the log directory (active file and archives)."""
    return iter_lines(stream_files(log_dir, stream), reverse=reverse)
