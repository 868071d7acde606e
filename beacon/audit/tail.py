"""`beacon logs --follow`: new lines of a stream as they are written, across rotations.

Follows the active file by identity. When the name points to a new file (the writer
rotated, perhaps several times since the last look), the old file is read to its end, then
every file written after it: found under the writers' lock by where the old file now sits
in the rotation chain (`.k`), they are `.k-1` … `.1` and the new active file. So no line is
skipped or repeated, unless a whole file rotated out of the kept archives in between. A
file cut shorter (truncated) is read again from its start.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

_READ = 1 << 20


def follow(
    path: Path,
    *,
    offset: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = 0.25,
) -> Iterator[bytes]:
    """Whole new lines of the file at `path` (without `\\n`), from `offset` (default: its end).

    Runs until `stop()` is true, checking every `interval` seconds when nothing is new.
    A file that does not exist yet is waited for.
    """
    handle = _open(path)
    position = offset if offset is not None else (os.fstat(handle).st_size if handle else 0)
    carry = b""
    try:
        while not stop():
            if handle is None:
                handle, position, carry = _open(path), 0, b""
                if handle is None:
                    sleep(interval)
                    continue
            data = os.pread(handle, _READ, position)
            if data:
                position += len(data)
                lines = (carry + data).split(b"\n")
                carry = lines.pop()
                yield from lines
                continue
            replaced, truncated = _changed(path, handle, position)
            if truncated:
                position, carry = 0, b""
            elif replaced:
                # Lines written before the rename, then the files written since, in order.
                while data := os.pread(handle, _READ, position):
                    position += len(data)
                    lines = (carry + data).split(b"\n")
                    carry = lines.pop()
                    yield from lines
                newer, active = _newer_files(path, handle)
                os.close(handle)
                handle = active  # None: not there yet, waited for above
                for fd in newer:
                    try:
                        yield from _whole_lines(fd)
                    finally:
                        os.close(fd)
                position, carry = 0, b""
            else:
                sleep(interval)
    finally:
        if handle is not None:
            os.close(handle)


def _open(path: Path | str) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def _changed(path: Path, fd: int, position: int) -> tuple[bool, bool]:
    """(the name points to another file now, the file is shorter than what was read)."""
    mine = os.fstat(fd)
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False, False  # mid-rotation, or removed: keep reading what is open
    if (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
        return True, False
    return False, mine.st_size < position


def _newer_files(path: Path, old: int) -> tuple[list[int], int | None]:
    """Open the archives written after `old` (oldest first) and the active file.

    Under the writers' lock (shared), so no rotation moves them while they are found.
    """
    mine = os.fstat(old)
    lock = _open(f"{path}.lock")
    try:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_SH)
        place = 0
        index = 1
        while True:
            try:
                info = os.stat(f"{path}.{index}")
            except FileNotFoundError:
                break
            if (info.st_dev, info.st_ino) == (mine.st_dev, mine.st_ino):
                place = index
                break
            index += 1
        fds = [fd for i in range(place - 1, 0, -1) if (fd := _open(f"{path}.{i}")) is not None]
        return fds, _open(path)
    finally:
        if lock is not None:
            os.close(lock)


def _whole_lines(fd: int) -> Iterator[bytes]:
    position, carry = 0, b""
    while data := os.pread(fd, _READ, position):
        position += len(data)
        lines = (carry + data).split(b"\n")
        carry = lines.pop()
        yield from lines
