"""Event schema 1.1: the action vocabulary, event construction and the JSON Schema.

Names load on first use (PEP 562), so `from beacon.schema.event import …` on the hook path
costs only that module; the JSON Schema file is read on demand.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing`: the hook path imports this package
if TYPE_CHECKING:
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
_ACTIONS = frozenset(
    {
        "Action",
        "Category",
        "Origin",
        "Severity",
        "Stream",
        "category_of",
        "default_severity",
        "is_known_action",
        "stream_of",
    }
)
_EVENT = frozenset(
    {
        "SCHEMA_VERSION",
        "Event",
        "format_timestamp",
        "new_event",
        "new_event_id",
        "now_timestamp",
        "parse_timestamp",
    }
)


def __getattr__(name: str) -> object:
    if name in _ACTIONS:
        from beacon.schema import actions

        return getattr(actions, name)
    if name in _EVENT:
        from beacon.schema import event

        return getattr(event, name)
    raise AttributeError(f"module 'beacon.schema' has no attribute {name!r}")


_schema: dict[str, Any] | None = None


def load_json_schema() -> dict[str, Any]:
    """The shipped JSON Schema of one event line (draft 2020-12)."""
    global _schema
    if _schema is None:
        import json
        from importlib import resources

        text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
        _schema = json.loads(text)
    return _schema
