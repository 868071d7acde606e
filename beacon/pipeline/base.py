"""The processor contract: plain callables over an event dict, composed in a list.

A processor returns the (possibly modified) event, or raises `DropEvent` to drop it;
the pipeline counts every drop by reason, so nothing disappears silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from beacon.schema.event import Event

Processor = Callable[[Event], Event]


class DropEvent(Exception):
    """Raised by a processor to drop the event; `reason` is counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class PipelineStats:
    """Counters for `/metrics` and status: what came in, what was dropped and why."""

    accepted: int = 0
    processed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    coerced: int = 0


_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def make_jsonable(node: Any) -> Any:
    """A copy of `node` that JSON encoders accept: big ints, odd keys and objects as strings."""
    if isinstance(node, dict):
        return {k if isinstance(k, str) else str(k): make_jsonable(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [make_jsonable(v) for v in node]
    if isinstance(node, bool) or node is None or isinstance(node, str | float):
        return node
    if isinstance(node, int):
        return node if _INT_MIN <= node <= _INT_MAX else str(node)
    return str(node)


def _dumps(event: Event) -> bytes:
    import orjson

    try:
        return orjson.dumps(event)
    except TypeError:
        return orjson.dumps(make_jsonable(event))


class Serialized:
    """The serialized form of the event in flight, computed once and shared.

    Redaction's prefilter, truncation's fast path and the size cap all need the event's
    JSON; a processor that changes the event calls `forget` so the next one re-measures.
    `dumps` is a seam: the hook path passes a stdlib encoder.
    """

    __slots__ = ("_blob", "_dumps", "_event")

    def __init__(self, dumps: Callable[[Any], bytes] | None = None) -> None:
        if dumps is None:
            import orjson

            dumps = orjson.dumps
        self._dumps = dumps
        self._event: Event | None = None
        self._blob = b""

    def of(self, event: Event) -> bytes:
        """`event` serialized, reusing the last result while the same event is unchanged."""
        if event is not self._event:
            self._blob = self._dumps(event)
            self._event = event
        return self._blob

    def forget(self) -> None:
        """Drop the cached form: the event was changed."""
        self._event = None


class Pipeline:
    """Runs each event through the processors in order; counts drops and failures."""

    def __init__(
        self, processors: Iterable[Processor], serialized: Serialized | None = None
    ) -> None:
        self.processors: list[Processor] = list(processors)
        self.serialized = serialized
        self.stats = PipelineStats()

    def process(self, event: Event) -> Event | None:
        """The processed event, or None when a processor dropped it (counted)."""
        self.stats.accepted += 1
        if self.serialized is not None:
            self.serialized.forget()  # a dict changed outside the pipeline is re-measured
        try:
            try:
                event = self._run(event)
            except TypeError:
                # orjson refuses e.g. integers over 64 bits: keep the event, as strings.
                self.stats.coerced += 1
                event = self._run(make_jsonable(event))
        except DropEvent as drop:
            self.stats.dropped[drop.reason] += 1
            return None
        self.stats.processed += 1
        return event

    def counters(self) -> dict[str, int]:
        """What the processors counted (redactions, truncations, …), summed by name."""
        totals: dict[str, int] = {}
        for processor in self.processors:
            counters = getattr(processor, "counters", None)
            if callable(counters):
                for name, value in counters().items():
                    totals[name] = totals.get(name, 0) + value
        return totals

    def _run(self, event: Event) -> Event:
        for processor in self.processors:
            event = processor(event)
        return event

    def process_serialized(self, events: Iterable[Event]) -> list[tuple[Event, bytes]]:
        """Process many events; each kept one comes with its JSON, reused when measured.

        The measuring processors already serialized the final form of a clean event, so
        the writer need not do it again. Dropped events are left out and counted.
        """
        out: list[tuple[Event, bytes]] = []
        memo = self.serialized
        for event in events:
            result = self.process(event)
            if result is not None:
                out.append((result, memo.of(result) if memo is not None else _dumps(result)))
        return out

    def process_batch(self, events: Iterable[Event]) -> list[Event]:
        """Process many events; dropped ones are left out of the result and counted."""
        out: list[Event] = []
        for event in events:
            result = self.process(event)
            if result is not None:
                out.append(result)
        return out
