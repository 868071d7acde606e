"""Token use and cost per day, model and harness (`beacon.audit.usage`: each session counted
from its model requests or its usage metrics, never both).

A window of whole days and a harness are answered from the index; any other filter of
`beacon logs` is answered by searching the log for the usage events it keeps.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from beacon.audit.query import Filter, iter_search
from beacon.audit.usage import UsageKey, UsageRow, add_usage, usage_totals
from beacon.dashboard.context import KEY, Dashboard
from beacon.dashboard.params import filter_values, parse_filter
from beacon.dashboard.templating import api_result, page
from beacon.errors import UsageError

routes = web.RouteTableDef()
USAGE_ACTIONS = ("model.request", "token.usage", "cost.usage")
RANGES = (7, 30, 90, 0)  # days; 0: everything
DEFAULT_DAYS = 30


def parse_days(query: Any) -> int:
    """`days`: the window of whole UTC days up to today (0: all)."""
    text = str(query.get("days") or DEFAULT_DAYS)
    if not text.isdigit():
        raise UsageError(f"days must be a whole number, got {text!r}")
    return int(text)


def first_day(days: int, today: datetime | None = None) -> str | None:
    """The first day (YYYY-MM-DD) of a window of `days` days ending today, None for all."""
    if days <= 0:
        return None
    today = today or datetime.now(UTC)
    return (today - timedelta(days=days - 1)).strftime("%Y-%m-%d")


def _scan(ctx: Dashboard, where: Filter) -> dict[UsageKey, UsageRow]:
    """Usage rows of the events `where` keeps (only usage actions are parsed)."""
    actions = tuple(
        a
        for a in USAGE_ACTIONS
        if not where.actions or Filter(actions=where.actions).matches({"event": {"action": a}})
    )
    rows: dict[UsageKey, UsageRow] = {}
    if actions:
        matches = iter_search(ctx.log_dir, replace(where, actions=actions), newest_first=False)
        add_usage(rows, (m.event for m in matches))
    return rows


async def token_usage(ctx: Dashboard, query: Any) -> dict[str, Any]:
    """Totals and groups for a query, or the index's progress."""
    days = parse_days(query)
    where = parse_filter(query)
    since_day = first_day(days)
    if since_day is not None:
        where = replace(where, since=max(where.since or "", since_day + "T00:00:00.000Z"))
    only_days = replace(where, since=None, harnesses=()).empty and (
        where.since is None or where.since.endswith("T00:00:00.000Z")
    )
    if only_days:
        outcome = await ctx.index_view("runtime")
        if not outcome.current or outcome.value is None:
            return ctx.indexing("runtime", days=days)
        family = Filter(harnesses=where.harnesses)
        start = where.since[:10] if where.since else ""
        rows = {
            k: r
            for k, r in outcome.value.usage().items()
            if k.day >= start and family.matches({"harness": {"name": k.harness}})
        }
    else:
        rows = await asyncio.to_thread(_scan, ctx, where)
    totals = usage_totals(rows)
    return {"status": "ok", "days": days, "since_day": since_day, **totals.to_dict()}


@routes.get("/tokens")
async def tokens_page(request: web.Request) -> web.Response:
    """Charts and tables of tokens and cost."""
    ctx = request.app[KEY]
    data = await token_usage(ctx, request.query)
    return page(
        request,
        "tokens.html",
        title="Tokens and cost",
        data=data,
        ranges=RANGES,
        form=filter_values(request.query),
        days=data["days"],
        api_query=request.query_string,
    )


@routes.get("/api/tokens")
async def tokens_api(request: web.Request) -> web.Response:
    """Tokens and cost: `total`, `by_day`, `by_model`, `by_harness`, `by_session`,
    `by_day_model` (202 with `progress` while a first index is built)."""
    return api_result(await token_usage(request.app[KEY], request.query))
