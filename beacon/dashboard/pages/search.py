"""Log search (the front page), one event's detail, and the overview numbers.

Search runs `beacon.audit.query.search` (the engine of `beacon logs`) newest first, one page
at a time: the next page continues from the last event's position, so paging through a
large log never re-reads what was shown. With a time window or a session, files the index
shows cannot match are skipped. `/api/events`, `/api/event` and `/api/summary` return what
the pages show.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from beacon.audit.formats import field_value, summary_of
from beacon.audit.query import Filter, Match, ScanStats, event_at, search
from beacon.dashboard.context import KEY, STREAMS, Dashboard
from beacon.dashboard.params import (
    filter_values,
    format_position,
    parse_filter,
    parse_limit,
    parse_position,
    parse_stream,
)
from beacon.dashboard.templating import api, api_result, page
from beacon.dashboard.timeline import message_text
from beacon.schema.actions import Severity

routes = web.RouteTableDef()


def row(match: Match) -> dict[str, Any]:
    """One event as a result row (its full event included)."""
    event = match.event
    return {
        "at": format_position(match.position),
        "timestamp": event.get("timestamp"),
        "action": field_value(event, "event.action"),
        "category": field_value(event, "event.category"),
        "severity": event.get("severity"),
        "harness": field_value(event, "harness.name"),
        "session": field_value(event, "session.id"),
        "duplicate": bool(field_value(event, "event.duplicate_of")),
        "summary": message_text(field_value(event, "gen_ai.output.messages")) or summary_of(event),
        "event": event,
    }


async def find_events(
    ctx: Dashboard, where: Filter, stream: str, limit: int, after: str | None
) -> dict[str, Any]:
    """A page of matches, newest first, and the position to continue from."""
    keep = None
    if where.since is not None or where.until is not None or where.sessions:
        outcome = await ctx.index_view(stream, wait=0)
        if outcome.current and outcome.value is not None:
            keep = outcome.value.keep(where)
    stats = ScanStats()
    started = time.perf_counter()
    found = await asyncio.to_thread(
        search,
        ctx.log_dir,
        where,
        stream=stream,
        limit=limit + 1,  # one more: is there a next page?
        stats=stats,
        after=parse_position(after, "after"),
        keep=keep,
    )
    more = len(found) > limit
    found = found[:limit]
    return {
        "stream": stream,
        "events": [row(m) for m in found],
        "next": format_position(found[-1].position) if more and found else None,
        "scanned_bytes": stats.bytes,
        "files_read": len(stats.files),
        "seconds": round(time.perf_counter() - started, 4),
    }


@routes.get("/")
async def search_page(request: web.Request) -> web.Response:
    """The front page: the search form and the newest matching events."""
    ctx = request.app[KEY]
    stream = parse_stream(request.query)
    where = parse_filter(request.query)
    limit = parse_limit(request.query)
    result = await find_events(ctx, where, stream, limit, request.query.get("after"))
    outcome = await ctx.index_view(stream, wait=0)
    view = outcome.value if outcome.current else None
    pairs = [(k, v) for k, v in request.query.items() if k != "after" and v]
    return page(
        request,
        "search.html",
        title="Search",
        result=result,
        newest_url=str(request.rel_url.with_query(pairs)),
        older_url=str(request.rel_url.with_query([*pairs, ("after", result["next"])]))
        if result["next"]
        else None,
        form=filter_values(request.query),
        stream=stream,
        limit=limit,
        paged=bool(request.query.get("after")),
        filtered=not where.empty,
        severities=[s.value for s in Severity],
        harnesses=sorted(h for h in view.counter("harnesses") if h) if view else [],
        actions=sorted(a for a in view.counter("actions") if a) if view else [],
        overview=_overview(view) if view else None,
        indexing=None if view else ctx.progress(stream),
    )


@routes.get("/api/events")
async def events_api(request: web.Request) -> web.Response:
    """Matching events, newest first: `limit` per page, `after` the previous page's `next`."""
    ctx = request.app[KEY]
    stream = parse_stream(request.query)
    result = await find_events(
        ctx,
        parse_filter(request.query),
        stream,
        parse_limit(request.query),
        request.query.get("after"),
    )
    return api(result)


async def _lookup(ctx: Dashboard, query: Any) -> Match | None:
    """The event `at` a position, or with `id` (narrowed by any filter given with it; in
    either stream unless `stream` says which)."""
    stream = parse_stream(query)
    position = parse_position(query.get("at"))
    if position is not None:
        return await asyncio.to_thread(event_at, ctx.log_dir, position, stream=stream)
    event_id = str(query.get("id") or "").strip()
    if not event_id:
        return None
    given = parse_filter(query)
    where = Filter(since=given.since, until=given.until, sessions=given.sessions, text=event_id)
    for name in [stream] if query.get("stream") else list(STREAMS):
        keep = None
        outcome = await ctx.index_view(name, wait=0)
        if outcome.current and outcome.value is not None:
            keep = outcome.value.keep(where)
        found = await asyncio.to_thread(
            search, ctx.log_dir, where, stream=name, limit=20, keep=keep
        )
        match = next((m for m in found if field_value(m.event, "event.id") == event_id), None)
        if match is not None:
            return match
    return None


def fields_of(event: dict[str, Any]) -> list[tuple[str, Any]]:
    """The event's leaves as (dotted path, value), `raw` and `integrity` left out."""
    out: list[tuple[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        else:
            out.append((path, value))

    walk({k: v for k, v in event.items() if k not in ("raw", "integrity")}, "")
    return out


@routes.get("/event")
async def event_page(request: web.Request) -> web.Response:
    """One event: its main fields, the raw JSON, and the line exactly as stored."""
    import orjson

    ctx = request.app[KEY]
    match = await _lookup(ctx, request.query)
    if match is None:
        return page(request, "missing.html", status=404, title="Event not found", what="event")
    event = match.event
    return page(
        request,
        "event.html",
        title=str(field_value(event, "event.action") or "Event"),
        item=row(match),
        fields=fields_of(event),
        pretty=orjson.dumps(event, option=orjson.OPT_INDENT_2).decode(),
        line=match.line.decode("utf-8", "replace"),
        path=str(match.path),
        offset=match.position.offset if match.position else None,
        session=field_value(event, "session.id"),
    )


@routes.get("/api/event")
async def event_api(request: web.Request) -> web.Response:
    """One event by `at` (a position from a result) or `id` (its `event.id`)."""
    ctx = request.app[KEY]
    match = await _lookup(ctx, request.query)
    if match is None:
        return api({"error": "no such event"}, status=404)
    return api(
        {
            "at": format_position(match.position),
            "file": str(match.path),
            "event": match.event,
            "line": match.line.decode("utf-8", "replace"),
        }
    )


def _overview(view: Any) -> dict[str, Any]:
    days = view.counter("days")
    return {
        "events": view.events,
        "sessions": len({sid for f in view.files for sid in f.tallies}),
        "bytes": view.bytes,
        "files": len(view.files),
        "first": min((f.first for f in view.files if f.first), default=None),
        "last": max((f.last for f in view.files if f.last), default=None),
        "unreadable": view.unreadable,
        "days": [{"day": d, "events": n} for d, n in sorted(days.items()) if d],
        "actions": [{"name": a, "events": n} for a, n in view.counter("actions").most_common(12)],
        "harnesses": [{"name": h, "events": n} for h, n in view.counter("harnesses").most_common()],
    }


@routes.get("/api/summary")
async def summary_api(request: web.Request) -> web.Response:
    """Overview numbers of a stream from the index: events per day, action and harness."""
    ctx = request.app[KEY]
    stream = parse_stream(request.query)
    outcome = await ctx.index_view(stream)
    if outcome.value is None:
        return api_result(ctx.indexing(stream))
    return api(
        {
            "status": "ok" if outcome.current else "updating",
            "stream": stream,
            **_overview(outcome.value),
        }
    )
