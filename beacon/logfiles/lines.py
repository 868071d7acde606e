"""Events as JSONL lines, routed to their stream: what both writers take.

Inventory actions go to `inventory_state.jsonl`, everything else to `runtime.jsonl`.
Serialization happens in the producer's thread, while the events are still in cache.
"""

from __future__ import annotations

from beacon.schema.actions import INVENTORY_ACTIONS

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from beacon.schema.event import Event


class Lines:
    """A batch serialized into JSONL lines (each ending in a newline), split by stream."""

    __slots__ = ("inventory", "runtime")

    def __init__(
        self, runtime: list[bytes] | None = None, inventory: list[bytes] | None = None
    ) -> None:
        self.runtime: list[bytes] = runtime if runtime is not None else []
        self.inventory: list[bytes] = inventory if inventory is not None else []

    def __len__(self) -> int:
        return len(self.runtime) + len(self.inventory)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lines):
            return NotImplemented
        return self.runtime == other.runtime and self.inventory == other.inventory

    def __repr__(self) -> str:
        return f"Lines(runtime={self.runtime!r}, inventory={self.inventory!r})"

    def streams(self) -> list[tuple[str, list[bytes]]]:
        """(stream name, lines) for each stream that has lines."""
        return [(name, lines) for name, lines in self._pairs() if lines]

    def _pairs(self) -> tuple[tuple[str, list[bytes]], tuple[str, list[bytes]]]:
        return (("runtime", self.runtime), ("inventory", self.inventory))

    def add(self, event: Event, line: bytes) -> None:
        """Route one event's line (ending in a newline) by its action."""
        meta = event.get("event")
        action = meta.get("action") if isinstance(meta, dict) else None
        (self.inventory if action in INVENTORY_ACTIONS else self.runtime).append(line)

    @classmethod
    def of(cls, events: Iterable[Event], dumps: Callable[[Any], bytes]) -> Lines:
        """Serialize `events` with `dumps` (compact JSON, no newline) and route them."""
        lines = cls()
        for event in events:
            lines.add(event, dumps(event) + b"\n")
        return lines

    @classmethod
    def of_serialized(cls, pairs: Iterable[tuple[Event, bytes]]) -> Lines:
        """Route events whose JSON (without the newline) the pipeline already made."""
        runtime: list[bytes] = []
        inventory: list[bytes] = []
        for event, blob in pairs:  # `add`, inlined: this runs for every event
            meta = event.get("event")
            action = meta.get("action") if isinstance(meta, dict) else None
            (inventory if action in INVENTORY_ACTIONS else runtime).append(blob + b"\n")
        return cls(runtime, inventory)
