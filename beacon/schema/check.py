"""A quick structural check of one event: the rules readers rely on, without a JSON Schema
engine.

Upstream's `Validate()` rules (exact vendor and product, a schema version, kind, action,
severity, `endpoint.os`, `harness.name`, the `origin` and `content.retention` enums) plus
1.1's closed action vocabulary and parseable timestamps. `beacon ci validate` runs it on
every line; the full JSON Schema (`event.schema.json`) stays the reference.
"""

from __future__ import annotations

from typing import Any

from beacon.schema.actions import Category, Origin, Severity, is_known_action
from beacon.schema.event import EVENT_KIND, PRODUCT, VENDOR, parse_timestamp

RETENTIONS = frozenset({"metadata", "redacted", "full", ""})
_CATEGORIES = frozenset(c.value for c in Category)
_SEVERITIES = frozenset(s.value for s in Severity)
_ORIGINS = frozenset(o.value for o in Origin)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def problems(event: Any) -> list[str]:
    """What is wrong with `event` (empty when it passes), one short phrase each."""
    if not isinstance(event, dict):
        return ["not a JSON object"]
    found: list[str] = []
    if event.get("vendor") != VENDOR:
        found.append(f"vendor is not {VENDOR!r}")
    if event.get("product") != PRODUCT:
        found.append(f"product is not {PRODUCT!r}")
    if not _text(event.get("schema_version")):
        found.append("schema_version missing")
    timestamp = event.get("timestamp")
    try:
        parse_timestamp(timestamp) if isinstance(timestamp, str) else None
    except ValueError:
        timestamp = None
    if not isinstance(timestamp, str):
        found.append("timestamp missing or not RFC 3339")
    meta = event.get("event")
    if not isinstance(meta, dict):
        found.append("event object missing")
    else:
        if meta.get("kind") != EVENT_KIND:
            found.append(f"event.kind is not {EVENT_KIND!r}")
        action = meta.get("action")
        if not isinstance(action, str) or not is_known_action(action):
            found.append(f"event.action {action!r} is not in the vocabulary")
        category = meta.get("category")
        if category is not None and category not in _CATEGORIES:
            found.append(f"event.category {category!r} is unknown")
    if event.get("severity") not in _SEVERITIES:
        found.append(f"severity {event.get('severity')!r} is unknown")
    endpoint = event.get("endpoint")
    if not isinstance(endpoint, dict) or not _text(endpoint.get("os")):
        found.append("endpoint.os missing")
    harness = event.get("harness")
    if not isinstance(harness, dict) or not _text(harness.get("name")):
        found.append("harness.name missing")
    if "origin" in event and event["origin"] not in _ORIGINS:
        found.append(f"origin {event['origin']!r} is unknown")
    content = event.get("content")
    if isinstance(content, dict) and content.get("retention", "") not in RETENTIONS:
        found.append(f"content.retention {content.get('retention')!r} is unknown")
    for key in ("run", "ci"):
        if key in event and not isinstance(event[key], dict):
            found.append(f"{key} is not an object")
    return found
