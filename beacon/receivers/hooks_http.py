"""HTTP hook intake: `POST /v1/hooks/{runtime}` on the collector's OTLP/HTTP listener.

Takes the runtime's hook JSON as is (Claude Code `http` hooks, and `beacon-hooks`
forwarding), maps it with the runtime's hook mapper, and feeds the events through the
collector's pipeline and writer, the path OTLP data takes, so the pipeline's dedupe sees
both. Answers 200 with the runtime's no-op reply; 503 (same body) only when the writer
is full or shutting down, which makes `beacon-hooks` record the payload itself. Also runs
the spool ingestion (`beacon.hooks_spool`) for as long as the listener serves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Protocol

import orjson
from aiohttp import web

from beacon.config import BeaconConfig
from beacon.hooks_spool import SpoolIngester, run_periodically
from beacon.receivers.ingest import Outcome
from beacon.runtimes.hooks import harness_of, map_hook, noop_reply
from beacon.runtimes.hooks.payload import SOURCE_COMMAND, SOURCE_HTTP, HookInput, hook_input
from beacon.schema.event import Event
from beacon.writer import Lines

SOURCE_HEADER = "X-Beacon-Hook-Source"
JSON = "application/json"


class HookCollector(Protocol):
    """What the intake needs of `beacon.collector.Collector`."""

    config: BeaconConfig
    accepting: bool
    pipeline: Any
    writer: Any
    events_mapped: int
    events_queued: int
    busy_rejections: int

    def count_request(self, transport: str, signal: str, code: str) -> None: ...


class HookIntake:
    """Maps hook payloads and queues their events on the collector's writer."""

    def __init__(self, collector: HookCollector) -> None:
        self.collector = collector
        self.spool = SpoolIngester(self.deliver_spooled)

    def _queue_full(self) -> bool:
        writer = self.collector.writer
        depth = getattr(writer, "queue_depth", None)
        if not isinstance(depth, int):
            depth = getattr(writer.stats, "queue_depth", 0)
        return isinstance(depth, int) and depth >= self.collector.config.writer.queue_events

    def ingest(self, events: list[Event]) -> Outcome:
        """Process and queue events; BUSY when the writer is full, CLOSED when stopping."""
        collector = self.collector
        if not collector.accepting:
            return Outcome.CLOSED
        if self._queue_full():
            collector.busy_rejections += 1
            return Outcome.BUSY
        processed = Lines.of_serialized(collector.pipeline.process_serialized(events))
        collector.events_mapped += len(events)
        if processed and not collector.writer.submit(processed, timeout=0):
            collector.busy_rejections += 1
            return Outcome.BUSY
        collector.events_queued += len(processed)
        return Outcome.OK

    async def handle(self, request: web.Request) -> web.Response:
        """One hook request: map, ingest, answer with the runtime's no-op reply."""
        harness = harness_of(request.match_info["runtime"])
        if harness is None:
            self.collector.count_request("http", "hooks", "404")
            return web.Response(status=404, body=b"{}", content_type=JSON)
        body = await request.read()
        source = SOURCE_COMMAND if request.headers.get(SOURCE_HEADER) else SOURCE_HTTP
        hook = decode(harness, body, request.query.get("event", ""), source)
        outcome = self.ingest(map_hook(hook))
        reply = noop_reply(harness, hook.event_name)
        status = 200 if outcome is Outcome.OK else 503
        self.collector.count_request("http", "hooks", str(status))
        response = web.Response(status=status, body=reply, content_type=JSON)
        if status == 503:
            response.headers["Retry-After"] = "1"
        return response

    def deliver_spooled(self, header: dict[str, Any], body: bytes) -> bool:
        """Map and ingest one spooled payload with its original time."""
        platform = str(header.get("platform") or "")
        hook = hook_input(
            harness_of(platform) or platform or "unknown",
            body,
            event_hint=str(header.get("event") or ""),
            source=str(header.get("source") or SOURCE_COMMAND),
            timestamp=header.get("spooled_at")
            if isinstance(header.get("spooled_at"), str)
            else None,
        )
        return self.ingest(map_hook(hook)) is Outcome.OK

    async def spool_context(self, app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: ingest the spool while the listener serves."""
        task = asyncio.create_task(run_periodically(self.spool, lambda: self.collector.accepting))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def decode(harness: str, body: bytes, event_hint: str, source: str) -> HookInput:
    """orjson for the common well-formed body; the tolerant stdlib decoder otherwise."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return hook_input(harness, body, event_hint=event_hint, source=source)
    name = (
        payload.get("hook_event_name") or payload.get("type") if isinstance(payload, dict) else ""
    )
    event_name = name if isinstance(name, str) and name else event_hint
    return HookInput(harness, payload, event_name=event_name, source=source)


def add_hook_intake(app: web.Application, collector: HookCollector) -> web.Application:
    """Register the hook route and spool ingestion on the collector's HTTP app; returns it."""
    intake = HookIntake(collector)
    app.router.add_post("/v1/hooks/{runtime}", intake.handle)
    app.cleanup_ctx.append(intake.spool_context)
    return app
