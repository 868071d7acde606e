"""What every page reads from: the log directory, its index, and the slow jobs over it.

One `Dashboard` per server. It never writes into the log directory: the index lives under
the state directory, findings and chain reports in memory.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from beacon.audit.reader import stream_files
from beacon.collector.address import Address
from beacon.config import BeaconConfig
from beacon.dashboard.index import IndexView, LogIndex
from beacon.dashboard.jobs import Job, Outcome

STREAMS = ("runtime", "inventory")
WAIT_SECONDS = 1.5
"""How long a page waits for a slow job before it shows progress (or the last result)."""


def signature(log_dir: Path, streams: tuple[str, ...] = STREAMS) -> Hashable:
    """The streams' files as they are now: path, identity, size and modification time."""
    parts = []
    for stream in streams:
        for path in stream_files(log_dir, stream):
            try:
                info = os.stat(path)
            except OSError:
                continue
            parts.append((str(path), info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(parts)


@dataclass
class Dashboard:
    """The server's state: where the logs are, and the jobs that read them."""

    log_dir: Path
    state_dir: Path
    config: BeaconConfig
    system: bool = False
    wait: float = WAIT_SECONDS
    bound: Address = field(default_factory=lambda: Address("127.0.0.1", 0))
    index: LogIndex = field(init=False)
    jobs: dict[str, Job[Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.index = LogIndex(self.log_dir, self.state_dir)
        for stream in STREAMS:
            self.jobs[f"index:{stream}"] = Job(
                partial(self.index.update, stream), partial(signature, self.log_dir, (stream,))
            )

    def job(self, name: str, compute: Any) -> Job[Any]:
        """The job `name` over both streams, created on first use with `compute`."""
        found = self.jobs.get(name)
        if found is None:
            found = self.jobs[name] = Job(compute, lambda: signature(self.log_dir))
        return found

    async def index_view(
        self, stream: str = "runtime", wait: float | None = None
    ) -> Outcome[IndexView]:
        """The stream's index, updated to the files as they are now (bounded wait)."""
        outcome: Outcome[IndexView] = await self.jobs[f"index:{stream}"].get(
            self.wait if wait is None else wait
        )
        return outcome

    def progress(self, stream: str = "runtime") -> int:
        """Percent done of the running index update of `stream`."""
        found = self.index.progress.get(stream)
        return found.percent if found is not None else 0

    def indexing(self, stream: str = "runtime", **extra: Any) -> dict[str, Any]:
        """The answer of a page that waits for the stream's first index: its progress."""
        return {"status": "indexing", "progress": self.progress(stream), **extra}


KEY: web.AppKey[Dashboard] = web.AppKey("dashboard", Dashboard)
