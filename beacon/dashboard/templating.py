"""Rendering: the Jinja2 environment (templates shipped in the package), the filters the
templates use to show times, sizes, tokens and money, and the two response kinds.

Autoescaping is on for every template: event text (prompts, commands, file paths) is
attacker-influenced and must never become markup. JSON answers are compact orjson.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
import orjson
from aiohttp import web

from beacon._version import __version__
from beacon.dashboard.context import KEY

NONE = "\u2013"  # an en dash: shown where there is no value
ENV_KEY: web.AppKey[jinja2.Environment] = web.AppKey("jinja", jinja2.Environment)


def environment() -> jinja2.Environment:
    """The template environment, loading from `beacon/dashboard/templates`."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("beacon.dashboard", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Records from the log may lack any field (older writers, foreign lines): a missing
        # key renders as nothing rather than breaking the page.
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(
        when=when,
        day=day,
        number=number,
        money=money,
        size=size,
        duration=duration,
        ago=ago,
        short=short,
        clip=clip,
    )
    env.globals["version"] = __version__
    return env


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """An HTML page; `context` goes to the template, with the request's path as `here`."""
    env = request.app[ENV_KEY]
    html = env.get_template(template).render(
        here=request.path,
        log_dir=str(request.app[KEY].log_dir),
        **context,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def api(data: Any, status: int = 200) -> web.Response:
    """A JSON answer."""
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return web.Response(body=body, status=status, content_type="application/json")


def api_result(result: dict[str, Any]) -> web.Response:
    """A page's result as JSON: 202 while it only reports index progress (`Dashboard.indexing`)."""
    return api(result, status=202 if result["status"] == "indexing" else 200)


# -- filters ---------------------------------------------------------------------------------
def _parse(stamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(stamp: Any, precise: bool = True) -> str:
    """A timestamp as `2026-12-01 10:00:00.123` (UTC, as in the logs)."""
    if not isinstance(stamp, str) or not stamp:
        return NONE
    text = stamp.replace("T", " ").removesuffix("Z")
    return text if precise else text[:19]


def day(stamp: Any) -> str:
    """The date part of a timestamp."""
    return stamp[:10] if isinstance(stamp, str) else NONE


def number(value: Any) -> str:
    """An integer with thousands separators."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return NONE
    return f"{int(value):,}"


def money(value: Any) -> str:
    """US dollars: cents for sums, four decimals for small amounts."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value == 0:
        return NONE
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def size(value: Any) -> str:
    """Bytes as B, KB, MB or GB (powers of 1000, as `ls -h --si`)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return NONE
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1000
    return f"{amount:,.1f} TB"  # pragma: no cover - the loop returns at GB


def duration(seconds: Any) -> str:
    """A span of time for reading: `58 ms`, `4.2 s`, `3 min 05 s`, `2 h 07 min`, `3 d 4 h`."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return NONE
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def ago(stamp: Any) -> str:
    """How long ago a timestamp was: `5 min ago`."""
    moment = _parse(stamp) if isinstance(stamp, str) else None
    if moment is None:
        return "never"
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    return "just now" if seconds < 1 else f"{duration(seconds)} ago"


def short(value: Any, length: int = 8) -> str:
    """The first characters of an id."""
    return str(value or "")[:length] or NONE


def clip(value: Any, length: int = 160) -> str:
    """Text on one line, cut with an ellipsis."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"
