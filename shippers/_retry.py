"""Retry policy: forever for retryable errors, jittered exponential backoff, `Retry-After`.

Built on tenacity. Sleeping goes through `Shutdown.sleep`, so a SIGTERM wakes waiting
retries and the policy gives up once the shutdown deadline has passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import tenacity

from beacon.errors import GaveUp
from shippers.sinks import RetryableError

T = TypeVar("T")

MAX_RETRY_AFTER = 3600.0


class Shutdown:
    """Shared stop signal with an optional deadline; the clock is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.requested = threading.Event()
        self.deadline: float | None = None
        self._never = threading.Event()

    def request(self, grace: float) -> None:
        """Ask everything to flush and stop, giving up on retries after `grace` seconds."""
        if not self.requested.is_set():
            self.deadline = self.clock() + grace
            self.requested.set()

    def expired(self) -> bool:
        """True once the flush deadline has passed."""
        return self.deadline is not None and self.clock() >= self.deadline

    def sleep(self, seconds: float) -> None:
        """Sleep, but no later than the deadline, and wake at once when shutdown starts."""
        if self.deadline is not None:
            self._never.wait(min(seconds, max(0.0, self.deadline - self.clock())))
        else:
            self.requested.wait(seconds)


class RetryPolicy:
    """Runs one request until it succeeds, a `PermanentError` escapes, or shutdown expires."""

    def __init__(
        self,
        shutdown: Shutdown,
        initial: float = 0.5,
        maximum: float = 60.0,
        on_retry: Callable[[BaseException, float], None] | None = None,
    ) -> None:
        self.shutdown = shutdown
        self.on_retry = on_retry
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=initial, max=maximum, jitter=initial
        )

    def _wait(self, rs: tenacity.RetryCallState) -> float:
        exc = rs.outcome.exception() if rs.outcome else None
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return float(self._backoff(rs))

    def _before_sleep(self, rs: tenacity.RetryCallState) -> None:
        exc = rs.outcome.exception() if rs.outcome else None
        if self.on_retry is not None and exc is not None:
            self.on_retry(exc, rs.upcoming_sleep)

    def pause(self, seconds: float) -> None:
        """Sleep through the shutdown seam; once the deadline passed, give up the request."""
        if self.shutdown.expired():
            raise RetryableError("shutdown deadline reached")
        self.shutdown.sleep(seconds)

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn`, retrying `RetryableError` forever (until shutdown expires)."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            wait=self._wait,
            stop=lambda rs: self.shutdown.expired(),
            sleep=self.shutdown.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(fn)
        except RetryableError as exc:
            raise GaveUp(str(exc)) from exc
