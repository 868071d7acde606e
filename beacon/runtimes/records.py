"""The runtime-agnostic view of OTLP data that receivers hand to runtime mappers.

Decoders (protobuf or OTLP/JSON) turn every log record, span and metric data point into one
of these plain records: attribute values are already Python values (str, int, float, bool,
list, dict, None), ids are lower-case hex, times are integer nanoseconds. Stdlib only, so
mappers never see protobuf or JSON encodings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Attributes = dict[str, Any]


def copy_tree(node: Any) -> Any:
    """A copy of a decoded value that shares no dict or list with it."""
    if isinstance(node, dict):
        out = node.copy()
        for key, value in out.items():
            if isinstance(value, dict | list):
                out[key] = copy_tree(value)
        return out
    if isinstance(node, list):
        return [copy_tree(value) if isinstance(value, dict | list) else value for value in node]
    return node


@dataclass(slots=True)
class Scope:
    """An instrumentation scope, with the resource it was exported under."""

    resource: Attributes
    name: str = ""
    version: str = ""
    _nested: bool | None = field(default=None, init=False, repr=False, compare=False)

    def own_resource(self) -> Attributes:
        """A copy of the resource for one event: no two events share a dict a processor changes."""
        nested = self._nested
        if nested is None:
            nested = self._nested = any(isinstance(v, dict | list) for v in self.resource.values())
        return copy_tree(self.resource) if nested else self.resource.copy()


@dataclass(slots=True)
class LogRecord:
    """One OTLP log record; `body` is the decoded AnyValue (None when absent)."""

    scope: Scope
    attributes: Attributes
    body: Any = None
    event_name: str = ""
    time_unix_nano: int = 0
    observed_time_unix_nano: int = 0
    severity_number: int = 0
    severity_text: str = ""
    trace_id: str = ""
    span_id: str = ""


@dataclass(slots=True)
class SpanEvent:
    """An event attached to a span (`gen_ai.request.attempt`, `tool.output`, ...)."""

    name: str
    time_unix_nano: int
    attributes: Attributes


@dataclass(slots=True)
class Span:
    """One OTLP span; `kind` and `status_code` are the OTLP enum integers."""

    scope: Scope
    name: str
    attributes: Attributes
    trace_id: str = ""
    span_id: str = ""
    parent_span_id: str = ""
    kind: int = 0
    start_time_unix_nano: int = 0
    end_time_unix_nano: int = 0
    status_code: int = 0
    status_message: str = ""
    events: list[SpanEvent] = field(default_factory=list)


@dataclass(slots=True)
class MetricPoint:
    """One metric data point with its metric's metadata.

    `kind` is `sum`, `gauge`, `histogram`, `exponential_histogram` or `summary`; `value` is the
    number for sums and gauges and the sum for the others (None when a histogram has no sum).
    `temporality` is the OTLP enum (1 delta, 2 cumulative, 0 unspecified).
    """

    scope: Scope
    name: str
    attributes: Attributes
    kind: str = "gauge"
    description: str = ""
    unit: str = ""
    temporality: int = 0
    monotonic: bool = False
    start_time_unix_nano: int = 0
    time_unix_nano: int = 0
    value: float | int | None = None
    count: int | None = None


@dataclass(slots=True)
class Batch:
    """Everything decoded from one Export request, per signal."""

    logs: list[LogRecord] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    points: list[MetricPoint] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.logs) + len(self.spans) + len(self.points)
