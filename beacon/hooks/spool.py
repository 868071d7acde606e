"""The hook spool: raw payloads `beacon-hooks` could not log, ingested later by `beacon run`.

A hook in a read-only sandbox (or on a full disk) cannot append to `runtime.jsonl`; it
writes the raw payload, with platform, event and time, to a private per-user directory
(0700, owned by the user). `beacon run` ingests the spool on start and every few seconds:
each file is claimed by an atomic rename, mapped with its original time, sent through the
one ingest path, and deleted once its events are written, so it is ingested exactly once
(a crash between the write and the delete can repeat it, never lose it). Stdlib only
(`beacon.logfiles.durable` writes the files).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from beacon.logfiles.durable import NotPrivateError, private_dir, write_synced

SPOOL_ENV = "BEACON_SPOOL_DIR"
SUFFIX = ".hook"
CLAIMED = ".claimed"
INTERVAL_SECONDS = 5.0
STALE_CLAIM_SECONDS = 60.0


def spool_dirs() -> list[Path]:
    """Where hooks may spool, in order of preference; `beacon run` reads all of them."""
    explicit = os.environ.get(SPOOL_ENV)
    if explicit:
        return [Path(explicit).expanduser()]
    dirs: list[Path] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        dirs.append(Path(runtime) / "beacon" / "spool")
    dirs.append(Path(os.path.expanduser("~")) / ".beacon" / "endpoint" / "spool")
    dirs.append(Path(os.environ.get("TMPDIR") or "/tmp") / f"beacon-spool-{os.getuid()}")
    return dirs


def _private_dir(path: Path) -> None:
    """Create `path` 0700; refuse one that is a symlink, not ours, or open to others."""
    try:
        private_dir(path, follow_symlinks=False)
    except NotPrivateError:
        raise PermissionError(
            f"spool directory {path} is not a directory owned by this user"
        ) from None


def spool_payload(
    platform: str, data: bytes, *, event_hint: str = "", source: str = "hook.command"
) -> Path:
    """Write one raw payload to the first usable spool directory; raises OSError if none."""
    header = {
        "platform": platform,
        "event": event_hint,
        "source": source,
        "spooled_at": _now(),
    }
    content = json.dumps(header).encode() + b"\n" + data
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(4).hex()}{SUFFIX}"
    error: OSError | None = None
    for directory in spool_dirs():
        try:
            _private_dir(directory)
            temp = directory / f".tmp-{name}"
            write_synced(temp, content, flags=os.O_EXCL)
            final = directory / name
            os.replace(temp, final)  # readers only take complete `*.hook` files
            return final
        except OSError as exc:
            error = exc
            with contextlib.suppress(OSError):
                (directory / f".tmp-{name}").unlink()
    raise error or OSError("no spool directory")


def _now() -> str:
    from beacon.schema.event import now_timestamp

    return now_timestamp()


def read_spooled(path: Path) -> tuple[dict[str, Any], bytes]:
    """A spool file's header and raw payload."""
    data = path.read_bytes()
    head, _, body = data.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        header = {}
    return header if isinstance(header, dict) else {}, body


Deliver = Callable[[dict[str, Any], bytes], Awaitable[bool]]
"""Ingests one spooled payload (header, body); True once written, False means "not now"."""


class SpoolIngester:
    """Claims, delivers and deletes spooled payloads; counts what it did."""

    def __init__(self, deliver: Deliver, dirs: list[Path] | None = None) -> None:
        self.deliver = deliver
        self.dirs = dirs
        self.ingested = 0
        self.failed = 0

    def _files(self) -> Iterator[Path]:
        for directory in self.dirs if self.dirs is not None else spool_dirs():
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                continue
            now = time.time()
            for name in names:
                path = directory / name
                if name.endswith(SUFFIX + CLAIMED):
                    # A claim left by a crashed collector: release it after a grace period.
                    try:
                        if now - path.stat().st_mtime > STALE_CLAIM_SECONDS:
                            os.replace(path, directory / name.removesuffix(CLAIMED))
                    except OSError:
                        pass
                elif name.endswith(SUFFIX) and not name.startswith("."):
                    yield path

    async def ingest_once(self) -> int:
        """Ingest every spooled payload now; returns how many were written."""
        count = 0
        for path in self._files():
            claimed = path.with_name(path.name + CLAIMED)
            try:
                os.replace(path, claimed)  # atomic: exactly one ingester wins the file
                header, body = read_spooled(claimed)
            except OSError:
                continue
            if not await self.deliver(header, body):
                os.replace(claimed, path)  # busy: leave it for the next round
                break
            try:
                claimed.unlink()
            except OSError:
                self.failed += 1
            count += 1
        self.ingested += count
        return count


async def run_periodically(
    ingester: SpoolIngester,
    ready: Callable[[], bool],
    interval: float = INTERVAL_SECONDS,
) -> None:
    """Ingest once `ready()` (the collector accepts), then every `interval` until cancelled."""
    import asyncio  # here, not at the top: hooks spool without loading asyncio

    while not ready():
        await asyncio.sleep(0.05)
    while True:
        try:
            await ingester.ingest_once()
        except Exception:  # a bad spool must not stop the collector
            ingester.failed += 1
        await asyncio.sleep(interval)
