"""Durable, private files: whole writes, files fsynced before they are renamed into place,
directory fsyncs, and 0700 directories only this user can use.

The primitives under every file Beacon writes for itself (logs, hook spool, inventory
state, CI session files). Stdlib only and light (no `pathlib` or `typing`): `beacon-hooks`
writes through it.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from os import PathLike

    StrPath = str | PathLike[str]


class NotPrivateError(OSError):
    """An existing path that cannot serve as a private directory: not a directory (or a
    link where none may be), or owned by another user."""


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (`os.write` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - os.write raises instead on real errors
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def write_synced(path: StrPath, data: bytes, *, flags: int = os.O_TRUNC, mode: int = 0o600) -> None:
    """Create `path` holding `data`, fsynced before it is closed: the temp file of an atomic
    replace. `flags`: `O_TRUNC` (reuse a leftover) or `O_EXCL`; `mode` is narrowed by the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | flags, mode)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: StrPath) -> None:
    """Make a rename durable; some filesystems refuse directory fsync, which is fine."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def private_dir(path: StrPath, *, follow_symlinks: bool = True) -> None:
    """Create `path` (and parents) 0700; an existing one must be a directory this user owns,
    and is narrowed to 0700 (a shared temp dir may hold one made with a looser umask).

    OSError when it cannot be created; `NotPrivateError` when it is not a directory (a
    symlink counts as none unless `follow_symlinks`) or belongs to another user.
    """
    os.makedirs(path, 0o700, exist_ok=True)
    info = os.stat(path, follow_symlinks=follow_symlinks)
    if not stat.S_ISDIR(info.st_mode):
        raise NotPrivateError(errno.ENOTDIR, "not a directory", os.fspath(path))
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise NotPrivateError(errno.EPERM, "owned by another user", os.fspath(path))
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
