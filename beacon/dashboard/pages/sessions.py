"""Sessions: the list (one row per `session.id`, as `beacon logs sessions`) and one
session's timeline (as `beacon logs session ID`, grouped for reading).

Without filters the list comes from the index (session tallies merged across files); with
filters it is counted over the matching events by `beacon.audit.sessions.summarize`, as
`beacon logs sessions` counts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiohttp import web

from beacon.audit.formats import field_value
from beacon.audit.query import Filter, iter_search
from beacon.audit.reader import LogFile
from beacon.audit.sessions import SessionSummary, summaries_of, summarize, timeline
from beacon.dashboard import timeline as readable
from beacon.dashboard.context import KEY, Dashboard
from beacon.dashboard.index import note_prompt
from beacon.dashboard.params import filter_values, parse_filter, parse_limit
from beacon.dashboard.templating import api, api_result, page
from beacon.errors import UsageError

routes = web.RouteTableDef()
DEFAULT_SESSIONS = 200


async def list_sessions(ctx: Dashboard, query: Any) -> dict[str, Any]:
    """The sessions a query asks for, latest first, or the index's progress."""
    where = parse_filter(query)
    limit = parse_limit(query, DEFAULT_SESSIONS)
    outcome = await ctx.index_view("runtime")
    view = outcome.value if outcome.current else None
    found: list[SessionSummary]
    if where.empty:
        if view is None:
            return ctx.indexing("runtime")
        found = summaries_of(view.tallies().values())
        prompts = view.first_prompts()
    else:
        keep = view.keep(where) if view is not None else None
        found, prompts = await asyncio.to_thread(_scan, ctx, where, keep)
    return {
        "status": "ok",
        "total": len(found),
        "sessions": [_row(s, prompts.get(s.id)) for s in found[:limit]],
        "limit": limit,
    }


def _scan(
    ctx: Dashboard, where: Filter, keep: Callable[[LogFile], bool] | None
) -> tuple[list[SessionSummary], dict[str, str]]:
    """Sessions counted over the events `where` keeps (as `beacon logs sessions`), and
    their first prompts."""
    prompts: dict[str, list[str]] = {}

    def noting(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in events:
            sid = field_value(event, "session.id")
            if isinstance(sid, str) and sid:
                note_prompt(prompts, sid, event)
            yield event

    matches = iter_search(ctx.log_dir, where, newest_first=False, keep=keep)
    found = summarize(noting(m.event for m in matches))
    return found, {sid: text for sid, (_, text) in prompts.items()}


def _row(summary: SessionSummary, prompt: str | None) -> dict[str, Any]:
    """A session's summary with its length in seconds and its first prompt."""
    row = summary.to_dict()
    row["length_seconds"] = readable.seconds_between(summary.start, summary.end)
    row["first_prompt"] = prompt
    return row


@routes.get("/sessions")
async def sessions_page(request: web.Request) -> web.Response:
    """Every session, latest first, with its counts."""
    ctx = request.app[KEY]
    result = await list_sessions(ctx, request.query)
    return page(
        request,
        "sessions.html",
        title="Sessions",
        result=result,
        form=filter_values(request.query),
        filtered=not parse_filter(request.query).empty,
    )


@routes.get("/api/sessions")
async def sessions_api(request: web.Request) -> web.Response:
    """Sessions as JSON (`status` `indexing` with 202 while a first index is built)."""
    return api_result(await list_sessions(request.app[KEY], request.query))


async def session_timeline(ctx: Dashboard, session_id: str, everything: bool) -> dict[str, Any]:
    """One session's readable timeline (`UsageError` when there is no such session)."""
    outcome = await ctx.index_view("runtime", wait=0)
    keep = None
    if outcome.current and outcome.value is not None:
        keep = outcome.value.keep(Filter(sessions=(session_id,)))
    summary, matches = await asyncio.to_thread(timeline, ctx.log_dir, session_id, keep=keep)
    return readable.build(summary, matches, everything=everything)


@routes.get("/sessions/{session_id}")
async def session_page(request: web.Request) -> web.Response:
    """A session as a timeline: prompts, tool calls, results, tokens, gaps."""
    ctx = request.app[KEY]
    everything = request.query.get("all") == "1"
    try:
        data = await session_timeline(ctx, request.match_info["session_id"], everything)
    except UsageError as exc:
        return page(request, "missing.html", status=404, title="No such session", what=str(exc))
    return page(
        request,
        "session.html",
        title=f"Session {data['session']['id'][:8]}",
        data=data,
        everything=everything,
    )


@routes.get("/api/sessions/{session_id}")
async def session_api(request: web.Request) -> web.Response:
    """A session's summary and timeline entries (`all=1`: plumbing and duplicates too)."""
    ctx = request.app[KEY]
    try:
        data = await session_timeline(
            ctx, request.match_info["session_id"], request.query.get("all") == "1"
        )
    except UsageError as exc:
        return api({"error": str(exc)}, status=404)
    return api(data)
