"""All-or-nothing file changes: back up first, write atomically, undo everything on failure.

A `Transaction` remembers each file's bytes and mode as they were before its first change
(in memory, and as a 0600 copy under the backup directory), and every directory it
created. `rollback` puts all of it back, newest first. Writes go to a temporary file in
the same directory, are fsynced and renamed over the target, so a crash leaves either the
old or the new file, never half of one. A symlinked config (dotfiles) is written through,
keeping the link.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from beacon.errors import StorageError


def sha256(data: bytes | None) -> str | None:
    """`sha256:<hex>` of `data`, None for an absent file."""
    return None if data is None else "sha256:" + hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StorageError(f"{path} is a directory, expected a file") from None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None


def file_mode(path: Path) -> int | None:
    """Permission bits of `path` (following links), None when absent."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def write_atomic(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None = None) -> None:
    """Replace `path` with `data` (temp file, fsync, rename); through a symlink if it is one."""
    target = path.resolve() if path.is_symlink() else path
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".beacon-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if owner is not None:
                os.fchown(fh.fileno(), *owner)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class FileChange:
    """One file a transaction touched: how it was before its first change."""

    path: Path
    original: bytes | None
    mode_before: int | None
    backup: Path | None
    current: bytes | None
    mode_after: int | None

    @property
    def existed(self) -> bool:
        """Whether the file existed before the transaction."""
        return self.original is not None


class Transaction:
    """Backs up, writes and, on failure, restores a set of files and directories."""

    def __init__(
        self,
        backup_dir: Path,
        *,
        owner: tuple[int, int] | None = None,
        backup: bool = True,
    ) -> None:
        self.backup_dir = backup_dir
        self.owner = owner
        self.backup = backup
        self.changes: dict[Path, FileChange] = {}
        self.created_dirs: list[Path] = []
        self._stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())

    def mkdir(self, path: Path, mode: int = 0o700, *, owner: tuple[int, int] | None = None) -> None:
        """Create `path` and its missing parents with `mode`; remember what was created."""
        missing: list[Path] = []
        probe = path
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        for directory in reversed(missing):
            try:
                os.mkdir(directory, mode)
                os.chmod(directory, mode)
            except FileExistsError:
                continue
            except OSError as exc:
                raise StorageError(f"cannot create {directory}: {exc.strerror}") from None
            if owner is not None:
                os.chown(directory, *owner)
            self.created_dirs.append(directory)

    def write(
        self, path: Path, data: bytes, mode: int = 0o600, *, owner: tuple[int, int] | None = None
    ) -> bool:
        """Make `path` hold `data` with `mode`; False (and nothing done) when it already does."""
        before = read_bytes(path)
        if before == data and file_mode(path) == mode:
            return False
        self._remember(path, before)
        self.mkdir(path.parent, 0o700, owner=owner)
        try:
            write_atomic(path, data, mode, owner)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        change = self.changes[path]
        change.current, change.mode_after = data, mode
        return True

    def remove(self, path: Path) -> bool:
        """Delete `path`; False when it does not exist."""
        before = read_bytes(path)
        if before is None:
            return False
        self._remember(path, before)
        try:
            path.unlink()
        except OSError as exc:
            raise StorageError(f"cannot remove {path}: {exc.strerror}") from None
        change = self.changes[path]
        change.current, change.mode_after = None, None
        return True

    def _remember(self, path: Path, before: bytes | None) -> None:
        if path in self.changes:
            return
        mode = file_mode(path)
        backup = None
        if before is not None and self.backup:
            backup = self._backup_path(path)
            self.mkdir(self.backup_dir, 0o700)
            try:
                write_atomic(backup, before, 0o600)
            except OSError as exc:
                raise StorageError(f"cannot back up {path} to {backup}: {exc.strerror}") from None
        self.changes[path] = FileChange(path, before, mode, backup, before, mode)

    def _backup_path(self, path: Path) -> Path:
        tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        return self.backup_dir / f"{path.name}.{tag}.{self._stamp}.bak"

    def rollback(self) -> list[str]:
        """Restore every file and remove every created directory; returns what could not be."""
        problems: list[str] = []
        for change in reversed(list(self.changes.values())):
            try:
                if change.original is None:
                    with contextlib.suppress(FileNotFoundError):
                        change.path.unlink()
                else:
                    write_atomic(change.path, change.original, change.mode_before or 0o600)
                if change.backup is not None:
                    with contextlib.suppress(FileNotFoundError):
                        change.backup.unlink()
            except OSError as exc:
                problems.append(f"{change.path}: {exc}")
        for directory in reversed(self.created_dirs):
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                problems.append(f"{directory}: {exc.strerror}")
        self.changes.clear()
        self.created_dirs.clear()
        return problems

    def discard_backup(self, path: Path) -> None:
        """Delete the on-disk backup of `path` (an older backup already holds the original)."""
        change = self.changes.get(path)
        if change is not None and change.backup is not None:
            with contextlib.suppress(FileNotFoundError):
                change.backup.unlink()
            change.backup = None
