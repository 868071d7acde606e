"""What the OTLP receivers hand decoded requests to: the ingest path, seen through a protocol.

Receivers decode and answer in their protocol; the sink (`beacon.ingest.Ingest`) maps,
processes and writes, and its verdict comes back only once the events are written.
"""

from __future__ import annotations

from typing import Protocol

from beacon.ingest import IngestResult
from beacon.receivers.otlp_decode import Signal
from beacon.runtimes.records import Batch


class OtlpSink(Protocol):
    """Where receivers deliver decoded Export requests."""

    async def otlp(self, signal: Signal, batch: Batch) -> IngestResult:
        """Map, process and write one decoded Export request."""
        ...

    def count_request(self, transport: str, signal: str, code: str) -> None:
        """Count one answered request by transport, signal and status code."""
        ...
