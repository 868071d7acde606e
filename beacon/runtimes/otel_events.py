"""The parts of an event every OTLP mapper fills the same way: time, trace, raw, usage.

Runtime modules decide the action and the meaningful fields; these builders attach what the
record itself says (timestamp, trace ids, scope, source attributes under `raw`) so that no
source attribute is lost, whatever the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from beacon.runtimes.coerce import as_float, as_int, as_number
from beacon.runtimes.records import LogRecord, MetricPoint, Span
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event, action_meta, format_timestamp, now_timestamp, skeleton

_SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}
_SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
_TEMPORALITY = ("unspecified", "delta", "cumulative")
_STATUS = ("unset", "ok", "error")
_SOURCES = {signal: f"otlp.{signal}" for signal in ("logs", "traces", "metrics")}


def timestamp_of(*unix_nanos: int) -> str:
    """The first non-zero time as an event timestamp; now when every time is zero."""
    for value in unix_nanos:
        if value > 0:
            return format_timestamp(value)
    return now_timestamp()


def raise_severity(action: str, floor: str | None) -> str:
    """The action's default severity, raised to `floor` when that is higher."""
    base = action_meta(action)[2]
    if floor and _SEVERITY_RANK.get(floor, 0) > _SEVERITY_RANK[base]:
        return floor
    return base


def severity_from_number(number: int) -> str | None:
    """OTLP severity number to our ladder: WARN medium, ERROR high, FATAL critical."""
    if number >= 21:
        return Severity.CRITICAL.value
    if number >= 17:
        return Severity.HIGH.value
    if number >= 13:
        return Severity.MEDIUM.value
    return None


def harness_block(name: str, version: str | None) -> dict[str, Any]:
    """`harness{name, version}`, without an empty version."""
    return {"name": name, "version": version} if version else {"name": name}


def _scope_raw(scope_name: str, scope_version: str) -> dict[str, str]:
    return {"name": scope_name, "version": scope_version} if scope_version else {"name": scope_name}


def _trace(trace_id: str, span_id: str, parent_span_id: str = "") -> dict[str, str] | None:
    """`trace{id, span_id, parent_span_id}` without empty ids; None without a trace id."""
    if not trace_id:
        return None
    trace = {"id": trace_id}
    if span_id:
        trace["span_id"] = span_id
    if parent_span_id:
        trace["parent_span_id"] = parent_span_id
    return trace


def _record_event(
    record: LogRecord | Span | MetricPoint,
    action: Action,
    raw: dict[str, Any],
    harness: dict[str, Any],
    timestamp: str,
    severity: str | None,
    message: str | None,
    fields: dict[str, Any],
    session_id: str | None,
    trace: dict[str, str] | None = None,
    error: dict[str, str] | None = None,
) -> Event:
    """The part log, span and metric events share: raw attributes/resource, session, trace.

    Positional, as it runs once per record. The signal is `raw["otel_signal"]`; `error` only
    when `fields` carry none; `raw` goes last.
    """
    raw["attributes"] = record.attributes
    raw["resource"] = record.scope.own_resource()  # each event owns its copy
    # `event.source` (`otlp.logs`, `otlp.traces`, `otlp.metrics`) lets dedupe tell paths apart.
    signal = raw["otel_signal"]
    event = skeleton(
        action,
        harness,
        timestamp,
        severity,
        message,
        fields,
        _SOURCES.get(signal) or f"otlp.{signal}",
    )
    if session_id:
        event.setdefault("session", {})["id"] = session_id
    if trace:
        event["trace"] = trace
    if error and "error" not in event:
        event["error"] = error
    event["raw"] = raw
    return event


def log_event(
    record: LogRecord,
    action: Action,
    *,
    harness: str,
    version: str | None = None,
    event_name: str = "",
    session_id: str | None = None,
    severity: str | None = None,
    message: str | None = None,
    **fields: Any,
) -> Event:
    """An event for one log record: record time, trace ids, session, and `raw` source data."""
    return _log_event(
        record, action, harness, version, event_name, session_id, severity, message, fields
    )


def log_base(
    record: LogRecord,
    harness: str,
    version: str | None = None,
    event_name: str = "",
    session_id: str | None = None,
    default_message: str | None = None,
) -> LogBase:
    """`log_event` bound to one record, for its handlers (a closure: cheaper than `partial`)."""

    def base(
        action: Action,
        severity: str | None = None,
        message: str | None = default_message,
        **fields: Any,
    ) -> Event:
        return _log_event(
            record, action, harness, version, event_name, session_id, severity, message, fields
        )

    return base


def _log_event(
    record: LogRecord,
    action: Action,
    harness: str,
    version: str | None,
    event_name: str,
    session_id: str | None,
    severity: str | None,
    message: str | None,
    fields: dict[str, Any],
) -> Event:
    """`log_event` with positional arguments and `fields` as a dict: the hot path."""
    raw: dict[str, Any] = {"otel_signal": "logs"}
    if event_name:
        raw["event_name"] = event_name
    scope = record.scope
    raw["scope"] = (
        {"name": scope.name, "version": scope.version} if scope.version else {"name": scope.name}
    )
    number = record.severity_number
    if number or record.severity_text:
        raw["severity_number"] = number
        if record.severity_text:
            raw["severity_text"] = record.severity_text
    if record.body is not None:
        raw["body"] = record.body
    unix_ns = record.time_unix_nano
    if unix_ns <= 0:
        unix_ns = record.observed_time_unix_nano
    if not severity:
        severity = raise_severity(action, severity_from_number(number)) if number >= 13 else None
    return _record_event(
        record,
        action,
        raw,
        {"name": harness, "version": version} if version else {"name": harness},
        format_timestamp(unix_ns) if unix_ns > 0 else now_timestamp(),
        severity,
        message,
        fields,
        session_id,
        _trace(record.trace_id, record.span_id) if record.trace_id else None,
    )


LogBase = Callable[..., Event]
"""`base(action, message=..., **fields)`: `log_event` for the record a mapper is mapping."""
LogHandler = Callable[[LogRecord, LogBase], list[Event]]


def simple_log(action: Action, message: str) -> LogHandler:
    """A log handler whose one event is `action` with a fixed message."""

    def handler(record: LogRecord, base: LogBase) -> list[Event]:
        return [base(action, message=message)]

    return handler


def dispatch_log(
    record: LogRecord,
    base: LogBase,
    handlers: Mapping[str, LogHandler],
    name: str,
    *,
    unnamed_message: str | None = None,
) -> list[Event]:
    """The handler's events for the short event `name`; an unknown name is `session.activity`.

    A record without a name is `telemetry.unclassified` with `unnamed_message`.
    """
    handler = handlers.get(name)
    if handler is not None:
        return handler(record, base)
    if name:
        return [base(Action.SESSION_ACTIVITY, message=name.replace("_", " ").capitalize())]
    return [base(Action.TELEMETRY_UNCLASSIFIED, message=unnamed_message)]


def span_event(
    span: Span,
    action: Action,
    *,
    harness: str,
    version: str | None = None,
    session_id: str | None = None,
    severity: str | None = None,
    message: str | None = None,
    **fields: Any,
) -> Event:
    """An event for one span: start time, trace/span/parent ids, duration, status, `raw`."""
    raw: dict[str, Any] = {
        "otel_signal": "traces",
        "span_name": span.name,
        "span_kind": _SPAN_KINDS[span.kind] if 0 <= span.kind < len(_SPAN_KINDS) else span.kind,
        "scope": _scope_raw(span.scope.name, span.scope.version),
    }
    if span.end_time_unix_nano and span.start_time_unix_nano:
        raw["duration_ms"] = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
    if span.status_code:
        status = _STATUS[span.status_code] if span.status_code < len(_STATUS) else span.status_code
        raw["status"] = (
            {"code": status, "message": span.status_message}
            if span.status_message
            else {"code": status}
        )
    if span.events:
        raw["span_events"] = [
            {
                "name": e.name,
                "timestamp": timestamp_of(e.time_unix_nano),
                "attributes": e.attributes,
            }
            for e in span.events
        ]
    failed = span.status_code == 2
    error = {"type": "span_error", "message": span.status_message or span.name} if failed else None
    return _record_event(
        span,
        action,
        raw,
        harness_block(harness, version),
        timestamp_of(span.start_time_unix_nano, span.end_time_unix_nano),
        severity or raise_severity(action, Severity.MEDIUM.value if failed else None),
        message or span.name,
        fields,
        session_id,
        _trace(span.trace_id, span.span_id, span.parent_span_id),
        error,
    )


def metric_event(
    point: MetricPoint,
    action: Action,
    *,
    harness: str,
    version: str | None = None,
    session_id: str | None = None,
    message: str | None = None,
    value: float | None = None,
    **fields: Any,
) -> Event:
    """An event for one metric data point, with the metric's metadata under `raw.metric_*`."""
    raw: dict[str, Any] = {
        "otel_signal": "metrics",
        "metric_name": point.name,
        "metric_type": point.kind,
        "scope": _scope_raw(point.scope.name, point.scope.version),
    }
    if point.description:
        raw["metric_description"] = point.description
    if point.unit:
        raw["metric_unit"] = point.unit
    if point.kind in ("sum", "histogram", "exponential_histogram"):
        raw["metric_temporality"] = (
            _TEMPORALITY[point.temporality] if 0 <= point.temporality < 3 else point.temporality
        )
    if point.kind == "sum":
        raw["metric_monotonic"] = point.monotonic
    if point.value is not None:
        raw["metric_value"] = as_number(point.value)
    if value is not None and point.value is not None and value != float(point.value):
        raw["metric_delta"] = as_number(value)
    if point.count is not None:
        raw["metric_count"] = point.count
    return _record_event(
        point,
        action,
        raw,
        harness_block(harness, version),
        timestamp_of(point.time_unix_nano, point.start_time_unix_nano),
        None,
        message or point.name,
        fields,
        session_id,
    )


# Token type spellings across runtimes -> the gen_ai.usage field they fill.
_TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "input": ("input_tokens",),
    "prompt": ("input_tokens",),
    "output": ("output_tokens",),
    "completion": ("output_tokens",),
    "cacheread": ("cache_read", "input_tokens"),
    "cache_read": ("cache_read", "input_tokens"),
    "cached_input": ("cache_read", "input_tokens"),
    "cache": ("cache_read", "input_tokens"),
    "cachecreation": ("cache_creation", "input_tokens"),
    "cache_creation": ("cache_creation", "input_tokens"),
    "cache_write_input": ("cache_creation", "input_tokens"),
    "cache_write": ("cache_creation", "input_tokens"),
    "reasoning": ("reasoning", "output_tokens"),
    "reasoning_output": ("reasoning", "output_tokens"),
    "thought": ("reasoning", "output_tokens"),
}


def usage_path(token_type: str) -> tuple[str, ...] | None:
    """Where a token type lands under `gen_ai.usage` (None for `total`, `tool`, unknown)."""
    return _TOKEN_FIELDS.get(token_type.lower())


def usage_block(**counts: Any) -> dict[str, Any]:
    """`gen_ai.usage` from loose counts; keys are dotted paths like `cache_read.input_tokens`."""
    usage: dict[str, Any] = {}
    for key, value in counts.items():
        if value is None:
            continue
        number = as_float(value) if key == "cost_usd" else as_int(value)
        if number is None:
            continue
        path = _USAGE_PATHS.get(key)
        if path is None:
            path = _USAGE_PATHS[key] = tuple(key.split("__"))
        if len(path) == 1:
            usage[key] = number
            continue
        node = usage
        for parent in path[:-1]:
            node = node.setdefault(parent, {})
        node[path[-1]] = number
    return usage


_USAGE_PATHS: dict[str, tuple[str, ...]] = {}  # `cache_read__input_tokens` -> its path


def model_fields(
    gen_ai: dict[str, Any], model: str | None, side: str = "request"
) -> dict[str, Any]:
    """Event fields `gen_ai` and, when known, `model`, also named under `gen_ai.<side>.model`."""
    fields: dict[str, Any] = {"gen_ai": gen_ai}
    if model:
        fields["model"] = model
        gen_ai[side] = {"model": model}
    return fields


def token_usage_event(
    point: MetricPoint,
    *,
    harness: str,
    version: str | None,
    token_type: str,
    amount: float,
    session_id: str | None,
    model: str | None,
) -> Event:
    """`token.usage` for one data point, its count under `gen_ai.usage` by token type."""
    gen_ai: dict[str, Any] = {"token": {"type": token_type}}
    path = usage_path(token_type)
    if path is not None:
        node: dict[str, Any] = {}
        gen_ai["usage"] = node
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = int(amount) if float(amount).is_integer() else amount
    fields = model_fields(gen_ai, model)
    return metric_event(
        point,
        Action.TOKEN_USAGE,
        harness=harness,
        version=version,
        session_id=session_id,
        message=f"{int(amount)} {token_type} tokens" if float(amount).is_integer() else None,
        value=amount,
        **fields,
    )


def cost_usage_event(
    point: MetricPoint,
    *,
    harness: str,
    version: str | None,
    amount: float,
    session_id: str | None,
    model: str | None,
) -> Event:
    """`cost.usage` for one data point: `gen_ai.usage.cost_usd`."""
    fields = model_fields({"usage": {"cost_usd": amount}}, model)
    return metric_event(
        point,
        Action.COST_USAGE,
        harness=harness,
        version=version,
        session_id=session_id,
        message=f"{amount:.6f} USD",
        value=amount,
        **fields,
    )


def usage_point_event(
    point: MetricPoint,
    *,
    harness: str,
    version: str | None,
    session_id: str | None,
    model: str | None,
    amount: float | None,
    token_type: str | None = None,
    cost: bool = False,
    observed_delta: bool = True,
) -> Event:
    """`token.usage` when a `token_type` is given, `cost.usage` when `cost`, else `metric.observed`.

    `amount` is the point's delta (None: observed only); `observed_delta` records it in `raw`.
    """
    if token_type is not None and amount is not None:
        return token_usage_event(
            point,
            harness=harness,
            version=version,
            token_type=token_type,
            amount=amount,
            session_id=session_id,
            model=model,
        )
    if cost and amount is not None:
        return cost_usage_event(
            point,
            harness=harness,
            version=version,
            amount=as_float(amount) or 0.0,
            session_id=session_id,
            model=model,
        )
    return metric_event(
        point,
        Action.METRIC_OBSERVED,
        harness=harness,
        version=version,
        session_id=session_id,
        value=amount if observed_delta else None,
    )
