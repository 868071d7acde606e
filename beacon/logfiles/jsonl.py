"""One rotated JSONL file shared by several processes: lock, seal, append whole lines, rotate.

Every append happens under `flock` on the sidecar `<file>.lock`, with `O_APPEND` and one
`write` per chunk of whole lines, so the collector and hook processes never interleave.
Rotation (`runtime.jsonl` → `.1` … `.N`) is decided under the same lock, and so is the hash
chain (`beacon.logfiles.chain`): each line is sealed after the stream's current head, read
from the file (or kept from this process's last append while the file is unchanged) and
recorded in the lock file. Stdlib only, and light (no `pathlib`, `dataclasses` or
`typing`): `beacon-hooks` appends through it.
"""

from __future__ import annotations

import fcntl
import os
import stat
from contextlib import contextmanager, suppress

from beacon.errors import StorageError
from beacon.logfiles.chain import (
    GENESIS,
    PIECES_PER_LINE,
    HeadRecord,
    Sealer,
    file_head,
    path_head,
)
from beacon.logfiles.durable import fsync_dir, write_all
from beacon.logfiles.names import ROTATE_ARCHIVES, ROTATE_BYTES

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from os import PathLike

    from beacon.logfiles.chain import ChainKey, Sha256

    StrPath = str | PathLike[str]


class FileModes:
    """Permissions for log files and the directories Beacon creates (immutable)."""

    __slots__ = ("directory", "file", "group")

    def __init__(self, file: int = 0o600, directory: int = 0o700, group: str = "") -> None:
        self.file = file
        self.directory = directory
        self.group = group

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileModes):
            return NotImplemented
        return (self.file, self.directory, self.group) == (other.file, other.directory, other.group)

    def __hash__(self) -> int:
        return hash((self.file, self.directory, self.group))

    def __repr__(self) -> str:
        return (
            f"FileModes(file={self.file:#o}, directory={self.directory:#o}, group={self.group!r})"
        )

    @classmethod
    def for_mode(cls, mode: str, group: str = "") -> FileModes:
        """`user` mode: private to the user. `system` mode: readable by one group."""
        if mode == "system":
            return cls(0o640, 0o750, group)
        return cls()


def _gid(group: str) -> int | None:
    if not group:
        return None
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise StorageError(f"writer.group: no such group {group!r}") from None


def ensure_directory(path: StrPath, modes: FileModes) -> None:
    """Create `path` and missing parents with Beacon's modes; refuse a world-writable one.

    Existing directories keep their permissions (the log dir may be the user's own folder),
    but one anybody can write to without the sticky bit is refused.
    """
    path = os.path.abspath(os.fspath(path))
    missing: list[str] = []
    probe = path
    while not os.path.exists(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    gid = _gid(modes.group)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, modes.directory)
            os.chmod(directory, modes.directory)  # exact, whatever the umask
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot create log directory {directory}: {exc.strerror}") from None
        if gid is not None:
            os.chown(directory, -1, gid)
    if not os.path.isdir(path):
        raise StorageError(f"log directory {path} is not a directory")
    info = os.stat(path)
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
        raise StorageError(f"log directory {path} is world-writable; refusing to write there")


class JsonlFile:
    """Appends newline-terminated lines to one file and its rotation chain.

    `rotate_bytes` bounds the active file; `archives` numbered files are kept. The lock is
    held only for the duration of one append (rotation included). With `integrity` (the
    default) every JSON-object line is sealed into the stream's hash chain, keyed when a
    `key` is given.
    """

    def __init__(
        self,
        path: StrPath,
        *,
        rotate_bytes: int = ROTATE_BYTES,
        archives: int = ROTATE_ARCHIVES,
        modes: FileModes | None = None,
        integrity: bool = True,
        key: ChainKey | None = None,
        sha256: Sha256 | None = None,
    ) -> None:
        self.path = path
        self._file = os.fspath(path)
        self.lock_path = self._file + ".lock"
        self.torn_path = self._file + ".torn"
        self.rotate_bytes = rotate_bytes
        self.archives = archives
        self.modes = modes or FileModes()
        self._gid = _gid(self.modes.group)
        self._fd = -1
        self._ino = -1
        self._lock_fd = -1
        self._sealer = Sealer(key, sha256) if integrity else None
        # ((inode, size, mtime), seq, hash, dropped, unchained) after this process's last
        # append: still the head while the file is unchanged (nobody appended or rotated).
        self._head: tuple[tuple[int, int, int], int, str, int, int] | None = None
        self.rotations = 0
        self.torn_repairs = 0
        self.appended = 0  # lines of the last `append` that are on disk, whole

    # -- file handles -------------------------------------------------------------------
    def _open(self, path: str, flags: int) -> int:
        # O_NOFOLLOW: a symlink planted in a shared directory must not redirect our writes.
        fd = os.open(path, flags | os.O_CLOEXEC | os.O_NOFOLLOW, self.modes.file)
        info = os.fstat(fd)
        if stat.S_IMODE(info.st_mode) != self.modes.file and info.st_uid == os.geteuid():
            os.fchmod(fd, self.modes.file)
        if self._gid is not None and info.st_gid != self._gid:
            os.fchown(fd, -1, self._gid)
        return fd

    def _current_fd(self) -> int:
        """An append fd for the path as it is now (another process may have rotated it)."""
        try:
            ino = os.stat(self._file).st_ino
        except FileNotFoundError:
            ino = -1
        if self._fd < 0 or ino != self._ino:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1  # a failed reopen must not leave a closed fd to close again
            # Readable too: the chain head is read from the file's tail through this fd.
            self._fd = self._open(self._file, os.O_RDWR | os.O_APPEND | os.O_CREAT)
            self._ino = os.fstat(self._fd).st_ino
        return self._fd

    @contextmanager
    def locked(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the cross-process lock on this file; without `wait`, `BlockingIOError` when
        another process holds it."""
        if self._lock_fd < 0:
            self._lock_fd = self._open(self.lock_path, os.O_RDWR | os.O_CREAT)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file and lock handles."""
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._lock_fd = -1
        self._head = None

    # -- writing ------------------------------------------------------------------------
    def append(self, lines: Sequence[bytes], *, fsync: bool = False, wait: bool = True) -> None:
        """Append whole lines (each ending in `\\n`), rotating before a line would overflow.

        On an error no partial line is left behind, and `appended` tells how many of `lines`
        were written (before a rotation), so a retry resumes without duplicating them (a
        retry is sealed again, after whatever is then the head). Without `wait`, a lock held
        by another process raises `BlockingIOError` and nothing is written.
        """
        self.appended = 0
        with self.locked(wait=wait):
            fd = self._current_fd()
            info = os.fstat(fd)
            size = info.st_size
            seq, prev, dropped, unchained = 0, GENESIS, 0, 0
            if self._sealer is not None:
                head = self._head
                if head is None or head[0] != (info.st_ino, size, info.st_mtime_ns):
                    size = self._cut_torn(fd, size)
                    head = self._read_head(fd, size)
                _, seq, prev, dropped, unchained = head
                self._head = None  # until this append is complete
                pieces, seq, prev = self._sealer.seal_pieces(lines, seq, prev)
                step = PIECES_PER_LINE
            else:
                pieces, step = list(lines), 1
            data = b"".join(pieces)
            if size + len(data) <= self.rotate_bytes:  # all fits: no rotation in this append
                self._write_chunk(fd, (data,), len(lines), size)
            else:
                fd, dropped = self._append_rotating(fd, size, pieces, step, fsync, dropped)
            if self._sealer is not None:
                info = os.fstat(fd)
                identity = (info.st_ino, info.st_size, info.st_mtime_ns)
                self._head = (identity, seq, prev, dropped, unchained)
                # After the lines: a crash in between leaves the record behind the file,
                # which readers take as "not yet recorded", never as lines lost.
                record = HeadRecord(seq, prev, dropped, unchained).sealed(self._sealer)
                os.pwrite(self._lock_fd, record.encode(), 0)
            if fsync:
                os.fsync(fd)

    def _append_rotating(
        self,
        fd: int,
        size: int,
        pieces: Sequence[bytes | memoryview],
        step: int,
        fsync: bool,
        dropped: int,
    ) -> tuple[int, int]:
        """Write lines (`step` pieces each), rotating before a line would overflow the file.

        Returns the fd of the file written last and the last seq that rotation deleted.
        """
        count = len(pieces) // step
        sizes = [sum(map(len, pieces[i * step : (i + 1) * step])) for i in range(count)]
        first = 0  # the first line of the chunk not yet written
        chunk_size = 0
        for index, line_size in enumerate(sizes):
            if size + chunk_size > 0 and size + chunk_size + line_size > self.rotate_bytes:
                if index > first:
                    self._write_chunk(fd, pieces[first * step : index * step], index - first, size)
                    first, chunk_size = index, 0
                if fsync:
                    os.fsync(fd)
                dropped = self._dropped_by_rotation(fd, dropped)
                fd = self._rotate()
                size = 0
            chunk_size += line_size
        if first < count:
            self._write_chunk(fd, pieces[first * step :], count - first, size)
        return fd, dropped

    def _read_head(self, fd: int, size: int) -> tuple[tuple[int, int, int], int, str, int, int]:
        """The stream's head: the last line of the file (of `.1` after a rotation), or the
        lock file's record when that is as far or further (lines were cut off the end).

        The record wins a tie: a last line replaced since it was written must not become
        the head, so the next line still links to the original. With neither, a new chain
        begins, and the lines already in the stream are counted as written before it.
        """
        link = file_head(fd, size) if size else path_head(self._file + ".1")
        record = HeadRecord.read(self._lock_fd)
        unknown = (0, 0, 0)
        if record is not None and (link is None or record.seq >= link.seq):
            return (unknown, record.seq, record.hash, record.dropped, record.unchained)
        if link is not None:
            kept = (record.dropped, record.unchained) if record else (0, 0)
            return (unknown, link.seq, link.hash, *kept)
        return (unknown, 0, GENESIS, 0, self._count_lines())

    def _count_lines(self) -> int:
        """Lines in the active file and its archives (once, when a chain begins)."""
        total = 0
        names = [self._file, *(f"{self._file}.{i}" for i in range(1, self.archives + 1))]
        for name in names:
            try:
                with open(name, "rb") as fh:
                    while block := fh.read(1 << 20):
                        total += block.count(b"\n")
            except OSError:
                continue
        return total

    def _dropped_by_rotation(self, fd: int, dropped: int) -> int:
        """The last seq of the file the coming rotation deletes (else `dropped` unchanged)."""
        if self._sealer is None:
            return dropped
        if self.archives <= 0:
            link = file_head(fd, os.fstat(fd).st_size)
        else:
            link = path_head(f"{self._file}.{self.archives}")
        return max(dropped, link.seq) if link is not None else dropped

    def _write_chunk(
        self, fd: int, pieces: Sequence[bytes | memoryview], count: int, start: int
    ) -> None:
        """Write `count` lines (given as `pieces`) at the end of the file (`start`); on error
        cut the file back to `start`.

        A full disk (or file size limit) can accept part of a write and then fail: the
        part would become a torn line in the middle of the file once the retry appends.
        """
        try:
            write_all(fd, b"".join(pieces))
        except OSError:
            with suppress(OSError):
                os.ftruncate(fd, start)
            raise
        self.appended += count

    def fsync(self) -> None:
        """Flush the active file to stable storage."""
        if self._fd >= 0:
            os.fsync(self._fd)

    def _rotate(self) -> int:
        """Shift `.i` → `.i+1`, active → `.1`, drop the oldest; return the new active fd."""
        base = self._file
        if self.archives <= 0:
            os.unlink(base)
        else:
            with suppress(FileNotFoundError):
                os.unlink(f"{base}.{self.archives}")
            for i in range(self.archives - 1, 0, -1):
                source = f"{base}.{i}"
                if os.path.exists(source):
                    os.replace(source, f"{base}.{i + 1}")
            os.replace(base, f"{base}.1")
        self.rotations += 1
        fsync_dir(os.path.dirname(os.path.abspath(base)))
        return self._current_fd()

    def repair_torn_tail(self) -> int:
        """Cut a partial last line (left by a crash) off the file; keep it in `<file>.torn`.

        Returns the number of bytes moved aside (0 when the file ends in a newline).
        """
        with self.locked():
            try:
                fd = os.open(self._file, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                return 0
            try:
                size = os.fstat(fd).st_size
                return size - self._cut_torn(fd, size)
            finally:
                os.close(fd)

    def _cut_torn(self, fd: int, size: int) -> int:
        """Move a partial last line into `<file>.torn` (lock held); returns the new size."""
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return size
        cut = _last_newline_end(fd, size)
        fragment = os.pread(fd, size - cut, cut)
        torn = self._open(self.torn_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            write_all(torn, fragment + b"\n")
            os.fsync(torn)
        finally:
            os.close(torn)
        os.ftruncate(fd, cut)
        os.fsync(fd)
        self.torn_repairs += 1
        return cut


def _last_newline_end(fd: int, size: int) -> int:
    """Offset just past the last `\\n` before `size` (0 if there is none)."""
    block = 64 * 1024
    end = size
    while end > 0:
        start = max(0, end - block)
        data = os.pread(fd, end - start, start)
        index = data.rfind(b"\n")
        if index >= 0:
            return start + index + 1
        end = start
    return 0
