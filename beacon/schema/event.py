"""Build normalized events: constants, timestamps, ids and the skeleton every event shares.

Stdlib only and cheap: the hook path and every mapper build events through here.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from beacon.schema.actions import category_of, default_severity

SCHEMA_VERSION = "1.1"
VENDOR = "beacon"
PRODUCT = "endpoint-agent"
EVENT_KIND = "agent_runtime"

Event = dict[str, Any]
"""An event is a plain JSON-ready dict; the JSON Schema says what it may hold."""


def format_timestamp(unix_ns: int) -> str:
    """RFC 3339 UTC with millisecond precision, e.g. `2026-05-11T22:21:00.123Z`."""
    seconds, rest = divmod(unix_ns, 1_000_000_000)
    return f"{_second_prefix(seconds)}.{rest // 1_000_000:03d}Z"


@lru_cache(maxsize=64)
def _second_prefix(seconds: int) -> str:
    """The `YYYY-MM-DDTHH:MM:SS` part; cached, as events arrive many per second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def now_timestamp() -> str:
    """The current time as an event timestamp."""
    return format_timestamp(time.time_ns())


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (any precision, `Z` or offset) into an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


_random = random.Random(os.urandom(32))
# A forked child must not repeat its parent's ids.
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def new_event_id() -> str:
    """A UUIDv7 string: unique, and sortable by creation time for downstream dedupe.

    The 80 random bits come from a generator seeded from the OS once per process: a
    `getrandom` call per event costs more than the rest of enrichment here.
    """
    ms = time.time_ns() // 1_000_000
    rand = _random.getrandbits(80)
    value = (ms & ((1 << 48) - 1)) << 80 | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
    value, category, default = action_meta(action)
    event: Event = {
        "timestamp": timestamp or now_timestamp(),
        "vendor": VENDOR,
        "product": PRODUCT,
        "schema_version": SCHEMA_VERSION,
        "event": {"kind": EVENT_KIND, "action": value, "category": category},
        "severity": severity or default,
        "harness": {"name": harness},
    }
    if message is not None:
        event["message"] = message
    event.update(fields)
    return event
