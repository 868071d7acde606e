"""Event schema 1.1: the action vocabulary, event construction and the JSON Schema.

Importing this package is cheap (stdlib only); the JSON Schema file is read on demand.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from beacon.schema.actions import (
    Action,
    Category,
    Origin,
    Severity,
    Stream,
    category_of,
    default_severity,
    is_known_action,
    stream_of,
)
from beacon.schema.event import (
    SCHEMA_VERSION,
    Event,
    format_timestamp,
    new_event,
    new_event_id,
    now_timestamp,
    parse_timestamp,
)

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "Category",
    "Event",
    "Origin",
    "Severity",
    "Stream",
    "category_of",
    "default_severity",
    "format_timestamp",
    "is_known_action",
    "load_json_schema",
    "new_event",
    "new_event_id",
    "now_timestamp",
    "parse_timestamp",
    "stream_of",
]

SCHEMA_FILE = "event.schema.json"


@cache
def load_json_schema() -> dict[str, Any]:
    """The shipped JSON Schema of one event line (draft 2020-12)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    result: dict[str, Any] = json.loads(text)
    return result
