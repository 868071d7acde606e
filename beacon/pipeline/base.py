"""The processor contract: plain callables over an event dict, composed in a list.

A processor returns the (possibly modified) event, or raises `DropEvent` to drop it;
the pipeline counts every drop by reason, so nothing disappears silently. Light imports:
`beacon-hooks` runs this pipeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from beacon.schema.event import Event

Processor = Callable[["Event"], "Event"]


class DropEvent(Exception):
    """Raised by a processor to drop the event; `reason` is counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PipelineStats:
    """Counters for `/metrics` and status: what came in, what was dropped and why."""

    __slots__ = ("accepted", "coerced", "dropped", "processed")

    def __init__(self) -> None:
        self.accepted = 0
        self.processed = 0
        self.dropped: Counter[str] = Counter()
        self.coerced = 0

    def _fields(self) -> tuple[int, int, Counter[str], int]:
        return (self.accepted, self.processed, self.dropped, self.coerced)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PipelineStats):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"PipelineStats(accepted={self.accepted}, processed={self.processed}, "
            f"dropped={dict(self.dropped)}, coerced={self.coerced})"
        )


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


def to_json(event: Event) -> bytes:
    """The event's JSON; values orjson cannot hold exactly (e.g. ints over 64 bits) as strings."""
    import orjson

    try:
        return orjson.dumps(event)
    except TypeError:
        return orjson.dumps(make_jsonable(event))


def stdlib_dumps(event: Any) -> bytes:
    """Compact JSON as UTF-8 with the stdlib: the encoder of the hook path (no orjson import).

    Lone surrogates become `?`, so the line is always valid UTF-8.
    """
    import json

    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "replace")


def _final_json(memo: Serialized | None, event: Event) -> bytes:
    """The event's JSON: the memo's when it measured the final form, else made now."""
    if memo is not None:
        try:
            return memo.of(event)
        except TypeError:  # no processor measured it, and orjson refuses a value as is
            pass
    return to_json(event)


class Serialized:
    """The serialized form of the event in flight, computed once and shared.

    Redaction's prefilter, truncation's fast path and the size cap all need the event's
    JSON; a processor that changes the event calls `forget` so the next one re-measures.
    `dumps` is a seam: the hook path passes a stdlib encoder. `edits` counts `forget` calls.
    """

    __slots__ = ("_blob", "_clean", "_dumps", "_event", "edits")

    def __init__(self, dumps: Callable[[Any], bytes] | None = None) -> None:
        if dumps is None:
            import orjson

            dumps = orjson.dumps
        self._dumps = dumps
        self._event: Event | None = None
        self._blob = b""
        self._clean = False
        self.edits = 0

    def of(self, event: Event) -> bytes:
        """`event` serialized, reusing the last result while the same event is unchanged."""
        if event is not self._event:
            self._blob = self._dumps(event)
            self._event = event
            self._clean = False
        return self._blob

    def preset(self, event: Event, blob: bytes, *, clean: bool) -> None:
        """Adopt a measurement made for a whole batch; `clean`: screened free of secrets."""
        self._event, self._blob, self._clean = event, blob, clean

    def screened_clean(self, event: Event) -> bool:
        """Whether the batch screen proved this (unchanged) event holds no secret."""
        return self._clean and event is self._event

    def fits(self, event: Event, limit: int) -> bool:
        """Whether the memo holds `event`'s JSON and it is at most `limit` bytes."""
        return event is self._event and len(self._blob) <= limit

    def forget(self) -> None:
        """Drop the cached form: the event was changed."""
        self.edits += 1
        self.reset()

    def reset(self) -> None:
        """Drop the cached form: another event is in flight."""
        self._event = None
        self._clean = False


class Pipeline:
    """Runs each event through the processors in order; counts drops and failures."""

    def __init__(
        self, processors: Iterable[Processor], serialized: Serialized | None = None
    ) -> None:
        self.processors: list[Processor] = list(processors)
        self.serialized = serialized
        self.stats = PipelineStats()
        # Each processor with the JSON size up to which it is a no-op (`acts_above_bytes`,
        # e.g. truncation and the size cap); -1: always run. Skipped on a measured event.
        self._gated: list[tuple[Processor, int]] = [
            (p, getattr(p, "acts_above_bytes", -1) if serialized is not None else -1)
            for p in self.processors
        ]
        # The first processor that can screen a whole batch at once (redaction), if any.
        self._screen: tuple[int, Callable[[list[bytes]], list[bool]]] | None = None
        for index, processor in enumerate(self.processors):
            screen = getattr(processor, "screen_batch", None)
            if callable(screen):
                self._screen = (index, screen)
                break

    def process(self, event: Event) -> Event | None:
        """The processed event, or None when a processor dropped it (counted)."""
        self.stats.accepted += 1
        if self.serialized is not None:
            self.serialized.reset()  # a dict changed outside the pipeline is re-measured
        event_or_none = self._guarded(event, self._gated)
        if event_or_none is not None:
            self.stats.processed += 1
        return event_or_none

    def _guarded(self, event: Event, gated: list[tuple[Processor, int]]) -> Event | None:
        """Run the processors; a drop is counted (None), an event orjson refuses is coerced.

        A processor is skipped while the memo holds this event's JSON and that is no longer
        than its `acts_above_bytes`: it would return the event unchanged.
        """
        memo = self.serialized
        try:
            try:
                result = event
                for processor, limit in gated:
                    if limit < 0 or memo is None or not memo.fits(result, limit):
                        result = processor(result)
                return result
            except TypeError:
                # orjson refuses e.g. integers over 64 bits: keep the event, as strings.
                self.stats.coerced += 1
                if memo is not None:
                    memo.forget()
                return self._run(make_jsonable(event), [p for p, _ in gated])
        except DropEvent as drop:
            self.stats.dropped[drop.reason] += 1
            return None

    def counters(self) -> dict[str, int]:
        """What the processors counted (redactions, truncations, …), summed by name."""
        totals: dict[str, int] = {}
        for processor in self.processors:
            counters = getattr(processor, "counters", None)
            if callable(counters):
                for name, value in counters().items():
                    totals[name] = totals.get(name, 0) + value
        return totals

    @staticmethod
    def _run(event: Event, processors: list[Processor]) -> Event:
        for processor in processors:
            event = processor(event)
        return event

    def process_serialized(self, events: Iterable[Event]) -> list[tuple[Event, bytes]]:
        """Process many events; each kept one comes with its JSON, reused when measured.

        The measuring processors already serialized the final form of a clean event, so
        the writer need not do it again. Dropped events are left out and counted.
        """
        memo = self.serialized
        events = list(events)
        if memo is None or self._screen is None or len(events) < 2:
            out: list[tuple[Event, bytes]] = []
            for event in events:
                result = self.process(event)
                if result is not None:
                    out.append((result, _final_json(memo, result)))
            return out
        return self._process_screened(events, memo, *self._screen)

    def _process_screened(
        self,
        events: list[Event],
        memo: Serialized,
        at: int,
        screen: Callable[[list[bytes]], list[bool]],
    ) -> list[tuple[Event, bytes]]:
        """Run processors up to the screen per event, screen all at once, then the rest.

        Same result as one event at a time: each processor still sees the events in order.
        The screen's own processor is skipped for an event it proved clean (it promises to
        leave such an event as it is), and so are the gated ones the event is too small for.
        """
        head, tail = self._gated[:at], self._gated[at:]
        staged = self._head(events, memo, head)
        blobs = [blob for _, blob in staged]
        dirty = screen(blobs) if blobs else []
        # For a clean event within every gate, only the ungated processors after the screen run.
        small = min((limit for _, limit in tail[1:] if limit >= 0), default=-1)
        rest = [(p, limit) for p, limit in tail[1:] if limit < 0]
        out: list[tuple[Event, bytes]] = []
        edits = memo.edits
        for (event, blob), maybe_secret in zip(staged, dirty, strict=True):
            if memo.edits != edits:
                # An earlier event was changed, perhaps in a dict this one shares: its screened
                # JSON holds only while it is still what the event serializes to now.
                memo.reset()
                fresh = memo.of(event)
                maybe_secret = maybe_secret or fresh != blob
                blob = fresh
            memo.preset(event, blob, clean=not maybe_secret)
            before = memo.edits
            if maybe_secret or len(blob) > small:
                result = self._guarded(event, tail)
            elif rest:
                result = self._guarded(event, rest)
            else:
                result = event
            if result is None:
                continue
            if result is event and memo.edits == before:
                out.append((event, blob))
            else:
                out.append((result, _final_json(memo, result)))
        self.stats.processed += len(out)
        return out

    def _head(
        self, events: list[Event], memo: Serialized, head: list[tuple[Processor, int]]
    ) -> list[tuple[Event, bytes]]:
        """The processors before the screen, per event, and each kept event's JSON."""
        self.stats.accepted += len(events)
        # A processor with `each` (never drops) takes the batch at once; each of the others
        # sees the events in turn. Either way, every processor sees the events in order.
        for index, (processor, _) in enumerate(head):
            each = getattr(processor, "each", None)
            if callable(each):
                each(events)
                continue
            kept: list[Event] = []
            for event in events:
                memo.reset()
                result = self._guarded(event, head[index : index + 1])
                if result is not None:
                    kept.append(result)
            events = kept
        memo.reset()
        dumps = memo._dumps  # the memo is preset per event after the screen
        staged: list[tuple[Event, bytes]] = []
        for result in events:
            try:
                blob = dumps(result)
            except TypeError:
                self.stats.coerced += 1
                result = make_jsonable(result)
                blob = dumps(result)
            staged.append((result, blob))
        return staged

    def process_batch(self, events: Iterable[Event]) -> list[Event]:
        """Process many events; dropped ones are left out of the result and counted."""
        out: list[Event] = []
        for event in events:
            result = self.process(event)
            if result is not None:
                out.append(result)
        return out
