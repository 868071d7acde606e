"""Codex CLI: recognise its OTLP telemetry and map logs, spans and metrics to events.

Verified against Codex 0.169.0 recordings: the semantic name is the `event.name` attribute
(`codex.<name>`, while `eventName` is a Rust call site), the body is null, `timeUnixNano` is 0
(the observed time is used), int64 values arrive as strings. Codex spans are internal Rust
functions and are dropped unless `include_codex_spans`; of the ~57 metrics only
`codex.turn.token_usage` carries meaning (its `input` includes `cached_input`, so the cached
part is subtracted and `total` is not reported as usage). Also the `[otel]` table of
`config.toml` that points Codex at a collector (endpoint install and `beacon ci` write it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from beacon.runtimes.coerce import as_bool, as_int, as_str, json_object
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import (
    LogBase,
    LogHandler,
    dispatch_log,
    log_base,
    metric_event,
    model_fields,
    simple_log,
    span_event,
    token_usage_event,
    usage_block,
)
from beacon.runtimes.records import Attributes, LogRecord, MetricPoint, Span
from beacon.runtimes.runtime import Runtime
from beacon.runtimes.tool_calls import ToolCall, classify
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event

if TYPE_CHECKING:  # tomlkit loads only when a config is written, not to map telemetry
    from tomlkit import TOMLDocument
    from tomlkit.items import Table

HARNESS = "codex_cli"
PREFIX = "codex."
TOKEN_METRIC = "codex.turn.token_usage"
_INTERNAL_LOG_SCOPES = ("codex_otel::metrics",)


def detect(resource: Attributes, scope_name: str) -> str | None:
    """`codex_cli` for `service.name` codex_exec/codex_tui/codex-cli/... or Codex scopes."""
    service = str(resource.get("service.name") or "").lower()
    if "codex" in service or scope_name.startswith("codex_otel") or scope_name == "codex":
        return HARNESS
    return None


def otel_table(
    http_url: str, *, log_user_prompt: bool, traces: bool = False, environment: str | None = None
) -> Table:
    """Codex's `[otel]` table: logs and metrics (and traces) as OTLP/HTTP protobuf to the
    collector at `http_url` (Codex uses `otlp-http` endpoints verbatim, `/v1/<signal>`
    included)."""
    import tomlkit

    otel = tomlkit.table()
    if environment is not None:
        otel.add("environment", environment)
    otel.add("log_user_prompt", log_user_prompt)
    signals = [("exporter", "logs"), ("metrics_exporter", "metrics")]
    if traces:
        signals.append(("trace_exporter", "traces"))
    for key, signal in signals:
        exporter = tomlkit.table(is_super_table=True)
        target = tomlkit.table()
        target.add("endpoint", f"{http_url}/v1/{signal}")
        target.add("protocol", "binary")
        exporter.add("otlp-http", target)
        otel.add(key, exporter)
    return otel


def set_otel(doc: TOMLDocument, otel: Table) -> None:
    """Make `otel` the `[otel]` table of a parsed `config.toml`: in place of an existing one
    (its position kept, its sub-tables replaced), else appended after a blank line."""
    import tomlkit

    if "otel" in doc:
        doc["otel"] = otel
    else:
        if doc.body:
            doc.add(tomlkit.nl())
        doc.add("otel", otel)


def _version(attrs: Attributes, resource: Attributes) -> str | None:
    return as_str(resource.get("service.version")) or as_str(attrs.get("app.version"))


def _session(attrs: Attributes) -> str | None:
    return as_str(attrs.get("conversation.id")) or as_str(attrs.get("session.id"))


def _prompt(record: LogRecord, base: LogBase) -> list[Event]:
    text = as_str(record.attributes.get("prompt"))
    fields: dict[str, Any] = {}
    if text and text != "[REDACTED]":
        fields["prompt"] = {"text": text}
    return [base(Action.PROMPT_SUBMITTED, message="Codex prompt submitted", **fields)]


def _decision(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    decision = str(attrs.get("decision") or "").lower()
    source = as_str(attrs.get("source"))
    if decision in ("approved", "approved_for_session", "approve", "allow"):
        action = Action.APPROVAL_ALLOWED
    elif decision in ("denied", "deny", "abort", "rejected"):
        action = Action.APPROVAL_DENIED
    else:
        action = Action.APPROVAL_REQUESTED
    approval: dict[str, Any] = {"required": bool(source and source.lower() == "user")}
    if decision:
        approval["decision"] = decision
    if source:
        approval["reason"] = source.lower()
    name = as_str(attrs.get("tool_name")) or "unknown"
    gen_ai_tool: dict[str, Any] = {"name": name}
    call_id = as_str(attrs.get("call_id"))
    if call_id:
        gen_ai_tool["call"] = {"id": call_id}
    return [
        base(
            action,
            message=f"Tool {name}: {decision or 'decision'}",
            approval=approval,
            tool={"name": name},
            gen_ai={"tool": gen_ai_tool},
        )
    ]


def _tool_result(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    name = as_str(attrs.get("tool_name")) or "unknown"
    arguments = json_object(attrs.get("arguments"))
    call = ToolCall(
        name=name,
        arguments=arguments,
        call_id=as_str(attrs.get("call_id")),
        success=as_bool(attrs.get("success")),
        duration_ms=as_int(attrs.get("duration_ms")),
        output=as_str(attrs.get("output")),
        mcp_server=as_str(attrs.get("mcp_server")),
    )
    if arguments is None and name.lower() == "shell":
        call.command = as_str(attrs.get("arguments"))
    action, fields, severity = classify(call)
    if call.output and action is Action.COMMAND_EXECUTED:
        fields["command"]["output"] = call.output
    return [base(action, severity=severity, message=f"Tool {name} finished", **fields)]


def _api_request(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    status = as_int(attrs.get("http.response.status_code"))
    error = as_str(attrs.get("error.message"))
    fields: dict[str, Any] = {}
    model = as_str(attrs.get("model"))
    if model:
        fields["model"] = model
        fields["gen_ai"] = {"request": {"model": model}}
    if status is not None:
        fields["rpc"] = {"response.status_code": str(status)}
    if error or (status is not None and status >= 400):
        fields["error"] = {"type": f"http_{status}" if status else "api_error"}
        if error:
            fields["error"]["message"] = error
        return [
            base(
                Action.MODEL_ERROR,
                severity=Severity.MEDIUM.value,
                message=error or "API error",
                **fields,
            )
        ]
    # The usage arrives with the `response.completed` SSE event, which is the model.request.
    return [
        base(Action.SESSION_ACTIVITY, message=f"API request ({status or 'no status'})", **fields)
    ]


def _sse_event(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    if "input_token_count" not in attrs and "output_token_count" not in attrs:
        kind = as_str(attrs.get("event.kind")) or "event"
        return [base(Action.SESSION_ACTIVITY, message=f"SSE {kind}")]
    # The completed response: one model request with its usage (input includes cached).
    input_tokens = as_int(attrs.get("input_token_count")) or 0
    cached = as_int(attrs.get("cached_token_count")) or 0
    usage = usage_block(
        input_tokens=max(input_tokens - cached, 0),
        output_tokens=attrs.get("output_token_count"),
        cache_read__input_tokens=cached,
        cache_creation__input_tokens=attrs.get("cache_write_token_count"),
        reasoning__output_tokens=attrs.get("reasoning_token_count"),
    )
    fields = model_fields({"usage": usage}, as_str(attrs.get("model")))
    return [base(Action.MODEL_REQUEST, message="Model response completed", **fields)]


LOG_EVENTS: dict[str, LogHandler] = {
    "conversation_starts": simple_log(Action.SESSION_STARTED, "Codex session started"),
    "user_prompt": _prompt,
    "tool_decision": _decision,
    "tool_result": _tool_result,
    "api_request": _api_request,
    "websocket_request": _api_request,
    "sse_event": _sse_event,
}
"""Known events; other `codex.*` names (startup_phase, turn_ttft, ...) are `session.activity`."""


def map_log(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
    """One Codex log record as events; the metrics-flush DEBUG line is a counted drop."""
    attrs = record.attributes
    name = as_str(attrs.get("event.name")) or ""
    if not name and record.scope.name.startswith(_INTERNAL_LOG_SCOPES):
        ctx.drop("codex_internal_log")
        return []
    short = name[len(PREFIX) :] if name.startswith(PREFIX) else name
    base = log_base(record, harness, _version(attrs, record.scope.resource), name, _session(attrs))
    body = record.body if isinstance(record.body, str) else None
    return dispatch_log(record, base, LOG_EVENTS, short, unnamed_message=body)


def map_span(span: Span, harness: str, ctx: MapContext) -> list[Event]:
    """Codex spans are Rust internals: dropped unless `include_codex_spans`."""
    if not ctx.options.include_codex_spans:
        ctx.drop("codex_span")
        return []
    return [
        span_event(
            span,
            Action.TRACE_UNCLASSIFIED,
            harness=harness,
            version=as_str(span.scope.resource.get("service.version")),
            session_id=_session(span.attributes),
        )
    ]


def map_points(points: list[MetricPoint], harness: str, ctx: MapContext) -> list[Event]:
    """`codex.turn.token_usage` as `token.usage` (cached input not double counted)."""
    events: list[Event] = []
    cached: dict[tuple[int, tuple[tuple[str, str], ...]], float] = {}
    usage_points: list[tuple[MetricPoint, str, float]] = []
    for point in points:
        if point.name != TOKEN_METRIC:
            if ctx.options.include_runtime_metrics:
                events.append(
                    metric_event(
                        point,
                        Action.METRIC_OBSERVED,
                        harness=harness,
                        version=as_str(point.scope.resource.get("service.version")),
                    )
                )
            else:
                ctx.drop("runtime_metric")
            continue
        amount = ctx.delta(point)
        if amount is None:
            ctx.drop("empty_metric_point")
            continue
        token_type = as_str(point.attributes.get("token_type")) or "unknown"
        usage_points.append((point, token_type, amount))
        if token_type == "cached_input":
            cached[_series_key(point)] = amount
    for point, token_type, amount in usage_points:
        version = as_str(point.scope.resource.get("service.version")) or as_str(
            point.attributes.get("app.version")
        )
        if token_type == "total":
            events.append(
                metric_event(
                    point, Action.METRIC_OBSERVED, harness=harness, version=version, value=amount
                )
            )
            continue
        if token_type == "input":
            amount = max(amount - cached.get(_series_key(point), 0.0), 0.0)
        events.append(
            token_usage_event(
                point,
                harness=harness,
                version=version,
                token_type=token_type,
                amount=amount,
                session_id=_session(point.attributes),
                model=as_str(point.attributes.get("model")),
            )
        )
    return events


def _series_key(point: MetricPoint) -> tuple[int, tuple[tuple[str, str], ...]]:
    """Same time and attributes apart from `token_type`: the input/cached pair of one turn."""
    attrs = tuple(sorted((k, repr(v)) for k, v in point.attributes.items() if k != "token_type"))
    return point.time_unix_nano, attrs


RUNTIME = Runtime(
    name=HARNESS, detect=detect, map_log=map_log, map_span=map_span, map_points=map_points
)
