"""Gemini CLI: recognise its OTLP telemetry and map logs, spans and metrics to events.

Verified against Gemini CLI 0.61.0 recordings: the event name is the `event.name` attribute
(`gemini_cli.<name>`; the body is a human sentence), `session.id` is also a resource
attribute, `service.version` is the Node.js version (so no harness version is claimed),
undefined attributes arrive as empty values, and metrics are CUMULATIVE (turned into deltas
before they become usage events). A `tool_call` carries the user's decision and the result,
so it yields an `approval.*` event and, unless rejected, the tool event.
"""

from __future__ import annotations

from typing import Any

from beacon.runtimes.coerce import as_bool, as_int, as_str, json_object
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import (
    LogBase,
    LogHandler,
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
from beacon.runtimes.tool_calls import ToolCall, classify, language_of
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event

HARNESS = "gemini_cli"
PREFIX = "gemini_cli."
TOKEN_METRIC = "gemini_cli.token.usage"


def detect(resource: Attributes, scope_name: str) -> str | None:
    """`gemini_cli` for `service.name` gemini-cli or the `gemini-cli` scope."""
    service = str(resource.get("service.name") or "").lower()
    if "gemini" in service or scope_name == "gemini-cli":
        return HARNESS
    return None


def _session(attrs: Attributes, resource: Attributes) -> str | None:
    return (
        as_str(attrs.get("session.id"))
        or as_str(attrs.get("gen_ai.conversation.id"))
        or as_str(resource.get("session.id"))
    )


def _prompt(record: LogRecord, base: LogBase) -> list[Event]:
    text = as_str(record.attributes.get("prompt"))
    fields: dict[str, Any] = {"prompt": {"text": text}} if text else {}
    return [base(Action.PROMPT_SUBMITTED, message="User prompt submitted", **fields)]


def _approval(decision: str) -> dict[str, Any]:
    """Gemini does not say whether the user was asked (YOLO mode also reports `accept`)."""
    approval: dict[str, Any] = {"decision": decision}
    if decision == "auto_accept":
        approval["required"] = False
    return approval


def _tool_call(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    name = as_str(attrs.get("function_name")) or "unknown"
    call_id = as_str(attrs.get("call_id") or attrs.get("gen_ai.tool.call.id"))
    gen_ai_tool: dict[str, Any] = {"name": name}
    if call_id:
        gen_ai_tool["call"] = {"id": call_id}
    events: list[Event] = []
    decision = str(attrs.get("decision") or "").lower()
    if decision:
        denied = decision in ("reject", "deny", "cancel")
        events.append(
            base(
                Action.APPROVAL_DENIED if denied else Action.APPROVAL_ALLOWED,
                message=f"Tool {name}: {decision}",
                approval=_approval(decision),
                tool={"name": name},
                gen_ai={"tool": dict(gen_ai_tool)},
            )
        )
        if denied:
            return events
    mcp_server = as_str(attrs.get("mcp_server_name"))
    call = ToolCall(
        name=name,
        arguments=json_object(attrs.get("function_args")),
        call_id=call_id,
        success=as_bool(attrs.get("success")),
        duration_ms=as_int(attrs.get("duration_ms")),
        error=as_str(attrs.get("error")),
        error_type=as_str(attrs.get("error_type")),
        mcp_server=mcp_server or ("mcp" if attrs.get("tool_type") == "mcp" else None),
        mcp_tool=name if mcp_server or attrs.get("tool_type") == "mcp" else None,
    )
    action, fields, severity = classify(call)
    events.append(base(action, severity=severity, message=f"Tool {name} finished", **fields))
    return events


def _file_operation(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    operation = str(attrs.get("operation") or "").lower()
    action = {"create": Action.FILE_CREATED, "read": Action.FILE_READ}.get(
        operation, Action.FILE_MODIFIED
    )
    block: dict[str, Any] = {
        "operation": {"update": "modify"}.get(operation, operation or "modify")
    }
    path = as_str(attrs.get("file_path") or attrs.get("path"))
    if path:
        block["path"] = path
        language = language_of(path)
        if language:
            block["language"] = language
    elif as_str(attrs.get("extension")):
        block["language"] = str(attrs["extension"]).lstrip(".")
    fields: dict[str, Any] = {"file": block}
    tool = as_str(attrs.get("tool_name"))
    if tool:
        fields["tool"] = {"name": tool}
    return [base(action, message=f"File {operation or 'operation'}", **fields)]


def _api_response(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    # Gemini's prompt token count includes the cached content tokens.
    input_tokens = as_int(attrs.get("input_token_count")) or 0
    cached = as_int(attrs.get("cached_content_token_count")) or 0
    usage = usage_block(
        input_tokens=max(input_tokens - cached, 0),
        output_tokens=attrs.get("output_token_count"),
        cache_read__input_tokens=cached,
        reasoning__output_tokens=attrs.get("thoughts_token_count"),
    )
    model = as_str(attrs.get("model"))
    fields = model_fields({"usage": usage}, model, side="response")
    status = as_int(attrs.get("status_code"))
    if status is not None:
        fields["rpc"] = {"response.status_code": str(status)}
    return [base(Action.MODEL_REQUEST, message=f"API response from {model or 'model'}", **fields)]


def _api_error(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    status = as_int(attrs.get("status_code"))
    error: dict[str, Any] = {
        "type": as_str(attrs.get("error_type")) or (f"http_{status}" if status else "api_error")
    }
    message = as_str(attrs.get("error"))
    if message:
        error["message"] = message
    fields: dict[str, Any] = {"error": error}
    model = as_str(attrs.get("model"))
    if model:
        fields["model"] = model
    if status is not None:
        fields["rpc"] = {"response.status_code": str(status)}
    return [
        base(
            Action.MODEL_ERROR,
            severity=Severity.MEDIUM.value,
            message=message or "API error",
            **fields,
        )
    ]


def _hook_call(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    ok = as_bool(attrs.get("success")) is not False
    hook = as_str(attrs.get("hook_event_name")) or "hook"
    fields: dict[str, Any] = {}
    if not ok:
        fields["error"] = {"type": "hook_failed", "message": str(attrs.get("stderr") or "")[:1000]}
    return [
        base(
            Action.HOOK_COMPLETED,
            severity=None if ok else Severity.LOW.value,
            message=f"Hook {hook} {'succeeded' if ok else 'failed'}",
            **fields,
        )
    ]


LOG_EVENTS: dict[str, LogHandler] = {
    "config": simple_log(Action.SESSION_STARTED, "Gemini CLI session started"),
    "user_prompt": _prompt,
    "tool_call": _tool_call,
    "file_operation": _file_operation,
    "api_response": _api_response,
    "api_error": _api_error,
    "hook_call": _hook_call,
    "conversation_finished": simple_log(Action.SESSION_ENDED, "Conversation finished"),
    "chat_compression": simple_log(Action.SESSION_COMPACTED, "Chat compressed"),
    "agent.start": simple_log(Action.SUBAGENT_STARTED, "Agent started"),
    "agent.finish": simple_log(Action.SUBAGENT_STOPPED, "Agent finished"),
    "slash_command": simple_log(Action.COMMAND_INVOKED, "Slash command"),
    "approval_mode_switch": simple_log(Action.SESSION_STATUS, "Approval mode switched"),
    "flash_fallback": simple_log(Action.MODEL_RETRY, "Fell back to flash model"),
}
"""Known events; others (api_request, model_routing, startup_stats, ...) are `session.activity`."""


def map_log(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
    """One Gemini CLI log record as events (see LOG_EVENTS)."""
    attrs = record.attributes
    name = as_str(record.event_name) or as_str(attrs.get("event.name")) or ""
    short = name[len(PREFIX) :] if name.startswith(PREFIX) else name
    session_id = _session(attrs, record.scope.resource)
    body = record.body if isinstance(record.body, str) else None
    # the body is the message unless the handler gives one
    base = log_base(record, harness, None, name, session_id, default_message=body)

    handler = LOG_EVENTS.get(short)
    if handler is not None:
        return handler(record, base)
    return [
        base(
            Action.SESSION_ACTIVITY if name else Action.TELEMETRY_UNCLASSIFIED, message=body or name
        )
    ]


def map_span(span: Span, harness: str, ctx: MapContext) -> list[Event]:
    """Gemini spans (llm_call, tool_call, ...) kept as `session.activity` with trace ids."""
    attrs = span.attributes
    fields: dict[str, Any] = {}
    tool = as_str(attrs.get("gen_ai.tool.name"))
    call_id = as_str(attrs.get("gen_ai.tool.call_id") or attrs.get("gen_ai.tool.call.id"))
    if tool or call_id:
        block: dict[str, Any] = {"name": tool} if tool else {}
        if call_id:
            block["call"] = {"id": call_id}
        fields["gen_ai"] = {"tool": block}
    model = as_str(attrs.get("gen_ai.request.model"))
    if model:
        fields["model"] = model
    return [
        span_event(
            span,
            Action.SESSION_ACTIVITY,
            harness=harness,
            session_id=_session(attrs, span.scope.resource),
            **fields,
        )
    ]


def map_points(points: list[MetricPoint], harness: str, ctx: MapContext) -> list[Event]:
    """`gemini_cli.token.usage` as `token.usage` deltas; other metrics `metric.observed`."""
    events: list[Event] = []
    usage: list[tuple[MetricPoint, str, float]] = []
    cached: dict[tuple[Any, ...], float] = {}
    for point in points:
        amount = ctx.delta(point)
        session_id = _session(point.attributes, point.scope.resource)
        if point.name != TOKEN_METRIC:
            events.append(
                metric_event(
                    point,
                    Action.METRIC_OBSERVED,
                    harness=harness,
                    session_id=session_id,
                    value=amount,
                )
            )
            continue
        if not amount:
            ctx.drop("unchanged_usage")
            continue
        token_type = as_str(point.attributes.get("type")) or "unknown"
        usage.append((point, token_type, amount))
        if token_type == "cache":
            cached[_pair_key(point)] = amount
    for point, token_type, amount in usage:
        if token_type == "input":
            amount = max(amount - cached.get(_pair_key(point), 0.0), 0.0)
        events.append(
            token_usage_event(
                point,
                harness=harness,
                version=None,
                token_type=token_type,
                amount=amount,
                session_id=_session(point.attributes, point.scope.resource),
                model=as_str(point.attributes.get("model")),
            )
        )
    return events


def _pair_key(point: MetricPoint) -> tuple[Any, ...]:
    attrs = tuple(sorted((k, repr(v)) for k, v in point.attributes.items() if k != "type"))
    return point.time_unix_nano, attrs


RUNTIME = Runtime(
    name=HARNESS, detect=detect, map_log=map_log, map_span=map_span, map_points=map_points
)
