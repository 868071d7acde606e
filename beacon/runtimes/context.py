"""Per-collector mapping state: options, counted drops, and cumulative-to-delta tracking.

Mappers are pure functions of a record plus this context; the context is what lets them drop
explicitly (every drop counted by reason) and emit summable usage from cumulative metrics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from beacon.runtimes.records import MetricPoint

CUMULATIVE = 2
_MAX_SERIES = 50_000


@dataclass(frozen=True, slots=True)
class MapOptions:
    """Noise controls from the config/CLI flags of the same names."""

    include_codex_spans: bool = False
    include_runtime_metrics: bool = False


@dataclass
class MapContext:
    """Options plus the mutable state mappers share across requests."""

    options: MapOptions = field(default_factory=MapOptions)
    dropped: Counter[str] = field(default_factory=Counter)
    _series: dict[tuple[Any, ...], tuple[int, float]] = field(default_factory=dict)

    def drop(self, reason: str, count: int = 1) -> None:
        """Record that `count` records were deliberately not turned into events."""
        self.dropped[reason] += count

    def delta(self, point: MetricPoint) -> float | None:
        """The increase a point reports: its value when delta, the difference when cumulative.

        A cumulative series seen for the first time, or reset (new start time or a smaller
        value), counts from zero. Returns None when the point has no value.
        """
        if point.value is None:
            return None
        value = float(point.value)
        if point.temporality != CUMULATIVE:
            return value
        key = (
            point.scope.resource.get("service.name"),
            point.scope.resource.get("service.instance.id"),
            point.scope.resource.get("session.id"),
            point.name,
            tuple(sorted((k, repr(v)) for k, v in point.attributes.items())),
        )
        previous = self._series.pop(key, None)
        self._series[key] = (point.start_time_unix_nano, value)
        if len(self._series) > _MAX_SERIES:
            self._series.pop(next(iter(self._series)))
        if previous is None or previous[0] != point.start_time_unix_nano or value < previous[1]:
            return value
        return value - previous[1]
