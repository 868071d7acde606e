"""Tailer for one stream: follows `<name>`, `<name>.1` … `<name>.N` as the writer rotates.

File identity is a SHA-256 of the first line (at most the first 1024 bytes) with dev/inode
as tie-breaker; a file without a complete first line claims no identity yet. The tailer
keeps the current file open, so a renamed or deleted file is still drained to EOF; it
never moves past a byte without counting it (truncations, bytes lost to rotation).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from shippers._checkpoint import FileRef, StreamState

FINGERPRINT_BYTES = 1024
READ_SIZE = 1024 * 1024
DONE_KEEP = 32  # fingerprints of fully shipped files remembered (well above the chain length)
_SUFFIX = re.compile(r"^\.(\d+)$")
_TS = re.compile(rb'"timestamp"\s*:\s*"([^"]{1,64})"')
_EVENT_ID = re.compile(rb'"id"\s*:\s*"([0-9A-Za-z-]{8,64})"')
_DAY = re.compile(rb"\d{4}-\d{2}-\d{2}")


@dataclass
class ChainEntry:
    """One file of the rotation chain as seen by a listing (index 0 = the active file)."""

    path: Path
    index: int
    fingerprint: str | None
    dev: int
    ino: int
    size: int


@dataclass
class Chunk:
    """Complete lines read from one file range, ready to append to a batch."""

    data: bytes
    start: int
    end: int
    lines: int
    cut: int = 0
    malformed: int = 0


def fingerprint_fd(fd: int) -> str | None:
    """Hash of the first line (or first 1024 bytes); None while the file is too short."""
    head = os.pread(fd, FINGERPRINT_BYTES, 0)
    nl = head.find(b"\n")
    if nl >= 0:
        head = head[: nl + 1]
    elif len(head) < FINGERPRINT_BYTES:
        return None
    return hashlib.sha256(head).hexdigest()


def list_chain(base: Path) -> list[ChainEntry]:
    """The rotation chain, oldest first; re-listed until two listings agree (rotation race)."""
    previous: list[ChainEntry] | None = None
    for _ in range(5):
        current = _list_once(base)
        if previous is not None and [(e.path, e.ino) for e in previous] == [
            (e.path, e.ino) for e in current
        ]:
            return current
        previous = current
    return previous or []


def _list_once(base: Path) -> list[ChainEntry]:
    try:
        names = os.listdir(base.parent)
    except FileNotFoundError:
        return []
    indexed: list[tuple[int, str]] = []
    for name in names:
        if name == base.name:
            indexed.append((0, name))
        elif name.startswith(base.name):
            m = _SUFFIX.match(name[len(base.name) :])
            if m:
                indexed.append((int(m.group(1)), name))
    entries = []
    for index, name in sorted(indexed, reverse=True):
        path = base.parent / name
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            st = os.fstat(fd)
            entries.append(
                ChainEntry(path, index, fingerprint_fd(fd), st.st_dev, st.st_ino, st.st_size)
            )
        finally:
            os.close(fd)
    return entries


def first_timestamp(data: bytes) -> str | None:
    """The `timestamp` of the first line, if it has one (used for date partitions)."""
    m = _TS.search(data, 0, min(len(data), data.find(b"\n") + 1 or len(data)))
    return m.group(1).decode("ascii", "replace") if m else None


def _day_between(data: bytes, start: int, end: int) -> bytes | None:
    m = _TS.search(data, start, end)
    if m is None or not _DAY.match(m.group(1)):
        return None
    return m.group(1)[:10]


def first_day(data: bytes) -> bytes | None:
    """`YYYY-MM-DD` of the first line's timestamp (None without a usable timestamp)."""
    return _day_between(data, 0, data.find(b"\n") + 1 or len(data))


def next_day_offset(data: bytes, day: bytes) -> int | None:
    """Offset of the first line dated after `day`, or None if no line is.

    Lines dated before `day` (late events) do not count. The last line is checked first:
    logs are in time order, so most chunks need no per-line scan.
    """
    last_start = data.rfind(b"\n", 0, len(data) - 1) + 1
    last = _day_between(data, last_start, len(data))
    if last is not None and last <= day:
        return None
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos) + 1 or len(data)
        line_day = _day_between(data, pos, end)
        if line_day is not None and line_day > day:
            return pos
        pos = end
    return None


class StreamTailer:
    """Reads complete lines of one stream from its checkpoint position onward.

    The caller owns the `StreamState`; the tailer moves `state.file`, `state.offset` only
    through `resolve`/`advance` (never past un-acknowledged bytes) and bumps counters.
    """

    def __init__(self, base: Path, state: StreamState, max_line_bytes: int) -> None:
        self.base = base
        self.state = state
        self.max_line = max_line_bytes
        self.fd: int | None = None
        self.pos = state.offset

    def close(self) -> None:
        """Close the current file."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

    # -- choosing the file -------------------------------------------------------------

    def resolve(self) -> bool:
        """Find and open the checkpointed file (or the oldest one); False if none yet."""
        if self.fd is not None:
            return True
        entries = list_chain(self.base)
        st = self.state
        self._count_vanished(entries)
        if st.file is None or not st.file.fingerprint:
            # Nothing read from the current file yet (it had no complete first line). Its
            # inode may have been reused since, so trust only the list of finished files.
            return self._open_first(entries)
        match = self._find(entries, st.file)
        if match is not None:
            if match.size < st.offset or (st.file.fingerprint and match.fingerprint is None):
                st.counters["truncations"] += 1
                st.counters["bytes_lost"] += max(0, st.file.size - st.offset)
                st.offset = 0
                st.pending = None
            return self._open(match, st.offset)
        # Truncated in place, or deleted by rotation while we were stopped (its inode may
        # already be reused). Either way resume at the oldest file not fully shipped yet.
        # Its final size is unknown, so bytes_lost is a lower bound; files_lost flags it.
        st.counters["bytes_lost"] += max(0, st.file.size - st.offset)
        st.pending = None
        old, st.file, st.offset = st.file, None, 0
        opened = self._open_first(entries)
        if opened and st.file is not None and (st.file.dev, st.file.ino) == (old.dev, old.ino):
            st.counters["truncations"] += 1
        else:
            st.counters["files_lost"] += 1
        return opened

    def _find(self, entries: list[ChainEntry], ref: FileRef) -> ChainEntry | None:
        same = [e for e in entries if e.fingerprint == ref.fingerprint]
        same.sort(key=lambda e: (e.dev, e.ino) != (ref.dev, ref.ino))
        return same[0] if same else None

    def _open_first(self, entries: list[ChainEntry]) -> bool:
        """Open the oldest file with an identity that was not shipped to the end already."""
        for entry in entries:
            if entry.fingerprint is not None and entry.fingerprint not in self.state.done:
                return self._open(entry, 0)
        return False

    def _open(self, entry: ChainEntry, offset: int) -> bool:
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (entry.dev, entry.ino):
            os.close(fd)  # renamed between listing and open; caller retries
            return False
        self.fd = fd
        fp = fingerprint_fd(fd) or ""
        self.state.file = FileRef(fp, st.st_dev, st.st_ino, st.st_size)
        self.state.offset = offset
        self.pos = offset
        self.state.seen.pop(fp, None)
        return True

    def _count_vanished(self, entries: list[ChainEntry]) -> None:
        """Files seen earlier but deleted before we reached them are bytes lost."""
        present = {e.fingerprint for e in entries}
        current = self.state.file.fingerprint if self.state.file else None
        for fp, size in list(self.state.seen.items()):
            if fp not in present and fp != current:
                self.state.counters["bytes_lost"] += size
                self.state.counters["files_lost"] += 1
                del self.state.seen[fp]
        known = set(self.state.seen)
        newer = current is None
        for e in entries:
            if e.fingerprint is None or e.fingerprint in self.state.done:
                continue
            if e.fingerprint == current:
                newer = True
            elif newer or e.fingerprint in known:
                self.state.seen[e.fingerprint] = e.size

    def note_chain(self) -> None:
        """Re-list the chain to notice files deleted unshipped (called while waiting)."""
        if self.state.file is not None:
            self._count_vanished(list_chain(self.base))

    def rotated(self) -> bool:
        """True once the open file is no longer the active `<name>` (writer moved on)."""
        if self.fd is None:
            return False
        mine = os.fstat(self.fd)
        try:
            active = os.stat(self.base)
        except FileNotFoundError:
            return True
        return (mine.st_dev, mine.st_ino) != (active.st_dev, active.st_ino)

    def advance(self) -> bool:
        """Leave the drained, rotated file for the next newer one; False if none is ready."""
        assert self.fd is not None and self.state.file is not None
        mine = os.fstat(self.fd)
        entries = list_chain(self.base)
        self._count_vanished(entries)
        position = next(
            (i for i, e in enumerate(entries) if (e.dev, e.ino) == (mine.st_dev, mine.st_ino)),
            None,
        )
        candidates = entries if position is None else entries[position + 1 :]
        candidates = [e for e in candidates if e.fingerprint not in self.state.done]
        # An archive without identity (empty, or one torn short line) never grows: skip it.
        while candidates and candidates[0].fingerprint is None and candidates[0].index != 0:
            self.state.counters["bytes_lost"] += candidates.pop(0).size
        if not candidates:
            return False
        nxt = candidates[0]
        if nxt.fingerprint is not None and nxt.fingerprint == self.state.file.fingerprint:
            return False
        self.state.done = [*self.state.done[-(DONE_KEEP - 1) :], self.state.file.fingerprint]
        self.close()
        return self._open(nxt, 0)

    # -- reading -----------------------------------------------------------------------

    def read(self, max_bytes: int, final: bool = False) -> Chunk | None:
        """Up to `max_bytes` of complete lines at `pos` (final: also a torn last line)."""
        if self.fd is None:
            return None
        st = self.state
        assert st.file is not None
        size = os.fstat(self.fd).st_size
        if not st.file.fingerprint:
            fp = fingerprint_fd(self.fd)
            if fp is None:
                return None
            st.file.fingerprint = fp
            st.seen.pop(fp, None)
        st.file.size = max(st.file.size, size)
        if size < self.pos:
            return self._truncated_while_open(size)
        if size == self.pos:
            return None
        avail = size - self.pos
        want = max(1, min(max_bytes, READ_SIZE))
        buf = os.pread(self.fd, min(avail, max(want, self.max_line + 1)), self.pos)
        end = self._scan_complete(buf[:want] if len(buf) > want else buf)
        if end == 0:  # one line longer than the room left: take it whole if within the limit
            end = buf.find(b"\n", 0, self.max_line + 1) + 1
        if end > 0:
            data = buf[:end]
            chunk = Chunk(data, self.pos, self.pos + end, data.count(b"\n"))
            self.pos += end
            return chunk
        if len(buf) > self.max_line:
            return self._cut_line(final)
        if final:
            tail = os.pread(self.fd, size - self.pos, self.pos)
            chunk = Chunk(tail + b"\n", self.pos, size, 1, malformed=1)
            self.pos = size
            return chunk
        return None

    def _scan_complete(self, buf: bytes) -> int:
        """Length of the prefix of `buf` made of complete lines no longer than the limit."""
        pos, n, limit = 0, len(buf), self.max_line
        while pos < n:
            nl = buf.rfind(b"\n", pos, min(n, pos + limit + 1))
            if nl < 0:
                break
            pos = nl + 1
        return pos

    def _cut_line(self, final: bool) -> Chunk | None:
        """A line over the limit: find its end without holding it, emit a flagged stub."""
        assert self.fd is not None and self.state.file is not None
        head = os.pread(self.fd, self.max_line, self.pos)
        scan = self.pos + len(head)
        while True:
            block = os.pread(self.fd, READ_SIZE, scan)
            if not block:
                if not final:
                    return None  # the writer is still writing it; wait for the newline
                end = scan
                break
            nl = block.find(b"\n")
            if nl >= 0:
                end = scan + nl + 1
                break
            scan += len(block)
        stub = cut_stub(head, self.state.file.file_id, self.pos, end - self.pos, self.max_line)
        chunk = Chunk(stub, self.pos, end, 1, cut=1)
        self.pos = end
        return chunk

    def _truncated_while_open(self, size: int) -> Chunk | None:
        st = self.state
        assert st.file is not None
        st.counters["truncations"] += 1
        st.counters["bytes_lost"] += max(0, st.file.size - self.pos)
        st.file = FileRef("", st.file.dev, st.file.ino, size)
        st.offset = 0
        self.pos = 0
        st.pending = None
        return None


def cut_stub(head: bytes, file_id: str, offset: int, length: int, limit: int) -> bytes:
    """The JSON line that replaces an over-long line: its head, id, timestamp and a flag."""
    doc: dict[str, object] = {}
    ts = _TS.search(head)
    if ts:
        doc["timestamp"] = ts.group(1).decode("ascii", "replace")
    eid = _EVENT_ID.search(head)
    if eid:
        doc["event"] = {"id": eid.group(1).decode("ascii")}
    doc["shipper"] = {
        "line_cut": True,
        "original_bytes": length,
        "file_id": file_id,
        "offset": offset,
    }
    doc["raw_head"] = head[: max(0, limit - 512)].decode("utf-8", "replace")
    line = json.dumps(doc, ensure_ascii=False).encode()
    return line[: max(limit, 256) - 1] + b"\n" if len(line) >= limit else line + b"\n"
