"""The event size cap: an oversize event is degraded step by step, never dropped.

Steps, each only if still over the cap: drop `raw`; drop large content fields (diffs,
outputs, model messages, tool call arguments and results); shorten text fields to 1 KiB;
keep only the core keys. Every step sets `field_truncated` and lists what went in
`content.dropped_fields`.
"""

from __future__ import annotations

from beacon.pipeline.base import Serialized
from beacon.pipeline.truncate import truncate_utf8
from beacon.schema.event import Event

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

_CONTENT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("file", "diff"),
    ("command", "output"),
    ("gen_ai", "input"),
    ("gen_ai", "output"),
    ("gen_ai", "system_instructions"),
    ("gen_ai", "tool", "call", "arguments"),
    ("gen_ai", "tool", "call", "result"),
    ("gen_ai", "tool", "definitions"),
    ("gen_ai", "retrieval"),
    ("tool", "error"),
    ("error", "message"),
)
_TEXT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("message",),
    ("prompt", "text"),
    ("command", "command"),
    ("tool", "command"),
    ("approval", "reason"),
    ("policy", "reason"),
)
MAX_EVENT_BYTES = 65536
"""Default event size cap (upstream's 64 KiB)."""

_CORE_KEYS = (
    "timestamp",
    "vendor",
    "product",
    "schema_version",
    "event",
    "severity",
    "endpoint",
    "user",
    "harness",
    "origin",
    "session",
    "content",
)
_SHORT_TEXT = 1024
_CORE_TEXT = 256
_MAX_ITEMS = 32


def _pop_path(event: Event, path: tuple[str, ...]) -> bool:
    node: Any = event
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return False
    return isinstance(node, dict) and node.pop(path[-1], None) is not None


def _shorten_strings(node: Any, limit: int) -> Any:
    if isinstance(node, str):
        cut = truncate_utf8(node, limit)
        return node if cut is None else cut
    if isinstance(node, dict):
        items = list(node.items())[:_MAX_ITEMS]
        return {k[:limit]: _shorten_strings(v, limit) for k, v in items}
    if isinstance(node, list):
        return [_shorten_strings(v, limit) for v in node[:_MAX_ITEMS]]
    return node


class SizeCap:
    """Pipeline processor: keep every event under `max_bytes` serialized, degrading it."""

    def __init__(
        self, max_bytes: int = MAX_EVENT_BYTES, serialized: Serialized | None = None
    ) -> None:
        self._private = serialized is None  # a memo of our own must not outlive the call
        self.serialized = serialized or Serialized()
        self.max_bytes = max_bytes
        self.degraded = 0

    def _fits(self, event: Event) -> bool:
        return len(self.serialized.of(event)) <= self.max_bytes

    @property
    def acts_above_bytes(self) -> int:
        """An event whose JSON is no longer than this is left as it is."""
        return self.max_bytes

    def counters(self) -> dict[str, int]:
        """Events degraded to fit the cap so far."""
        return {"degraded": self.degraded}

    def __call__(self, event: Event) -> Event:
        if len(self.serialized.of(event)) <= self.max_bytes:  # `_fits`, inlined: the usual case
            if self._private:
                self.serialized.forget()
            return event
        try:
            return self._cap(event)
        finally:
            if self._private:
                self.serialized.forget()

    def _cap(self, event: Event) -> Event:
        if self._fits(event):
            return event
        self.degraded += 1
        self.serialized.forget()
        dropped: list[str] = []
        event["field_truncated"] = True
        content = event.setdefault("content", {})
        if event.pop("raw", None) is not None:
            dropped.append("raw")
        steps = [self._drop_content, self._shorten_text, self._core_only, self._bare]
        for step in steps:
            content["dropped_fields"] = dropped
            self.serialized.forget()
            if self._fits(event):
                return event
            event = step(event, dropped)
            self.serialized.forget()
            content = event["content"]
        content["dropped_fields"] = dropped
        return event

    def _drop_content(self, event: Event, dropped: list[str]) -> Event:
        for path in _CONTENT_FIELDS:
            if _pop_path(event, path):
                dropped.append(".".join(path))
        event["content"]["included"] = False
        event["content"]["truncated"] = True
        return event

    def _shorten_text(self, event: Event, dropped: list[str]) -> Event:
        for path in _TEXT_FIELDS:
            node: Any = event
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and isinstance(node.get(path[-1]), str):
                cut = truncate_utf8(node[path[-1]], _SHORT_TEXT)
                if cut is not None:
                    node[path[-1]] = cut
                    dropped.append(".".join(path) + "[1024:]")
        return event

    def _core_only(self, event: Event, dropped: list[str]) -> Event:
        dropped.extend(k for k in event if k not in _CORE_KEYS and k != "field_truncated")
        core = {k: event[k] for k in _CORE_KEYS if k in event}
        core["content"] = {k: v for k, v in event["content"].items() if k != "truncations"}
        core["field_truncated"] = True
        return core

    def _bare(self, event: Event, dropped: list[str]) -> Event:
        """Last resort: every string short, lists cut; the event is still written."""
        bare = {k: _shorten_strings(v, _CORE_TEXT) for k, v in event.items() if k != "content"}
        del dropped[_MAX_ITEMS:]
        bare["content"] = {"included": False, "truncated": True, "dropped_fields": dropped}
        bare["field_truncated"] = True
        dropped.append("*[256:]")
        return bare
