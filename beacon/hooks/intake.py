"""HTTP hook intake: `POST /v1/hooks/{runtime}` on the collector's OTLP/HTTP listener.

Takes the runtime's hook JSON as is (Claude Code `http` hooks, and `beacon-hooks`
forwarding) and hands it to the one ingest path, the path OTLP data takes, so the
pipeline's dedupe sees both. Answers 200 with the runtime's no-op reply once the events are
written; 503 (same body) when the writer is full, shutting down or not writing, which makes
`beacon-hooks` record the payload itself. Also replays the spool (`beacon.hooks.spool`)
for as long as the listener serves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import orjson
from aiohttp import web

from beacon.hooks.spool import SpoolIngester, run_periodically
from beacon.ingest import IngestResult, Outcome
from beacon.runtimes.hooks import harness_of, noop_reply
from beacon.runtimes.hooks.payload import SOURCE_COMMAND, SOURCE_HTTP, HookInput, hook_input

SOURCE_HEADER = "X-Beacon-Hook-Source"
JSON = "application/json"


class HookSink(Protocol):
    """What the intake needs of the ingest path (`beacon.ingest.Ingest`)."""

    @property
    def accepting(self) -> bool: ...

    async def hook(self, hook: HookInput) -> IngestResult: ...

    def count_request(self, transport: str, signal: str, code: str) -> None: ...


class HookIntake:
    """Answers hook requests and replays the spool, both through the ingest path."""

    def __init__(self, sink: HookSink, spool_dirs: list[Path] | None = None) -> None:
        self.sink = sink
        self.spool = SpoolIngester(self.deliver_spooled, spool_dirs)

    async def handle(self, request: web.Request) -> web.Response:
        """One hook request: ingest, answer with the runtime's no-op reply."""
        harness = harness_of(request.match_info["runtime"])
        if harness is None:
            self.sink.count_request("http", "hooks", "404")
            return web.Response(status=404, body=b"{}", content_type=JSON)
        body = await request.read()
        source = SOURCE_COMMAND if request.headers.get(SOURCE_HEADER) else SOURCE_HTTP
        hook = hook_input(
            harness, body, event_hint=request.query.get("event", ""), source=source, loads=_loads
        )
        result = await self.sink.hook(hook)
        reply = noop_reply(harness, hook.event_name)
        status = 200 if result.outcome is Outcome.OK else 503
        self.sink.count_request("http", "hooks", str(status))
        response = web.Response(status=status, body=reply, content_type=JSON)
        if status == 503:
            response.headers["Retry-After"] = "1"
        return response

    async def deliver_spooled(self, header: dict[str, Any], body: bytes) -> bool:
        """Ingest one spooled payload with its original time; True once written."""
        platform = str(header.get("platform") or "")
        spooled_at = header.get("spooled_at")
        hook = hook_input(
            harness_of(platform) or platform or "unknown",
            body,
            event_hint=str(header.get("event") or ""),
            source=str(header.get("source") or SOURCE_COMMAND),
            timestamp=spooled_at if isinstance(spooled_at, str) else None,
            loads=_loads,
        )
        return (await self.sink.hook(hook)).outcome is Outcome.OK

    async def spool_context(self, app: web.Application) -> AsyncIterator[None]:
        """aiohttp cleanup context: replay the spool while the listener serves, and once more
        on shutdown (the writer still accepts then), so a payload spooled just before the
        stop is in the log, not left for the next start."""
        task = asyncio.create_task(run_periodically(self.spool, lambda: self.sink.accepting))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self.sink.accepting:
            with contextlib.suppress(Exception):  # a bad spool must not stop the shutdown
                await self.spool.ingest_once()


def _loads(data: bytes) -> Any:
    return orjson.loads(data)


def add_hook_intake(
    app: web.Application, sink: HookSink, spool_dirs: list[Path] | None = None
) -> web.Application:
    """Register the hook route and the spool replay on the collector's HTTP app; returns it.

    `spool_dirs`: where to replay from (default: every directory hooks may spool to)."""
    intake = HookIntake(sink, spool_dirs)
    app.router.add_post("/v1/hooks/{runtime}", intake.handle)
    app.cleanup_ctx.append(intake.spool_context)
    return app
