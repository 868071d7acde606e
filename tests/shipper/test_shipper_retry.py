"""Retry policy with a fake clock: classification, Retry-After, backoff cap, deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shippers._retry import GaveUp, RetryPolicy, Shutdown
from shippers.sinks import PermanentError, RetryableError, parse_retry_after, status_is_retryable


class FakeClock(Shutdown):
    """A Shutdown whose clock only moves when the policy sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(clock=lambda: self.now)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (599, True),
        (501, False),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (413, False),
    ],
)
def test_retryable_statuses(status: int, retryable: bool) -> None:
    """408, 429 and 5xx except 501 are retried; every other status is not."""
    assert status_is_retryable(status) is retryable


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    """Both `Retry-After` forms parse; garbage is ignored."""
    assert parse_retry_after("7") == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 31
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_retry_after_is_honoured_then_backoff_grows_to_the_cap() -> None:
    """A Retry-After value is slept exactly; without it, jittered backoff stays ≤ the cap."""
    clock = FakeClock()
    policy = RetryPolicy(clock, initial=0.5, maximum=4.0)
    failures = [RetryableError("429", retry_after=7.0)] + [RetryableError("503")] * 8

    def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    assert policy.call(flaky) == "ok"
    assert clock.sleeps[0] == 7.0
    assert all(0 < s <= 4.0 + 0.5 for s in clock.sleeps[1:])
    assert max(clock.sleeps[1:]) >= 2.0  # it did grow


def test_permanent_errors_are_not_retried() -> None:
    """A PermanentError escapes on the first attempt."""
    clock = FakeClock()
    calls = []

    def denied() -> None:
        calls.append(1)
        raise PermanentError("403")

    with pytest.raises(PermanentError):
        RetryPolicy(clock).call(denied)
    assert calls == [1] and clock.sleeps == []


def test_retrying_gives_up_only_after_the_shutdown_deadline() -> None:
    """Without shutdown it keeps going; after request(grace) it stops at the deadline."""
    clock = FakeClock()
    attempts = []

    def down() -> None:
        attempts.append(clock.now)
        if len(attempts) == 50:
            clock.request(grace=3.0)
        raise RetryableError("connection refused")

    with pytest.raises(GaveUp):
        RetryPolicy(clock, initial=0.1, maximum=1.0).call(down)
    assert len(attempts) > 50
    assert clock.now <= clock.deadline + 1.0  # type: ignore[operator]
