"""Reading a request's query string: `beacon logs` filters, pages, positions.

The filter parameters are the flags of `beacon logs` (`since`, `until`, `session`,
`harness`, `action`, `category`, `severity`, `q`), parsed by the same `Filter.parse`; a
filter given more than once matches any of its values. Bad input is a `UsageError` (400).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multidict import MultiMapping

from beacon.audit.query import Filter, Position
from beacon.errors import UsageError

FILTER_KEYS = ("q", "since", "until", "session", "harness", "action", "category", "severity")
STREAMS = ("runtime", "inventory")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def _all(query: MultiMapping[str], key: str) -> list[str]:
    """Every value of `key`; comma lists are split (`harness=claude,codex`)."""
    out: list[str] = []
    for value in query.getall(key, []):
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


def _one(query: MultiMapping[str], key: str) -> str | None:
    value = query.get(key)
    return str(value).strip() or None if value is not None else None


def parse_filter(query: MultiMapping[str]) -> Filter:
    """The `beacon logs` filter a query string asks for."""
    return Filter.parse(
        since=_one(query, "since"),
        until=_one(query, "until"),
        sessions=_all(query, "session"),
        harnesses=_all(query, "harness"),
        actions=_all(query, "action"),
        categories=_all(query, "category"),
        severity=_one(query, "severity"),
        text=_one(query, "q"),
    )


def filter_values(query: MultiMapping[str]) -> dict[str, str]:
    """The filter fields as given, for refilling a form (first value of each)."""
    return {key: str(query.get(key, "")) for key in FILTER_KEYS}


def parse_stream(query: Mapping[str, Any]) -> str:
    """`stream`: runtime (default) or inventory."""
    stream = str(query.get("stream") or "runtime")
    if stream not in STREAMS:
        raise UsageError(f"unknown stream {stream!r} (known: {', '.join(STREAMS)})")
    return stream


def parse_limit(query: Mapping[str, Any], default: int = DEFAULT_LIMIT) -> int:
    """`limit`: 1 to 1,000 (default 50)."""
    text = query.get("limit")
    if text in (None, ""):
        return default
    try:
        value = int(str(text))
    except ValueError:
        raise UsageError(f"limit must be a number, got {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}")
    return value


def format_position(position: Position | None) -> str:
    """A position as `DEV.INODE.OFFSET` (the `at` and `after` parameters)."""
    if position is None:
        return ""
    (dev, ino), offset = position.ident, position.offset
    return f"{dev}.{ino}.{offset}"


def parse_position(text: str | None, what: str = "at") -> Position | None:
    """`DEV.INODE.OFFSET` back to a position (None when not given)."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise UsageError(f"{what} must look like DEV.INODE.OFFSET, got {text!r}")
    dev, ino, offset = (int(p) for p in parts)
    return Position((dev, ino), offset)
