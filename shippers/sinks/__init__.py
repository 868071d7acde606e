"""The `Sink` protocol every destination implements, and the batch it receives.

A sink turns one `Batch` (complete NDJSON lines of one file range) into one or more
requests, each run through the `RetryPolicy`; it raises `PermanentError` for failures
that retrying cannot fix. Sinks live one per module and import their SDKs lazily.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from beacon.errors import PermanentError, RetryableError

if TYPE_CHECKING:
    from shippers.config import ShipConfig

__all__ = [
    "Batch",
    "PermanentError",
    "RetryableError",
    "Sink",
    "build_sink",
    "host_label",
]

T = TypeVar("T")
_HOST_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Batch:
    """NDJSON lines from `[start, end)` of one file, with a deterministic object key."""

    stream: str
    file_id: str
    start: int
    end: int
    key: str
    data: bytes
    lines: int
    malformed: int = 0


class Retry(Protocol):
    """What a sink needs from the retry policy: run one request until it succeeds."""

    def call(self, fn: Callable[[], T]) -> T: ...

    def pause(self, seconds: float) -> None:
        """Sleep inside a request (e.g. polling); raises RetryableError once shutdown expired."""
        ...


class Sink(Protocol):
    """A destination. `send` returns only once every line of the batch is acknowledged."""

    name: str

    @property
    def destination(self) -> str:
        """A stable, credential-free description, stored with checkpoints."""
        ...

    def send(self, batch: Batch, retry: Retry) -> None: ...

    def close(self) -> None: ...


def host_label(host: str) -> str:
    """The host name as it appears in object keys: `[A-Za-z0-9._-]` only."""
    return _HOST_UNSAFE.sub("_", host) or "unknown"


def status_is_retryable(status: int) -> bool:
    """The retry rule shared by all HTTP sinks: 408, 429 and 5xx except 501."""
    return status in (408, 429) or (500 <= status <= 599 and status != 501)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), None if absent/invalid."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def build_sink(config: ShipConfig) -> Sink:
    """Instantiate the configured sink (imports its SDK only now)."""
    if config.sink == "s3":
        from shippers.sinks.s3 import S3Sink

        return S3Sink(config)
    if config.sink == "gcs":
        from shippers.sinks.gcs import GCSSink

        return GCSSink(config)
    if config.sink == "file":
        from shippers.sinks.file import FileSink

        return FileSink(config)
    if config.sink == "splunk_hec":
        from shippers.sinks.splunk_hec import HECSink

        return HECSink(config)
    from shippers.sinks.sentinel import SentinelSink

    return SentinelSink(config)
