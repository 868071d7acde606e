"""Slow reads run in worker threads, at most one per job, and pages wait a bounded time.

A page that needs the index, a scan or a chain verification asks its `Job` for the result
of the log as it is now (a signature: each file's identity and size). When the last result
is for the same signature it is returned at once; otherwise a run starts (or the running one
is joined) and the page waits up to `wait` seconds. A page that cannot wait longer shows
the previous result, if any, marked as being refreshed, with the run's progress: a 1 GB log
never blocks the server or a browser tab.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


def in_thread(compute: Callable[[], T]) -> asyncio.Future[T]:
    """Run `compute` in a thread of its own and await it.

    Not the loop's executor: a long read must never hold up the short ones requests run
    there (a search must not wait behind a 1 GB index build); and a daemon thread, so
    Ctrl-C does not wait for a scan to finish (jobs only read, and the index is written
    temp-then-rename).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def run() -> None:
        try:
            value, error = compute(), None
        except BaseException as exc:  # handed to the awaiting coroutine
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=run, name="beacon-dashboard-job", daemon=True).start()
    return future


@dataclass
class Outcome(Generic[T]):
    """What a page gets: a value (None until a first run finished), whether it is for the
    current log, and whether a run is still going (`error`: the last run's failure)."""

    value: T | None
    current: bool
    running: bool
    finished: float = 0.0  # time.time() when the value was computed
    error: str | None = None

    @property
    def finished_at(self) -> str | None:
        """When the value was computed, as a log-style timestamp (None before the first)."""
        if not self.finished:
            return None
        moment = datetime.fromtimestamp(self.finished, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Job(Generic[T]):
    """One computation over the log, re-run when the log's signature changes."""

    def __init__(self, compute: Callable[[], T], signature: Callable[[], Hashable]) -> None:
        self._compute = compute
        self._signature = signature
        self._value: T | None = None
        self._for: Hashable = None
        self._finished = 0.0
        self._error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._running_for: Hashable = None

    async def get(self, wait: float) -> Outcome[T]:
        """The result for the log as it is now, waiting at most `wait` seconds for a run."""
        signature = await asyncio.to_thread(self._signature)
        if self._task is None and (self._for != signature or self._finished == 0.0):
            self._running_for = signature
            self._task = asyncio.create_task(self._run(signature))
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), wait)
        return Outcome(
            self._value,
            self._for == signature and self._finished > 0.0,
            self._task is not None,
            self._finished,
            self._error,
        )

    async def _run(self, signature: Hashable) -> None:
        try:
            value = await in_thread(self._compute)
        except Exception as exc:  # shown on the page; the next request tries again
            self._error = f"{type(exc).__name__}: {exc}"
            self._finished = self._finished or 0.0
        else:
            self._value, self._for, self._error = value, signature, None
            self._finished = time.time()
        finally:
            self._task = None
