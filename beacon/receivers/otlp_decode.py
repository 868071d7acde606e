"""Decode OTLP Export requests (protobuf or OTLP/JSON) into the runtime-agnostic records.

OTLP/JSON is walked by hand rather than through `json_format`, because real exporters
send hex ids (not base64), int64 as strings *or* bare numbers, enums as integers, and
fields we do not know; all of that is accepted here. Values nested deeper than
`MAX_DEPTH` are cut and reported as degraded, never recursed into.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any, Literal

import orjson
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from beacon.errors import DecodeError
from beacon.runtimes.records import (
    Attributes,
    Batch,
    LogRecord,
    MetricPoint,
    Scope,
    Span,
    SpanEvent,
)

Signal = Literal["logs", "traces", "metrics"]
SIGNALS: tuple[Signal, ...] = ("logs", "traces", "metrics")
MAX_DEPTH = 32
DEPTH_MARKER = "[beacon: nesting too deep]"
REQUEST_TYPES: dict[str, Any] = {
    "logs": ExportLogsServiceRequest,
    "traces": ExportTraceServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}


# --------------------------------------------------------------------------- protobuf


def decode_protobuf(signal: Signal, body: bytes) -> Batch:
    """Parse protobuf bytes of an Export<Signal>ServiceRequest into records."""
    try:
        message = REQUEST_TYPES[signal].FromString(body)
    except (ProtobufDecodeError, RuntimeError, ValueError) as exc:
        raise DecodeError(f"invalid protobuf {signal} request: {exc}") from None
    return from_message(signal, message)


def from_message(signal: Signal, message: Any) -> Batch:
    """Records from an already parsed Export request (the gRPC server hands us these)."""
    batch = Batch()
    walk = _PbWalker(batch)
    if signal == "logs":
        walk.logs(message)
    elif signal == "traces":
        walk.traces(message)
    else:
        walk.metrics(message)
    return batch


class _PbWalker:
    __slots__ = ("batch",)

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def any(self, value: AnyValue, depth: int = 0) -> Any:
        kind = value.WhichOneof("value")
        if kind == "string_value":
            return value.string_value
        if kind == "int_value":
            return value.int_value
        if kind == "bool_value":
            return value.bool_value
        if kind == "double_value":
            number = value.double_value
            return number if math.isfinite(number) else str(number)
        if kind is None:
            return None
        if depth >= MAX_DEPTH:
            self.batch.degraded.append("depth")
            return DEPTH_MARKER
        if kind == "array_value":
            return [self.any(v, depth + 1) for v in value.array_value.values]
        if kind == "kvlist_value":
            return {kv.key: self.any(kv.value, depth + 1) for kv in value.kvlist_value.values}
        if kind == "bytes_value":
            return base64.b64encode(value.bytes_value).decode("ascii")
        return None

    def attrs(self, items: Any) -> Attributes:
        # The hot path of decoding: scalar values inline, nested ones through `any`.
        out: Attributes = {}
        for kv in items:
            value = kv.value
            kind = value.WhichOneof("value")
            if kind == "string_value":
                out[kv.key] = value.string_value
            elif kind == "int_value":
                out[kv.key] = value.int_value
            elif kind == "bool_value":
                out[kv.key] = value.bool_value
            else:
                out[kv.key] = self.any(value)
        return out

    def logs(self, message: Any) -> None:
        out = self.batch.logs
        for rl in message.resource_logs:
            resource = self.attrs(rl.resource.attributes)
            for sl in rl.scope_logs:
                scope = Scope(resource, sl.scope.name, sl.scope.version)
                for r in sl.log_records:
                    out.append(
                        LogRecord(
                            scope=scope,
                            attributes=self.attrs(r.attributes),
                            body=self.any(r.body) if r.HasField("body") else None,
                            event_name=r.event_name,
                            time_unix_nano=r.time_unix_nano,
                            observed_time_unix_nano=r.observed_time_unix_nano,
                            severity_number=r.severity_number,
                            severity_text=r.severity_text,
                            trace_id=r.trace_id.hex(),
                            span_id=r.span_id.hex(),
                        )
                    )

    def traces(self, message: Any) -> None:
        out = self.batch.spans
        for rs in message.resource_spans:
            resource = self.attrs(rs.resource.attributes)
            for ss in rs.scope_spans:
                scope = Scope(resource, ss.scope.name, ss.scope.version)
                for s in ss.spans:
                    out.append(
                        Span(
                            scope=scope,
                            name=s.name,
                            attributes=self.attrs(s.attributes),
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_span_id=s.parent_span_id.hex(),
                            kind=s.kind,
                            start_time_unix_nano=s.start_time_unix_nano,
                            end_time_unix_nano=s.end_time_unix_nano,
                            status_code=s.status.code,
                            status_message=s.status.message,
                            events=[
                                SpanEvent(e.name, e.time_unix_nano, self.attrs(e.attributes))
                                for e in s.events
                            ],
                        )
                    )

    def metrics(self, message: Any) -> None:
        out = self.batch.points
        for rm in message.resource_metrics:
            resource = self.attrs(rm.resource.attributes)
            for sm in rm.scope_metrics:
                scope = Scope(resource, sm.scope.name, sm.scope.version)
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    if kind is None:
                        continue
                    data = getattr(m, kind)
                    temporality = getattr(data, "aggregation_temporality", 0)
                    monotonic = getattr(data, "is_monotonic", False)
                    for p in data.data_points:
                        value: float | int | None
                        count: int | None = None
                        if kind in ("sum", "gauge"):
                            which = p.WhichOneof("value")
                            value = (
                                p.as_int if which == "as_int" else p.as_double if which else None
                            )
                        else:
                            count = p.count
                            value = p.sum if kind == "summary" or p.HasField("sum") else None
                        out.append(
                            MetricPoint(
                                scope=scope,
                                name=m.name,
                                attributes=self.attrs(p.attributes),
                                kind=_METRIC_KINDS[kind],
                                description=m.description,
                                unit=m.unit,
                                temporality=temporality,
                                monotonic=monotonic,
                                start_time_unix_nano=p.start_time_unix_nano,
                                time_unix_nano=p.time_unix_nano,
                                value=value,
                                count=count,
                            )
                        )


_METRIC_KINDS = {
    "sum": "sum",
    "gauge": "gauge",
    "histogram": "histogram",
    "exponential_histogram": "exponential_histogram",
    "summary": "summary",
}


# --------------------------------------------------------------------------- OTLP/JSON

_SEVERITY_NAMES = {
    f"SEVERITY_NUMBER_{name}{suffix}": base + i
    for base, name in (
        (1, "TRACE"),
        (5, "DEBUG"),
        (9, "INFO"),
        (13, "WARN"),
        (17, "ERROR"),
        (21, "FATAL"),
    )
    for i, suffix in enumerate(("", "2", "3", "4"))
}
_SPAN_KIND_NAMES = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
_STATUS_NAMES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
_TEMPORALITY_NAMES = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED": 0,
    "AGGREGATION_TEMPORALITY_DELTA": 1,
    "AGGREGATION_TEMPORALITY_CUMULATIVE": 2,
}
_JSON_METRIC_KINDS = (
    ("sum", "sum"),
    ("gauge", "gauge"),
    ("histogram", "histogram"),
    ("exponentialHistogram", "exponential_histogram"),
    ("exponential_histogram", "exponential_histogram"),
    ("summary", "summary"),
)


def decode_json(signal: Signal, body: bytes) -> Batch:
    """Parse an OTLP/JSON Export request body into records."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DecodeError("the request must be a JSON object")
    batch = Batch()
    walk = _JsonWalker(batch)
    try:
        if signal == "logs":
            walk.logs(doc)
        elif signal == "traces":
            walk.traces(doc)
        else:
            walk.metrics(doc)
    except (TypeError, AttributeError, KeyError) as exc:
        raise DecodeError(f"malformed {signal} request: {exc}") from None
    return batch


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _obj(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError(f"{what} must be an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DecodeError(f"{what} must be an array")
    return value


def _int(value: Any, what: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise DecodeError(f"{what} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise DecodeError(f"{what} must be an integer, got {str(value)[:40]!r}")


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise DecodeError(f"{what} must be a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)  # accepts "NaN", "Infinity", "-Infinity"
        except ValueError:
            pass
    raise DecodeError(f"{what} must be a number")


def _enum(value: Any, names: dict[str, int], what: str) -> int:
    if isinstance(value, str) and value in names:
        return names[value]
    return _int(value, what)


def _id(value: Any, size: int, what: str) -> str:
    """OTLP/JSON ids are hex; base64 (what `json_format` would produce) is accepted too."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise DecodeError(f"{what} must be a string")
    if len(value) == size * 2:
        try:
            bytes.fromhex(value)
            return value.lower()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == size:
        return raw.hex()
    raise DecodeError(f"{what} must be {size * 2} hex digits")


class _JsonWalker:
    __slots__ = ("batch",)

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def any(self, value: Any, depth: int = 0) -> Any:
        if not isinstance(value, dict) or not value:
            if value is None or value == {}:
                return None
            raise DecodeError("an AnyValue must be an object")
        if "stringValue" in value:
            text = value["stringValue"]
            if not isinstance(text, str):
                raise DecodeError("stringValue must be a string")
            return text
        if "intValue" in value:
            return _int(value["intValue"], "intValue")
        if "boolValue" in value:
            flag = value["boolValue"]
            if not isinstance(flag, bool):
                raise DecodeError("boolValue must be a boolean")
            return flag
        if "doubleValue" in value:
            number = _float(value["doubleValue"], "doubleValue")
            return number if math.isfinite(number) else str(number)
        if depth >= MAX_DEPTH:
            self.batch.degraded.append("depth")
            return DEPTH_MARKER
        if "arrayValue" in value:
            values = _list(_obj(value["arrayValue"], "arrayValue").get("values"), "arrayValue")
            return [self.any(v, depth + 1) for v in values]
        if "kvlistValue" in value:
            values = _list(_obj(value["kvlistValue"], "kvlistValue").get("values"), "kvlistValue")
            return self.attrs(values, depth + 1)
        if "bytesValue" in value:
            return str(value["bytesValue"])
        snake = {
            "string_value": "stringValue",
            "int_value": "intValue",
            "bool_value": "boolValue",
            "double_value": "doubleValue",
            "array_value": "arrayValue",
            "kvlist_value": "kvlistValue",
            "bytes_value": "bytesValue",
        }
        renamed = {snake[k]: v for k, v in value.items() if k in snake}
        return self.any(renamed, depth) if renamed else None

    def attrs(self, items: Any, depth: int = 0) -> Attributes:
        out: Attributes = {}
        for kv in _list(items, "attributes"):
            if not isinstance(kv, dict):
                raise DecodeError("an attribute must be an object")
            key = kv.get("key")
            if not isinstance(key, str):
                raise DecodeError("an attribute key must be a string")
            out[key] = self.any(kv.get("value"), depth)
        return out

    def _scopes(self, doc: dict[str, Any], outer: tuple[str, str], inner: tuple[str, str]) -> Any:
        for group in _list(_get(doc, *outer), outer[0]):
            group = _obj(group, outer[0])
            resource = self.attrs(_obj(group.get("resource"), "resource").get("attributes"))
            for scoped in _list(_get(group, *inner), inner[0]):
                scoped = _obj(scoped, inner[0])
                meta = _obj(scoped.get("scope"), "scope")
                scope = Scope(resource, str(meta.get("name") or ""), str(meta.get("version") or ""))
                yield scope, scoped

    def logs(self, doc: dict[str, Any]) -> None:
        out = self.batch.logs
        for scope, scoped in self._scopes(
            doc, ("resourceLogs", "resource_logs"), ("scopeLogs", "scope_logs")
        ):
            for r in _list(_get(scoped, "logRecords", "log_records"), "logRecords"):
                r = _obj(r, "logRecord")
                body = r.get("body")
                out.append(
                    LogRecord(
                        scope=scope,
                        attributes=self.attrs(r.get("attributes")),
                        body=self.any(body) if body is not None else None,
                        event_name=str(_get(r, "eventName", "event_name") or ""),
                        time_unix_nano=_int(
                            _get(r, "timeUnixNano", "time_unix_nano"), "timeUnixNano"
                        ),
                        observed_time_unix_nano=_int(
                            _get(r, "observedTimeUnixNano", "observed_time_unix_nano"),
                            "observedTimeUnixNano",
                        ),
                        severity_number=_enum(
                            _get(r, "severityNumber", "severity_number"),
                            _SEVERITY_NAMES,
                            "severityNumber",
                        ),
                        severity_text=str(_get(r, "severityText", "severity_text") or ""),
                        trace_id=_id(_get(r, "traceId", "trace_id"), 16, "traceId"),
                        span_id=_id(_get(r, "spanId", "span_id"), 8, "spanId"),
                    )
                )

    def traces(self, doc: dict[str, Any]) -> None:
        out = self.batch.spans
        for scope, scoped in self._scopes(
            doc, ("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans")
        ):
            for s in _list(scoped.get("spans"), "spans"):
                s = _obj(s, "span")
                status = _obj(s.get("status"), "status")
                events = [
                    SpanEvent(
                        str(_obj(e, "event").get("name") or ""),
                        _int(_get(e, "timeUnixNano", "time_unix_nano"), "timeUnixNano"),
                        self.attrs(e.get("attributes")),
                    )
                    for e in _list(s.get("events"), "events")
                ]
                out.append(
                    Span(
                        scope=scope,
                        name=str(s.get("name") or ""),
                        attributes=self.attrs(s.get("attributes")),
                        trace_id=_id(_get(s, "traceId", "trace_id"), 16, "traceId"),
                        span_id=_id(_get(s, "spanId", "span_id"), 8, "spanId"),
                        parent_span_id=_id(
                            _get(s, "parentSpanId", "parent_span_id"), 8, "parentSpanId"
                        ),
                        kind=_enum(s.get("kind"), _SPAN_KIND_NAMES, "kind"),
                        start_time_unix_nano=_int(
                            _get(s, "startTimeUnixNano", "start_time_unix_nano"),
                            "startTimeUnixNano",
                        ),
                        end_time_unix_nano=_int(
                            _get(s, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano"
                        ),
                        status_code=_enum(status.get("code"), _STATUS_NAMES, "status.code"),
                        status_message=str(status.get("message") or ""),
                        events=events,
                    )
                )

    def metrics(self, doc: dict[str, Any]) -> None:
        out = self.batch.points
        for scope, scoped in self._scopes(
            doc, ("resourceMetrics", "resource_metrics"), ("scopeMetrics", "scope_metrics")
        ):
            for m in _list(scoped.get("metrics"), "metrics"):
                m = _obj(m, "metric")
                found = next(((k, name) for k, name in _JSON_METRIC_KINDS if k in m), None)
                if found is None:
                    continue
                key, kind = found
                data = _obj(m[key], key)
                temporality = _enum(
                    _get(data, "aggregationTemporality", "aggregation_temporality"),
                    _TEMPORALITY_NAMES,
                    "aggregationTemporality",
                )
                monotonic = bool(_get(data, "isMonotonic", "is_monotonic"))
                for p in _list(_get(data, "dataPoints", "data_points"), "dataPoints"):
                    p = _obj(p, "dataPoint")
                    value: float | int | None
                    count: int | None = None
                    if kind in ("sum", "gauge"):
                        if "asInt" in p or "as_int" in p:
                            value = _int(_get(p, "asInt", "as_int"), "asInt")
                        elif "asDouble" in p or "as_double" in p:
                            value = _float(_get(p, "asDouble", "as_double"), "asDouble")
                        else:
                            value = None
                    else:
                        count = _int(p.get("count"), "count")
                        value = _float(p["sum"], "sum") if p.get("sum") is not None else None
                    if isinstance(value, float) and not math.isfinite(value):
                        value = None
                    out.append(
                        MetricPoint(
                            scope=scope,
                            name=str(m.get("name") or ""),
                            attributes=self.attrs(p.get("attributes")),
                            kind=kind,
                            description=str(m.get("description") or ""),
                            unit=str(m.get("unit") or ""),
                            temporality=temporality,
                            monotonic=monotonic,
                            start_time_unix_nano=_int(
                                _get(p, "startTimeUnixNano", "start_time_unix_nano"),
                                "startTimeUnixNano",
                            ),
                            time_unix_nano=_int(
                                _get(p, "timeUnixNano", "time_unix_nano"), "timeUnixNano"
                            ),
                            value=value,
                            count=count,
                        )
                    )
