"""OpenTelemetry GenAI semantic conventions: spans and usage metrics any runtime may send.

Copilot (CLI and VS Code) and unknown senders speak the GenAI semconv (`invoke_agent`,
`chat`, `execute_tool`, `gen_ai.client.token.usage`); this module maps those shapes once.
"""

from __future__ import annotations

import json
from typing import Any

from beacon.runtimes.coerce import as_int, as_str, json_object
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import span_event, usage_block, usage_point_event
from beacon.runtimes.records import Attributes, MetricPoint, Span
from beacon.runtimes.tool_calls import ToolCall, classify
from beacon.schema.actions import Action
from beacon.schema.event import Event

TOKEN_METRIC = "gen_ai.client.token.usage"
RUNTIME_METRIC_PREFIXES = (
    "process.",
    "nodejs.",
    "runtime.",
    "v8js.",
    "jvm.",
    "system.",
    "go.",
    "dotnet.",
    "python.",
    "cpython.",
    "http.server.",
    "http.client.",
)
_SESSION_KEYS = (
    "gen_ai.conversation.id",
    "session.id",
    "copilot_chat.session_id",
    "copilot_chat.chat_session_id",
    "conversation.id",
    "conversation_id",
)
_PROMPT_KEYS = (
    "copilot_chat.user_request",
    "github.copilot.user_request",
    "gen_ai.prompt",
    "user_request",
)


def session_of(attrs: Attributes, resource: Attributes) -> str | None:
    """The session id under any of the names GenAI senders use."""
    for source in (attrs, resource):
        for key in _SESSION_KEYS:
            value = as_str(source.get(key))
            if value:
                return value
    return None


def operation_of(span: Span) -> str:
    """`gen_ai.operation.name`, else the first word of the span name (`execute_tool x`)."""
    op = as_str(span.attributes.get("gen_ai.operation.name"))
    return op or span.name.split(" ", 1)[0]


def user_text(attrs: Attributes) -> str | None:
    """The user's request text from Copilot attributes or `gen_ai.input.messages`."""
    for key in _PROMPT_KEYS:
        text = as_str(attrs.get(key))
        if text:
            return text
    messages = attrs.get("gen_ai.input.messages")
    if isinstance(messages, str):
        try:
            messages = json.loads(messages)
        except ValueError:
            return None
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict) and message.get("role") == "user":
                for part in message.get("parts") or []:
                    if isinstance(part, dict) and as_str(part.get("content")):
                        return str(part["content"])
                if as_str(message.get("content")):
                    return str(message["content"])
    return None


def tool_span(span: Span, harness: str, version: str | None, session_id: str | None) -> Event:
    """An `execute_tool` span as command/file/MCP/tool event."""
    attrs = span.attributes
    name = as_str(attrs.get("gen_ai.tool.name")) or span.name.partition(" ")[2] or "unknown"
    failed = span.status_code == 2
    call = ToolCall(
        name=name,
        arguments=json_object(attrs.get("gen_ai.tool.call.arguments")),
        call_id=as_str(attrs.get("gen_ai.tool.call.id")),
        success=not failed,
        duration_ms=int((span.end_time_unix_nano - span.start_time_unix_nano) / 1e6)
        if span.end_time_unix_nano > span.start_time_unix_nano
        else None,
        error=span.status_message or None,
        mcp_server=as_str(attrs.get("mcp.server.name") or attrs.get("gen_ai.mcp.server")),
        mcp_tool=as_str(attrs.get("mcp.tool.name")),
    )
    action, fields, severity = classify(call)
    return span_event(
        span,
        action,
        harness=harness,
        version=version,
        session_id=session_id,
        severity=severity,
        message=f"Tool {name} finished",
        **fields,
    )


def chat_span(span: Span, harness: str, version: str | None, session_id: str | None) -> Event:
    """A `chat`/`generate_content` span as `model.request` with its token usage."""
    attrs = span.attributes
    usage = usage_block(
        input_tokens=attrs.get("gen_ai.usage.input_tokens"),
        output_tokens=attrs.get("gen_ai.usage.output_tokens"),
        cache_read__input_tokens=attrs.get("gen_ai.usage.cache_read.input_tokens"),
        cache_creation__input_tokens=attrs.get("gen_ai.usage.cache_creation.input_tokens"),
        reasoning__output_tokens=attrs.get("gen_ai.usage.reasoning.output_tokens"),
    )
    gen_ai: dict[str, Any] = {}
    if usage:
        gen_ai["usage"] = usage
    fields: dict[str, Any] = {}
    request_model = as_str(attrs.get("gen_ai.request.model"))
    response_model = as_str(attrs.get("gen_ai.response.model"))
    if request_model:
        gen_ai["request"] = {"model": request_model}
    response: dict[str, Any] = {}
    if response_model:
        response["model"] = response_model
    response_id = as_str(attrs.get("gen_ai.response.id"))
    if response_id:
        response["id"] = response_id
    if response:
        gen_ai["response"] = response
    model = response_model or request_model
    if model:
        fields["model"] = model
    if gen_ai:
        fields["gen_ai"] = gen_ai
    return span_event(
        span,
        Action.MODEL_REQUEST,
        harness=harness,
        version=version,
        session_id=session_id,
        **fields,
    )


def usage_points(
    points: list[MetricPoint],
    harness: str,
    version: str | None,
    ctx: MapContext,
    *,
    runtime_metrics: tuple[str, ...] = (),
) -> list[Event]:
    """Token/cost usage per data point; runtime metrics dropped unless asked; rest observed."""
    events: list[Event] = []
    for point in points:
        attrs = point.attributes
        resource = point.scope.resource
        name = point.name
        is_token = name == TOKEN_METRIC or name.endswith(".token.usage")
        is_cost = name.endswith(".cost.usage")
        runtime_metric = name.startswith(RUNTIME_METRIC_PREFIXES + runtime_metrics)
        if runtime_metric and not (is_token or is_cost or ctx.options.include_runtime_metrics):
            ctx.drop("runtime_metric")
            continue
        session_id = session_of(attrs, resource)
        model = as_str(
            attrs.get("gen_ai.request.model")
            or attrs.get("gen_ai.response.model")
            or attrs.get("model")
        )
        amount = ctx.delta(point)
        if (is_token or is_cost) and not amount:
            ctx.drop("unchanged_usage")
            continue
        token_type = None
        if is_token:
            token_type = as_str(
                attrs.get("gen_ai.token.type") or attrs.get("type") or attrs.get("token_type")
            )
            token_type = None if token_type == "total" else token_type or "unknown"
        events.append(
            usage_point_event(
                point,
                harness=harness,
                version=version,
                session_id=session_id,
                model=model,
                amount=amount,
                token_type=token_type,  # None for `total`: it repeats the typed counts
                cost=is_cost,
            )
        )
    return events


def duration_ms(span: Span) -> int | None:
    """A span's duration in whole milliseconds."""
    if span.end_time_unix_nano > span.start_time_unix_nano:
        return as_int((span.end_time_unix_nano - span.start_time_unix_nano) // 1_000_000)
    return None
