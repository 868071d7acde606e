"""Per-stream checkpoint: the file being read, the acknowledged offset, the pending batch.

Written temp → fsync → `os.replace` → fsync dir, mode 0600 in a 0700 dir. A corrupt file
is moved aside (`*.corrupt-<time>`) and reported with an error, never silently reset.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from beacon.errors import StorageError

STATE_VERSION = 1

COUNTER_NAMES = (
    "lines",
    "bytes",
    "batches",
    "retries",
    "truncations",
    "bytes_lost",
    "files_lost",
    "lines_cut",
    "lines_malformed",
    "checkpoint_write_failures",
)


@dataclass
class FileRef:
    """Identity of one log file: content fingerprint plus dev/inode and last seen size."""

    fingerprint: str
    dev: int
    ino: int
    size: int = 0

    @property
    def file_id(self) -> str:
        """Short id used in object keys: the first 16 hex digits of the fingerprint."""
        return self.fingerprint[:16]


@dataclass
class Pending:
    """A batch recorded before upload; after a crash it is re-sent byte for byte."""

    fingerprint: str
    start: int
    end: int
    key: str


@dataclass
class StreamState:
    """Everything durable about one stream."""

    stream: str
    sink: str
    destination: str
    file: FileRef | None = None
    offset: int = 0
    pending: Pending | None = None
    seen: dict[str, int] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTER_NAMES, 0))
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    stopped: str | None = None

    def to_json(self) -> bytes:
        """The on-disk form (stable key order, one line)."""
        doc = asdict(self)
        doc["version"] = STATE_VERSION
        return json.dumps(doc, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> StreamState:
        """Parse the on-disk form; raises ValueError/KeyError/TypeError on anything odd."""
        doc: dict[str, Any] = json.loads(raw)
        if doc.pop("version") != STATE_VERSION:
            raise ValueError("unsupported checkpoint version")
        file = doc.pop("file")
        pending = doc.pop("pending")
        counters = dict.fromkeys(COUNTER_NAMES, 0)
        counters.update({k: int(v) for k, v in doc.pop("counters").items()})
        state = cls(
            file=FileRef(**file) if file is not None else None,
            pending=Pending(**pending) if pending is not None else None,
            counters=counters,
            **doc,
        )
        if not isinstance(state.offset, int) or state.offset < 0:
            raise ValueError("bad offset")
        return state


class CheckpointStore:
    """Reads and atomically writes `<state_dir>/<stream>.checkpoint.json`."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir

    def path(self, stream: str) -> Path:
        """Where a stream's checkpoint lives."""
        return self.state_dir / f"{stream}.checkpoint.json"

    def prepare(self) -> None:
        """Create the state dir (0700) if needed."""
        try:
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.state_dir, 0o700)
        except OSError as exc:
            raise StorageError(f"state dir {self.state_dir}: {exc.strerror}") from exc

    def load(self, stream: str) -> StreamState | None:
        """The saved state, None if there is none; a corrupt file is moved aside and raised."""
        path = self.path(stream)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"checkpoint {path}: {exc.strerror}") from exc
        try:
            state = StreamState.from_json(raw)
            if state.stream != stream:
                raise ValueError("stream name mismatch")
            return state
        except (ValueError, KeyError, TypeError) as exc:
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
            os.replace(path, aside)
            raise StorageError(
                f"checkpoint {path} is corrupt ({exc}); moved to {aside}. Nothing was reset "
                "silently: run again to start this stream from the oldest retained file "
                "(lines may be shipped twice), or restore the checkpoint."
            ) from exc

    def save(self, state: StreamState) -> None:
        """Write temp → fsync → replace → fsync dir."""
        path = self.path(state.stream)
        tmp = path.with_name(path.name + ".tmp")
        data = state.to_json()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            dfd = os.open(self.state_dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            state.counters["checkpoint_write_failures"] += 1
            raise StorageError(f"checkpoint {path}: {exc.strerror}") from exc

    def lock(self) -> int:
        """Take the state dir's exclusive lock so two shippers never share checkpoints."""
        path = self.state_dir / "ship.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(
                f"state dir {self.state_dir} is in use by another `beacon ship`"
            ) from None
        return fd

    @staticmethod
    def unlock(fd: int) -> None:
        """Release the lock taken by `lock`."""
        with contextlib.suppress(OSError):
            os.close(fd)
