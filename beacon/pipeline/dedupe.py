"""Cross-path dedupe: the same tool call or prompt seen over OTLP and a hook is marked.

Both events are kept (each path carries fields the other lacks); the later one gets
`event.duplicate_of` naming the first one's `event.id`, so downstream counts can filter
on it. The key is session id + tool call id (or prompt id) + action, remembered for a
bounded window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from beacon.pipeline.base import Serialized
from beacon.schema.event import Event

_MAX_KEYS = 65536
_SWEEP_SECONDS = 1.0  # expired keys are forgotten in one pass at most this often


class Dedupe:
    """Pipeline processor: mark repeats of a tool call or prompt from another ingest path."""

    def __init__(
        self,
        window_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        serialized: Serialized | None = None,
    ) -> None:
        self.serialized = serialized
        self.window = window_seconds
        self.clock = clock
        # key -> (when, event id, source); insertion order is time order (keys re-inserted).
        self.seen: dict[tuple[str, str, str], tuple[float, str, str]] = {}
        self.marked = 0
        self._swept = clock()

    def counters(self) -> dict[str, int]:
        """Events marked as duplicates so far."""
        return {"duplicates": self.marked}

    def __call__(self, event: Event) -> Event:
        session = event.get("session")
        session_id = session.get("id") if session else None
        if not session_id:
            return event
        # The tool call id (`gen_ai.tool.call.id`), else the prompt id (inlined: runs per event).
        gen_ai = event.get("gen_ai")
        tool = gen_ai.get("tool") if gen_ai else None
        call = tool.get("call") if tool else None
        call_id = call.get("id") if call else None
        if not call_id:
            prompt = event.get("prompt")
            call_id = prompt.get("id") if prompt else None
        if not call_id or not isinstance(call_id, str):
            return event
        meta = event["event"]
        key = (session_id, call_id, meta.get("action", ""))
        now = self.clock()
        source = meta.get("source", "")
        seen = self.seen
        first = seen.get(key)
        if first is not None:
            if now - first[0] <= self.window and first[2] != source:
                meta["duplicate_of"] = first[1]
                if self.serialized is not None:
                    self.serialized.forget()
                self.marked += 1
                return event
            del seen[key]  # re-inserted below, at the end: the newest
        seen[key] = (now, meta.get("id", ""), source)
        if len(seen) > _MAX_KEYS or now - self._swept >= _SWEEP_SECONDS:
            self._sweep(now)
        return event

    def _sweep(self, now: float) -> None:
        """Forget keys older than the window, and the oldest beyond the key limit."""
        self._swept = now
        window = self.window
        kept = [(k, v) for k, v in self.seen.items() if now - v[0] <= window]
        # Over the limit, keep the newest three quarters so the next sweep is not imminent.
        self.seen = dict(kept if len(kept) <= _MAX_KEYS else kept[-(_MAX_KEYS * 3 // 4) :])
