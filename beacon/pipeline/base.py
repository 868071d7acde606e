"""The processor contract: plain callables over an event dict, composed in a list.

A processor returns the (possibly modified) event, or raises `DropEvent` to drop it;
the pipeline counts every drop by reason, so nothing disappears silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
    failed: int = 0


class Pipeline:
    """Runs each event through the processors in order; counts drops and failures."""

    def __init__(self, processors: Iterable[Processor]) -> None:
        self.processors: list[Processor] = list(processors)
        self.stats = PipelineStats()

    def process(self, event: Event) -> Event | None:
        """The processed event, or None when a processor dropped it (counted)."""
        self.stats.accepted += 1
        try:
            for processor in self.processors:
                event = processor(event)
        except DropEvent as drop:
            self.stats.dropped[drop.reason] += 1
            return None
        self.stats.processed += 1
        return event

    def process_batch(self, events: Iterable[Event]) -> list[Event]:
        """Process many events; dropped ones are left out of the result and counted."""
        out: list[Event] = []
        for event in events:
            result = self.process(event)
            if result is not None:
                out.append(result)
        return out
