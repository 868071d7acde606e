"""Private files of a CI session: directories 0700, files 0600 written atomically.

CI logs hold prompts and commands, and state files name processes; on a shared
self-hosted runner nobody else may read them. A reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from beacon.errors import StorageError


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) 0700; an existing directory must be ours, and is
    narrowed to 0700 (a shared temp dir may hold one another user made)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise StorageError(f"{path}: cannot create the directory: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{path}: not a directory")
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise StorageError(f"{path}: owned by another user; choose another with --base-dir")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path`, mode 0600: temp file, fsync, rename over the old one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path
