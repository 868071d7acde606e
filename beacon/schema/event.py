"""Build normalized events: constants, timestamps, ids and the skeleton every event shares.

Stdlib only and cheap: the hook path and every mapper build events through here.
"""

from __future__ import annotations

import itertools
import os
import time
from functools import lru_cache

from beacon.schema.actions import category_of, default_severity

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from typing import Any, TypeAlias

SCHEMA_VERSION = "1.1"
VENDOR = "beacon"
PRODUCT = "endpoint-agent"
EVENT_KIND = "agent_runtime"

if TYPE_CHECKING:
    Event: TypeAlias = dict[str, Any]
else:
    Event = dict  # `dict[str, Any]`: `typing` is not imported at run time (hook start-up)
"""An event is a plain JSON-ready dict; the JSON Schema says what it may hold."""


_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


def format_timestamp(unix_ns: int) -> str:
    """RFC 3339 UTC with millisecond precision, e.g. `2026-05-11T22:21:00.123Z`."""
    seconds, ms = divmod(unix_ns // 1_000_000, 1000)
    return _second_prefix(seconds) + _MILLIS[ms]


@lru_cache(maxsize=64)
def _second_prefix(seconds: int) -> str:
    """The `YYYY-MM-DDTHH:MM:SS` part; cached, as events arrive many per second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


_now_cache: tuple[int, str] = (-1, "")


def now_timestamp() -> str:
    """The current time as an event timestamp (formatted once per millisecond)."""
    global _now_cache
    ms = time.time_ns() // 1_000_000
    cached_ms, text = _now_cache
    if ms != cached_ms:
        text = format_timestamp(ms * 1_000_000)
        _now_cache = (ms, text)
    return text


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (any precision, `Z` or offset) into an aware datetime."""
    from datetime import UTC, datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


_MASK48 = (1 << 48) - 1
_NO_IDS: tuple[int, str, int, int, Iterator[int]] = (-1, "", 0, 0, itertools.count())
# Of the current millisecond: (ms, the id's text before its last 12 hex digits, the low 48
# bits of the random start, the whole start, a counter).
_id_state = _NO_IDS


def _random_start() -> int:
    """73 random bits from the OS: a millisecond's first sequence value."""
    return int.from_bytes(os.urandom(10)) >> 7


def _reseed() -> None:
    """A forked child must not repeat its parent's ids: it draws a new start."""
    global _id_state
    _id_state = _NO_IDS


os.register_at_fork(after_in_child=_reseed)


def _id_text(ms: int, seq: int) -> str:
    """The UUIDv7 text for millisecond `ms` and 74-bit sequence value `seq`."""
    h = f"{ms & _MASK48:012x}"
    # rand_a (12 bits), then the RFC 4122 variant `10` over the next 14 bits, then 48 bits.
    variant_and_rand_b = (seq >> 48) & 0x3FFF | 0x8000
    return f"{h[:8]}-{h[8:]}-7{seq >> 62:03x}-{variant_and_rand_b:04x}-{seq & _MASK48:012x}"


def new_event_id() -> str:
    """A UUIDv7 string: unique, and sortable by creation time for downstream dedupe.

    RFC 9562 method 2 ("monotonic random"): the 74 bits after the millisecond start at a
    random value each millisecond and count up within it, so ids of one process sort in
    creation order. Each millisecond's start comes from the OS's random source.
    Only the last 48 bits are formatted per id, until the count carries past them.
    """
    ms, prefix, low, start, counter = _id_millisecond()
    n = next(counter)  # `next` on a count is atomic under the GIL
    return f"{prefix}{low + n:012x}" if low + n <= _MASK48 else _id_text(ms, start + n)


def new_event_ids(count: int) -> list[str]:
    """`count` ids as from `new_event_id`, in creation order, drawn at once for a batch."""
    ms, prefix, low, start, counter = _id_millisecond()
    # islice runs in C without a thread switch: concurrent callers never share a value.
    offsets = list(itertools.islice(counter, count))
    if not offsets or low + offsets[-1] <= _MASK48:
        return [f"{prefix}{low + n:012x}" for n in offsets]
    return [_id_text(ms, start + n) for n in offsets]


def _id_millisecond() -> tuple[int, str, int, int, Iterator[int]]:
    """The id state of the current millisecond, started afresh when the millisecond changed."""
    global _id_state
    ms = time.time_ns() // 1_000_000
    state = _id_state
    if state[0] != ms:
        start = _random_start()
        state = _id_state = (
            ms,
            _id_text(ms, start)[:24],
            start & _MASK48,
            start,
            itertools.count(),
        )
    return state


@lru_cache(maxsize=256)
def action_meta(action: str) -> tuple[str, str, str]:
    """(plain action string, category, default severity); cached, as mappers are hot."""
    value = str(action)
    return value, category_of(value), default_severity(value)


def new_event(
    action: str,
    *,
    harness: str,
    timestamp: str | None = None,
    severity: str | None = None,
    message: str | None = None,
    **fields: Any,
) -> Event:
    """The skeleton of one event; mappers add their fields. Enrichment fills the rest.

    `fields` are top-level keys (`session`, `tool`, `raw`, ...) copied as given.
    """
    return skeleton(action, {"name": harness}, timestamp, severity, message, fields)


def skeleton(
    action: str,
    harness: dict[str, Any],
    timestamp: str | None,
    severity: str | None,
    message: str | None,
    fields: dict[str, Any],
    source: str | None = None,
) -> Event:
    """`new_event` with positional arguments and `fields` as a dict: the mappers' hot path."""
    value, category, default = action_meta(action)
    meta = {"kind": EVENT_KIND, "action": value, "category": category}
    if source:
        meta["source"] = source
    event: Event = {
        "timestamp": timestamp or now_timestamp(),
        "vendor": VENDOR,
        "product": PRODUCT,
        "schema_version": SCHEMA_VERSION,
        "event": meta,
        "severity": severity or default,
        "harness": harness,
    }
    if message is not None:
        event["message"] = message
    event.update(fields)
    return event
