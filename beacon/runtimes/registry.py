"""Pick the runtime mapper for decoded OTLP data and run it, record by record.

Detection is per resource (`service.name`, then scope name): Claude Code, Codex CLI, Gemini
CLI, Copilot (CLI and VS Code), else the generic mapper. A mapper that fails on a record does
not lose it: the record becomes a `telemetry.unclassified` event with the error in `raw`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beacon.runtimes import claude_code, codex_cli, copilot, gemini_cli, generic
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import log_event, metric_event, span_event
from beacon.runtimes.records import (
    Attributes,
    Batch,
    LogRecord,
    MetricPoint,
    Scope,
    Span,
    copy_tree,
)
from beacon.runtimes.runtime import Runtime
from beacon.schema.actions import Action
from beacon.schema.event import Event

RUNTIMES: tuple[Runtime, ...] = (
    claude_code.RUNTIME,
    codex_cli.RUNTIME,
    gemini_cli.RUNTIME,
    copilot.RUNTIME,
    generic.RUNTIME,
)
"""The known runtimes in detection order; the generic fallback is last."""


def runtimes() -> tuple[Runtime, ...]:
    """The known runtimes in detection order; the generic fallback is last."""
    return RUNTIMES


def select(resource: Attributes, scope_name: str) -> tuple[Runtime, str]:
    """The runtime and harness name for data exported under this resource and scope."""
    for runtime in runtimes():
        harness = runtime.detect(resource, scope_name)
        if harness:
            return runtime, harness
    raise AssertionError("the generic runtime accepts everything")  # pragma: no cover


def _fallback(item: LogRecord | Span | MetricPoint, harness: str, exc: Exception) -> Event:
    """The event for a record its mapper failed on: kept, unclassified, error noted."""
    if isinstance(item, LogRecord):
        event = log_event(item, Action.TELEMETRY_UNCLASSIFIED, harness=harness)
    elif isinstance(item, Span):
        event = span_event(item, Action.TELEMETRY_UNCLASSIFIED, harness=harness)
    else:
        event = metric_event(item, Action.TELEMETRY_UNCLASSIFIED, harness=harness)
    event["raw"]["mapping_error"] = f"{type(exc).__name__}: {exc}"[:500]
    return event


def _owned(events: list[Event]) -> list[Event]:
    """Several events of one record, the later ones copied: they may share the record's dicts."""
    return [events[0], *(copy_tree(event) for event in events[1:])]


class Mapper:
    """Maps decoded batches to events, caching the runtime choice per scope."""

    def __init__(self, context: MapContext | None = None) -> None:
        self.context = context or MapContext()
        self.mapping_errors = 0

    def _runtime(self, scope: Scope, cache: dict[int, tuple[Runtime, str]]) -> tuple[Runtime, str]:
        key = id(scope)
        found = cache.get(key)
        if found is None:
            found = cache[key] = select(scope.resource, scope.name)
        return found

    def map(self, batch: Batch) -> list[Event]:
        """Every record of the batch as zero or more events (zero only for counted drops)."""
        events: list[Event] = []
        cache: dict[int, tuple[Runtime, str]] = {}
        ctx = self.context
        scope: Scope | None = None
        for record in batch.logs:  # the hot loop: one scope's records come in a row
            if record.scope is not scope:
                scope = record.scope
                runtime, harness = self._runtime(scope, cache)
                map_log = runtime.map_log
            try:
                mapped = map_log(record, harness, ctx)
                events.extend(mapped if len(mapped) < 2 else _owned(mapped))
            except Exception as exc:  # a mapper bug must not lose the record
                events.append(self._failed(record, harness, exc))
        for span in batch.spans:
            runtime, harness = self._runtime(span.scope, cache)
            events.extend(self._guard(runtime.map_span, span, harness))
        if batch.points:
            groups: dict[tuple[str, str], tuple[Runtime, list[MetricPoint]]] = {}
            for point in batch.points:
                runtime, harness = self._runtime(point.scope, cache)
                groups.setdefault((runtime.name, harness), (runtime, []))[1].append(point)
            for (_, harness), (runtime, points) in groups.items():
                try:
                    events.extend(runtime.map_points(points, harness, ctx))
                except Exception:
                    for point in points:
                        events.extend(self._guard(runtime.map_points, [point], harness))
        return events

    def _guard(
        self, fn: Callable[[Any, str, MapContext], list[Event]], item: Any, harness: str
    ) -> list[Event]:
        try:
            mapped = fn(item, harness, self.context)
            # A list is a group of metric points, one event each; a span's events may share.
            return mapped if len(mapped) < 2 or isinstance(item, list) else _owned(mapped)
        except Exception as exc:  # a mapper bug must not lose the record
            return [self._failed(item[0] if isinstance(item, list) else item, harness, exc)]

    def _failed(self, item: LogRecord | Span | MetricPoint, harness: str, exc: Exception) -> Event:
        """Count a mapper failure; the record's fallback event."""
        self.mapping_errors += 1
        return _fallback(item, harness, exc)
