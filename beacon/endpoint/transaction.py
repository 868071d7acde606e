"""All-or-nothing file changes: back up first, write atomically, undo everything on failure.

A `Transaction` remembers each file's bytes and mode as they were before its first change
(in memory, and as a 0600 copy under the backup directory), and every directory it
created. `rollback` puts all of it back, newest first. Writes go to a temporary file in
the same directory, are fsynced and renamed over the target, so a crash leaves either the
old or the new file, never half of one. A symlinked config (dotfiles) is written through,
keeping the link.

The same record is also kept on disk, in a journal, while the transaction runs: each
file's entry (where its backup is, or that it did not exist) is written before the file
is, and each created directory after it is made. `commit` deletes it. A journal found
later means a process died mid-transaction (`kill -9`, power loss); `recover` rolls its
changes back from the backups, so the next install or uninstall starts from the user's
files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    owner: tuple[int, int] | None = None  # (uid, gid) of a file that existed

    @property
    def existed(self) -> bool:
        """Whether the file existed before the transaction."""
        return self.original is not None


class Transaction:
    """Backs up, writes and, on failure, restores a set of files and directories."""

    def __init__(self, backup_dir: Path, *, journal: Path) -> None:
        self.backup_dir = backup_dir
        self.journal = journal
        self.changes: dict[Path, FileChange] = {}
        self.created_dirs: list[Path] = []
        self._discarded: list[Path] = []  # backups to delete at commit
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
            self._save_journal()

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
        backup = owner = None
        if before is not None:
            with contextlib.suppress(OSError):
                info = path.stat()
                owner = (info.st_uid, info.st_gid)
            backup = self._backup_path(path)
            self.mkdir(self.backup_dir, 0o700)
            try:
                write_atomic(backup, before, 0o600)
            except OSError as exc:
                raise StorageError(f"cannot back up {path} to {backup}: {exc.strerror}") from None
        self.changes[path] = FileChange(path, before, mode, backup, before, mode, owner)
        self._save_journal()  # before the file changes: a crash from here on is undone

    def _backup_path(self, path: Path) -> Path:
        """A name no other backup has: two installs in one second must not share one (the
        second would overwrite the user's original that the first one's manifest names)."""
        tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
        candidate = self.backup_dir / f"{path.name}.{tag}.{self._stamp}.bak"
        n = 1
        while candidate.exists():
            n += 1
            candidate = self.backup_dir / f"{path.name}.{tag}.{self._stamp}.{n}.bak"
        return candidate

    def _save_journal(self) -> None:
        """Write the journal as the changes stand now."""
        if not self.journal.parent.is_dir():
            return  # its directory is the first thing created; recorded once it exists
        doc = {
            "files": [
                {
                    "path": str(c.path),
                    "existed": c.existed,
                    "mode": c.mode_before,
                    "backup": None if c.backup is None else str(c.backup),
                    "owner": c.owner,
                }
                for c in self.changes.values()
            ],
            "created_dirs": [str(d) for d in self.created_dirs],
        }
        try:
            write_atomic(self.journal, json.dumps(doc, indent=1).encode() + b"\n", 0o600)
        except OSError as exc:
            raise StorageError(f"cannot write {self.journal}: {exc.strerror or exc}") from None

    def commit(self) -> None:
        """The transaction is done: delete its journal, then the backups no longer needed."""
        with contextlib.suppress(FileNotFoundError):
            self.journal.unlink()
        for backup in self._discarded:
            with contextlib.suppress(FileNotFoundError):
                backup.unlink()
        self._discarded.clear()

    def rollback(self) -> list[str]:
        """Restore every file and remove every created directory; returns what could not be."""
        problems: list[str] = []
        self._discarded.clear()  # each backup goes with its restored file, below
        with contextlib.suppress(FileNotFoundError):
            self.journal.unlink()  # everything it lists is restored from memory below
        for change in reversed(list(self.changes.values())):
            try:
                _put_back(change.path, change.original, change.mode_before, change.owner)
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
        """The backup of `path` is not needed once committed (an older backup already holds
        the original); it goes at `commit`, so that a crash before then can restore from it."""
        change = self.changes.get(path)
        if change is not None and change.backup is not None:
            self._discarded.append(change.backup)


def _put_back(path: Path, data: bytes | None, mode: int | None, owner: Any) -> None:
    """Make `path` hold `data` again with `mode` and, as root, `owner` (a system-mode
    install edits a user's files); remove it when `data` is None (it did not exist)."""
    if data is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    keep = (int(owner[0]), int(owner[1])) if owner and os.geteuid() == 0 else None
    write_atomic(path, data, mode or 0o600, keep)


def recover(journal: Path) -> tuple[list[str], list[str]]:
    """Undo what the transaction that left `journal` behind had changed: files back from
    their backups (or removed, when they did not exist), created directories removed when
    empty. Returns (what was done, what could not be); the journal goes only when all was."""
    try:
        doc = json.loads(journal.read_bytes())
        files = [dict(entry) for entry in doc["files"]]
        dirs = [Path(d) for d in doc["created_dirs"]]
    except FileNotFoundError:
        return [], []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [], [f"{journal}: unreadable ({exc}); restore from {journal.parent} by hand"]
    done: list[str] = []
    problems: list[str] = []
    for entry in reversed(files):
        path = Path(entry["path"])
        try:
            if not entry["existed"]:
                _put_back(path, None, None, None)
                done.append(f"removed {path}")
                continue
            if entry["backup"] is None:
                problems.append(f"{path}: no backup was taken")
                continue
            backup = Path(entry["backup"])
            _put_back(path, backup.read_bytes(), entry["mode"], entry.get("owner"))
            backup.unlink()
            done.append(f"restored {path}")
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
    if problems:
        return done, problems
    with contextlib.suppress(FileNotFoundError):
        journal.unlink()
    for directory in reversed(dirs):
        with contextlib.suppress(OSError):
            directory.rmdir()  # only when empty: what else is there now is not ours
    return done, problems
