"""What a runtime module provides: how to recognise its OTLP data and map each signal.

Every runtime module builds one `Runtime`; `beacon.runtimes.registry` lists them. Runtime
modules import this module, never the registry, so the two never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from beacon.runtimes.context import MapContext
from beacon.runtimes.records import Attributes, LogRecord, MetricPoint, Span
from beacon.schema.event import Event

LogMapper = Callable[[LogRecord, str, MapContext], list[Event]]
SpanMapper = Callable[[Span, str, MapContext], list[Event]]
PointsMapper = Callable[[list[MetricPoint], str, MapContext], list[Event]]


@dataclass(frozen=True, slots=True)
class Runtime:
    """One runtime's OTLP entry points; `detect` returns the canonical harness name or None."""

    name: str
    detect: Callable[[Attributes, str], str | None]
    map_log: LogMapper
    map_span: SpanMapper
    map_points: PointsMapper
