"""The one ingest path: payloads in -> runtime mapper -> pipeline -> writer, with its counters.

Every producer goes through `Ingest`: the OTLP receivers (`otlp`), the HTTP hook intake
and the spool replay (`hook`), `beacon-hooks` with the collector down (`hook_now`, over
the synchronous `DirectWriter`), and command-line producers (`events`/`events_now`:
inventory, endpoint setup, CI, test events). Producers answer their client only once the
events are written (handed to the OS; fsync as configured): an acknowledged event is never
lost when the collector dies. A full writer queue answers BUSY at once, before mapping
(mapping has effects: cumulative metrics become deltas, so a refused request that is
retried must not have been mapped). Light imports: `beacon-hooks` loads this module.
"""

from __future__ import annotations

import time
from collections import Counter
from enum import Enum

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from asyncio import Future
    from collections.abc import Callable
    from typing import Any, Protocol

    from beacon.config import BeaconConfig
    from beacon.logfiles.chain import ChainKey
    from beacon.logfiles.lines import Lines
    from beacon.receivers.otlp_decode import Signal
    from beacon.runtimes.hooks.payload import HookInput
    from beacon.runtimes.records import Batch
    from beacon.schema.event import Event

    class EventPipeline(Protocol):
        """What ingest needs of `beacon.pipeline.Pipeline`."""

        def process_serialized(self, events: list[Event]) -> list[tuple[Event, bytes]]: ...

    class LineWriter(Protocol):
        """What ingest needs of a writer (`EventWriter`, `DirectWriter`)."""

        @property
        def queue_depth(self) -> int: ...

        def start(self) -> None: ...

        def submit(
            self,
            lines: Lines,
            timeout: float = 0,
            on_written: Callable[[bool], None] | None = None,
        ) -> bool: ...

        def close(self, timeout: float = 10.0) -> None: ...

    class OtlpMapper(Protocol):
        """What ingest needs of `beacon.runtimes.registry.Mapper`."""

        def map(self, batch: Batch) -> list[Event]: ...


ACK_TIMEOUT_SECONDS = 8.0
"""Longest a producer waits for its events to be written before answering "retry later"."""


class Outcome(Enum):
    """How one delivery ended for the producer."""

    OK = "ok"  # written
    BUSY = "busy"  # writer queue full: retryable (HTTP 503 / gRPC UNAVAILABLE)
    CLOSED = "closed"  # shutting down: retryable, try again later
    UNWRITTEN = "unwritten"  # queued but not on disk in time (disk trouble): retryable


RETRY_MESSAGES = {
    Outcome.BUSY: "ingest queue full",
    Outcome.CLOSED: "collector shutting down",
    Outcome.UNWRITTEN: "events not yet written (log directory unwritable?)",
}
"""What a producer tells its client for each retryable outcome."""


class IngestResult:
    """The verdict for one delivery; `rejected` and `message` fill OTLP `partial_success`."""

    __slots__ = ("message", "outcome", "rejected", "retry_after")

    def __init__(
        self, outcome: Outcome, rejected: int = 0, message: str = "", retry_after: float = 1.0
    ) -> None:
        self.outcome = outcome
        self.rejected = rejected
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"IngestResult({self.outcome}, rejected={self.rejected}, message={self.message!r})"


class IngestStats:
    """What ingest did, for `/metrics` and status."""

    __slots__ = (
        "busy_rejections",
        "degraded_records",
        "events_mapped",
        "events_queued",
        "events_written",
        "ingest_seconds",
        "received",
        "requests",
        "write_timeouts",
    )

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()  # OTLP records by signal, hook payloads
        self.requests: Counter[tuple[str, str, str]] = Counter()  # transport, signal, code
        self.events_mapped = 0
        self.events_queued = 0
        self.events_written = 0
        self.busy_rejections = 0
        self.degraded_records = 0
        self.write_timeouts = 0
        self.ingest_seconds = 0.0


class Ingest:
    """Maps, processes and writes what producers deliver; counts every step."""

    def __init__(
        self,
        pipeline: EventPipeline,
        writer: LineWriter,
        *,
        queue_events: int = 50_000,
        mapper: OtlpMapper | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.writer = writer
        self.queue_events = queue_events
        self.mapper = mapper
        self.accepting = True
        self.stats = IngestStats()

    # -- admission (synchronous, in the producer's thread) ----------------------------
    def count_request(self, transport: str, signal: str, code: str) -> None:
        """Count one answered request by transport, signal and status code."""
        self.stats.requests[(transport, signal, code)] += 1

    def _refusal(self, records: int) -> IngestResult | None:
        """CLOSED or BUSY when a delivery of about `records` records may not be taken."""
        if not self.accepting:
            return IngestResult(Outcome.CLOSED)
        depth = self.writer.queue_depth
        if depth and depth + 2 * records > self.queue_events:  # room for 2 events a record
            self.stats.busy_rejections += 1
            return IngestResult(Outcome.BUSY)
        return None

    def _process(self, events: list[Event]) -> tuple[Lines, int]:
        """Run the pipeline; the lines to write and how many events it dropped."""
        from beacon.logfiles.lines import Lines

        processed = Lines.of_serialized(self.pipeline.process_serialized(events))
        self.stats.events_mapped += len(events)
        return processed, len(events) - len(processed)

    def _map_otlp(self, signal: Signal, batch: Batch) -> tuple[Lines, IngestResult]:
        assert self.mapper is not None, "an OTLP ingest needs a mapper"
        self.stats.received[signal] += len(batch)
        lines, rejected = self._process(self.mapper.map(batch))
        notes = []
        if rejected:
            notes.append(f"{rejected} events dropped by the pipeline")
        if batch.degraded:
            self.stats.degraded_records += len(batch.degraded)
            notes.append(f"{len(batch.degraded)} values nested too deep were cut")
        return lines, IngestResult(Outcome.OK, rejected=rejected, message="; ".join(notes))

    def _map_hook(self, hook: HookInput) -> Lines:
        from beacon.runtimes.hooks import map_hook

        self.stats.received["hooks"] += 1
        return self._process(map_hook(hook))[0]

    # -- delivery, awaited by asyncio producers (receivers, intake, spool, schedule) ----
    async def otlp(self, signal: Signal, batch: Batch) -> IngestResult:
        """Map, process and write one decoded OTLP Export request."""
        refused = self._refusal(len(batch))
        if refused is not None:
            return refused
        began = time.perf_counter()
        lines, result = self._map_otlp(signal, batch)
        self.stats.ingest_seconds += time.perf_counter() - began
        return await self._written(lines, result)

    async def hook(self, hook: HookInput) -> IngestResult:
        """Map, process and write one hook payload."""
        refused = self._refusal(1)
        if refused is not None:
            return refused
        began = time.perf_counter()
        lines = self._map_hook(hook)
        self.stats.ingest_seconds += time.perf_counter() - began
        return await self._written(lines, IngestResult(Outcome.OK))

    async def events(self, events: list[Event]) -> IngestResult:
        """Process and write events a producer built itself (inventory, test events)."""
        refused = self._refusal(len(events))
        if refused is not None:
            return refused
        lines, rejected = self._process(events)
        return await self._written(lines, IngestResult(Outcome.OK, rejected=rejected))

    async def _written(self, lines: Lines, result: IngestResult) -> IngestResult:
        """Submit `lines`; `result` once they are written, else why not."""
        import asyncio

        loop = asyncio.get_running_loop()
        future: Future[bool | None] = loop.create_future()

        def on_written(ok: bool) -> None:  # runs in the writer's thread
            loop.call_soon_threadsafe(_settle, future, ok)

        if not self.writer.submit(lines, 0, on_written):
            self.stats.busy_rejections += 1
            return IngestResult(Outcome.BUSY)
        self.stats.events_queued += len(lines)
        timer = loop.call_later(ACK_TIMEOUT_SECONDS, _settle, future, None)
        try:
            ok = await future
        finally:
            timer.cancel()
        return self._settled(ok, len(lines), result)

    # -- delivery, blocking (beacon-hooks, command-line producers) ----------------------
    def hook_now(self, hook: HookInput) -> IngestResult:
        """`hook`, for a caller without an event loop."""
        refused = self._refusal(1)
        if refused is not None:
            return refused
        return self._written_now(self._map_hook(hook), IngestResult(Outcome.OK))

    def events_now(self, events: list[Event]) -> IngestResult:
        """`events`, for a caller without an event loop."""
        refused = self._refusal(len(events))
        if refused is not None:
            return refused
        lines, rejected = self._process(events)
        return self._written_now(lines, IngestResult(Outcome.OK, rejected=rejected))

    def _written_now(self, lines: Lines, result: IngestResult) -> IngestResult:
        done: list[bool] = []
        waker: list[Callable[[], None]] = []

        def on_written(ok: bool) -> None:
            done.append(ok)
            for wake in waker:
                wake()

        if not self.writer.submit(lines, 0, on_written):
            self.stats.busy_rejections += 1
            return IngestResult(Outcome.BUSY)
        self.stats.events_queued += len(lines)
        if not done:  # a threaded writer: wait for its thread (the direct writer is done)
            import threading

            event = threading.Event()
            waker.append(event.set)
            if not done:
                event.wait(ACK_TIMEOUT_SECONDS)
        return self._settled(done[0] if done else None, len(lines), result)

    def _settled(self, ok: bool | None, count: int, result: IngestResult) -> IngestResult:
        if ok:
            self.stats.events_written += count
            return result
        if ok is None:
            self.stats.write_timeouts += 1
            return IngestResult(Outcome.UNWRITTEN)
        return IngestResult(Outcome.CLOSED)


def _settle(future: Future[bool | None], ok: bool | None) -> None:
    if not future.done():
        future.set_result(ok)


def local_ingest(
    log_dir: str,
    *,
    mode: str = "user",
    group: str = "",
    rotate_bytes: int | None = None,
    archives: int | None = None,
    fsync: bool = False,
    key: ChainKey | None = None,
    **pipeline: Any,
) -> Ingest:
    """An ingest over the standard pipeline (stdlib variant, no dedupe) and a `DirectWriter`.

    For one short process (`beacon-hooks`, command-line producers): nothing is queued, the
    cross-process lock serializes it with a running collector's writer. Settings left out
    take the defaults `beacon.config` uses, so a hook with no configuration need not load
    it; `key` keys the hash chain (`beacon.config.chain_key`, or for a hook without
    configuration `beacon.logfiles.chain.resolve_key`); `pipeline` takes
    `build_local_pipeline`'s keywords.
    """
    from beacon.logfiles.direct import DirectWriter
    from beacon.logfiles.jsonl import FileModes
    from beacon.logfiles.names import ROTATE_ARCHIVES, ROTATE_BYTES
    from beacon.pipeline import build_local_pipeline

    writer = DirectWriter(
        log_dir,
        rotate_bytes=ROTATE_BYTES if rotate_bytes is None else rotate_bytes,
        archives=ROTATE_ARCHIVES if archives is None else archives,
        modes=FileModes.for_mode(mode, group),
        fsync=fsync,
        key=key,
    )
    return Ingest(build_local_pipeline(**pipeline), writer)


def configured_ingest(config: BeaconConfig) -> Ingest:
    """`local_ingest` with every setting taken from `config`.

    Raises `ConfigError` when the configured chain key is unusable.
    """
    from beacon.config import chain_key

    writer, redaction, limits = config.writer, config.redaction, config.limits
    return local_ingest(
        str(writer.log_path),
        mode=writer.mode,
        group=writer.group,
        rotate_bytes=writer.rotate_bytes,
        archives=writer.rotate_archives,
        fsync=writer.fsync == "always",
        key=chain_key(config),
        hostname=config.endpoint.hostname,
        origin=config.endpoint.origin,
        redact=redaction.enabled,
        patterns=redaction.patterns,
        allowlist=redaction.allowlist,
        field_bytes=limits.field_bytes,
        nested_field_bytes=limits.nested_field_bytes,
        max_event_bytes=limits.max_event_bytes,
    )


def write_events(events: list[Event], config: BeaconConfig) -> int:
    """Process `events` and append them to their streams now; returns how many were written.

    The entry for command-line producers. Raises `StorageError` or `OSError` when the log
    directory cannot be written.
    """
    ingest = configured_ingest(config)
    try:
        result = ingest.events_now(events)
    finally:
        ingest.writer.close()
    return ingest.stats.events_written if result.outcome is Outcome.OK else 0
