"""Test doubles for the shipper, usable by users and our tests alike.

- `InMemorySink` / `NullSink`: in-process sinks (object-store semantics: same key overwrites).
- `RotatingLog`: appends events and rotates exactly like the Beacon writer.
- `make_event`, `SimulatedCrash`: sample lines and a crash to inject into a sink.

The fake Splunk HEC and Azure Logs Ingestion servers our tests use live in `tests/`: they
are test fixtures, not part of the product.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shippers._compress import pick
from shippers.sinks import Batch, Retry

__all__ = [
    "InMemorySink",
    "NullSink",
    "RotatingLog",
    "SimulatedCrash",
    "make_event",
]


class InMemorySink:
    """Keeps objects by key, like an object store; scriptable failures for fault tests."""

    name = "memory"
    destination = "memory://"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts = 0
        self.fail_next: list[Exception] = []
        self.crash_after_store = False
        self.lock = threading.Lock()

    def send(self, batch: Batch, retry: Retry) -> None:
        """Store `batch.data` under its key (after any scripted failures)."""

        def put() -> None:
            with self.lock:
                if self.fail_next:
                    raise self.fail_next.pop(0)
                self.objects[batch.key] = batch.data
                self.puts += 1
                if self.crash_after_store:
                    raise SimulatedCrash(batch.key)

        retry.call(put)

    def lines(self) -> list[bytes]:
        """Every stored line, in first-delivery order."""
        out: list[bytes] = []
        for key in self.objects:
            out.extend(self.objects[key].splitlines())
        return out

    def close(self) -> None:
        """Nothing to release."""


class SimulatedCrash(BaseException):
    """Raised by `InMemorySink` after storing, to model a crash before the checkpoint."""


class NullSink:
    """Compresses each batch and discards it: measures the shipper itself."""

    name = "null"
    destination = "null://"

    def __init__(self, compressor: str = "auto") -> None:
        self.compressor, self.compress = pick(compressor)
        self.raw_bytes = 0
        self.gzip_bytes = 0

    def send(self, batch: Batch, retry: Retry) -> None:
        """Gzip and count."""
        self.raw_bytes += len(batch.data)
        self.gzip_bytes += len(self.compress(batch.data))

    def close(self) -> None:
        """Nothing to release."""


def make_event(seq: int, action: str = "tool.invoked", pad: int = 0) -> bytes:
    """One NDJSON event line like the collector writes (unique `event.id`, ms timestamp)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    doc = {
        "timestamp": now,
        "event": {"id": str(uuid.uuid4()), "action": action, "kind": "event"},
        "endpoint": {"hostname": "test-host"},
        "harness": {"name": "claude-code"},
        "seq": seq,
    }
    if pad:
        doc["pad"] = "x" * pad
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


@dataclass
class RotatingLog:
    """Appends whole lines and rotates like the Beacon writer (`.N` deleted, shift, rename)."""

    path: Path
    rotate_bytes: int = 10 * 1024 * 1024
    keep: int = 5
    rotations: int = field(default=0, init=False)

    def append(self, line: bytes) -> None:
        """Append one line (rotating first if it would overflow)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > 0 and size + len(line) > self.rotate_bytes:
            self.rotate()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def rotate(self) -> None:
        """Delete `.keep`, shift `.i` → `.i+1`, rename the active file to `.1`."""
        name = str(self.path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{name}.{self.keep}")
        for i in range(self.keep - 1, 0, -1):
            with contextlib.suppress(FileNotFoundError):
                os.rename(f"{name}.{i}", f"{name}.{i + 1}")
        with contextlib.suppress(FileNotFoundError):
            os.rename(name, f"{name}.1")
        self.rotations += 1

    def truncate(self) -> None:
        """Truncate the active file to zero (copytruncate-style)."""
        if self.path.exists():
            os.truncate(self.path, 0)
