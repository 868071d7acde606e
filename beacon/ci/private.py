"""Private files of a CI session: directories 0700, files 0600 written atomically.

CI logs hold prompts and commands, and state files name processes; on a shared
self-hosted runner nobody else may read them. A reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from beacon.errors import StorageError
from beacon.logfiles.durable import NotPrivateError, write_synced
from beacon.logfiles.durable import private_dir as make_private_dir


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) 0700; an existing directory must be ours, and is
    narrowed to 0700 (a shared temp dir may hold one another user made)."""
    try:
        make_private_dir(path)
    except NotPrivateError as exc:
        hint = "; choose another with --base-dir" if exc.errno == errno.EPERM else ""
        raise StorageError(f"{path}: {exc.strerror}{hint}") from None
    except OSError as exc:
        raise StorageError(f"{path}: cannot create the directory: {exc.strerror}") from None
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path`, mode 0600: temp file, fsync, rename over the old one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_synced(temp, data)
    try:
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path
