"""`beacon logs --follow`: new lines of a stream as they are written, across rotations.

Follows the active file by identity: when the name points to a new file (the writer
rotated), the old one is read to its end first, then the new one from its start, so no
line is skipped or repeated. A file cut shorter (truncated) is read again from its start.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path


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
    position = offset if offset is not None else (_size(handle) if handle else 0)
    carry = b""
    try:
        while not stop():
            if handle is None:
                handle = _open(path)
                position, carry = 0, b""
                if handle is None:
                    sleep(interval)
                    continue
            data = os.pread(handle, 1 << 20, position)
            if data:
                position += len(data)
                lines = (carry + data).split(b"\n")
                carry = lines.pop()
                yield from lines
                continue
            replaced, truncated = _changed(path, handle, position)
            if replaced:
                while data := os.pread(handle, 1 << 20, position):  # written before the rename
                    position += len(data)
                    lines = (carry + data).split(b"\n")
                    carry = lines.pop()
                    yield from lines
                os.close(handle)
                handle = None
                continue
            if truncated:
                position, carry = 0, b""
                continue
            sleep(interval)
    finally:
        if handle is not None:
            os.close(handle)


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def _size(fd: int) -> int:
    return os.fstat(fd).st_size


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
