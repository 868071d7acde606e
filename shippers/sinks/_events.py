"""Per-line decoding shared by the HEC and Sentinel sinks: parse, timestamp, malformed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson


def parse_lines(data: bytes) -> Iterator[tuple[bytes, Any | None]]:
    """(raw line, parsed JSON object or None when malformed / not an object)."""
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield line, None
            continue
        yield line, doc if isinstance(doc, dict) else None


def event_time(doc: dict[str, Any] | None) -> datetime | None:
    """The event's `timestamp` (RFC 3339) as an aware datetime, None if absent/invalid."""
    if doc is None:
        return None
    ts = doc.get("timestamp")
    if not isinstance(ts, str):
        return None
    try:
        when = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None
