"""File sink: the object-store layout on a local or mounted directory (NFS, SMB, a synced folder).

`<root>/<stream>/date=YYYY-MM-DD/<host>-<file-id>-<start>-<end>.jsonl.gz`, the same keys as
S3 and GCS. Each object is written to `<root>/.beacon-staging/`, fsynced, then renamed into
place and the directory fsynced, so readers never see a partial object. A re-sent batch
(after a crash, even `kill -9`) lands on the same name: an existing object holding the
same lines is success, one holding different lines is never overwritten. Temp files a
crash left behind are removed the next time this host's shipper starts.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import uuid
import zlib
from pathlib import Path

from beacon.errors import ConfigError
from beacon.logfiles.durable import write_synced
from shippers._compress import pick
from shippers.config import ShipConfig
from shippers.sinks import Batch, PermanentError, Retry, RetryableError, host_label

STAGING_DIR = ".beacon-staging"
TEMP_SUFFIX = ".tmp"
# Errors retrying cannot fix: the path itself is wrong or forbidden. Everything else
# (full disk, quota, a stale or disconnected share, I/O errors) is an outage: retried.
_PERMANENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}
)
# The one filesystem call that publishes an object; tests swap it to inject ENOSPC & co.
_publish = os.replace


class FileSink:
    """Writes each batch as one gzip NDJSON object under `root`, exactly once per key."""

    name = "file"

    def __init__(self, config: ShipConfig) -> None:
        opts = config.file
        if not opts.root:
            raise ConfigError("ship.file.root (--root or BEACON_DATA_ROOT) is required")
        root = Path(os.path.expanduser(opts.root))
        if not root.is_absolute():
            raise ConfigError(f"ship.file.root must be an absolute path, got {opts.root!r}")
        self.root = root
        self.staging = root / STAGING_DIR
        self.file_mode = 0o640 if opts.group_readable else 0o600
        self.dir_mode = 0o750 if opts.group_readable else 0o700
        self.temp_prefix = f"{host_label(config.host)}."
        _, self.compress = pick(config.compressor, config.compress_level)
        self._swept = False

    @property
    def destination(self) -> str:
        """`file:///root` (a path, never a credential)."""
        return self.root.as_uri()

    def path(self, batch: Batch) -> Path:
        """Where a batch's object lives."""
        return self.root / batch.key

    def send(self, batch: Batch, retry: Retry) -> None:
        """Compress once, then write until the object is durable on disk."""
        body = self.compress(batch.data)
        path = self.path(batch)
        retry.call(lambda: self._write(path, body, batch.data))

    def _write(self, path: Path, body: bytes, data: bytes) -> None:
        # Never create the root itself: on an unmounted share that would write to the
        # local disk under the mount point. A missing root is an outage, retried.
        if not self.root.is_dir():
            raise RetryableError(f"file sink root {self.root} is not a directory (not mounted?)")
        try:
            if self._already_written(path, data):
                return
            self._makedirs(self.staging)
            if not self._swept:
                self._sweep()
            self._makedirs(path.parent)
            tmp = self.staging / (
                f"{self.temp_prefix}{os.getpid()}-{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}"
            )
            try:
                write_synced(tmp, body, flags=os.O_EXCL, mode=self.file_mode)
                os.chmod(tmp, self.file_mode)  # exact mode whatever the umask
                _publish(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            _fsync_dir(path.parent)
        except OSError as exc:
            message = f"file sink {path}: {exc.strerror or exc}"
            if exc.errno in _PERMANENT_ERRNOS:
                raise PermanentError(message) from exc
            raise RetryableError(message) from exc

    def _already_written(self, path: Path, data: bytes) -> bool:
        """True if `path` holds exactly these lines (a re-send after a crash)."""
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            return False
        try:
            same = gzip.decompress(existing) == data
        except (OSError, EOFError, zlib.error):
            same = False
        if not same:
            raise PermanentError(
                f"file sink {path} exists with different content; refusing to overwrite it "
                "(do two shippers with the same --host write to this root?)"
            )
        return True

    def _sweep(self) -> None:
        """Remove temp files this host left behind when a previous run was killed."""
        own = f"{self.temp_prefix}{os.getpid()}-"  # in flight in this process: keep
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.staging):
                if (
                    name.startswith(self.temp_prefix)
                    and name.endswith(TEMP_SUFFIX)
                    and not name.startswith(own)
                ):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.staging / name)
        self._swept = True

    def _makedirs(self, directory: Path) -> None:
        missing: list[Path] = []
        while not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for new in reversed(missing):
            with contextlib.suppress(FileExistsError):  # the other stream's thread made it
                os.mkdir(new, self.dir_mode)
                os.chmod(new, self.dir_mode)
                _fsync_dir(new.parent)

    def close(self) -> None:
        """Nothing to release."""


def _fsync_dir(directory: Path) -> None:
    """Make a rename or mkdir durable; some network filesystems cannot fsync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(fd)
