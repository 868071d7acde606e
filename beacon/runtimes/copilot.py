"""GitHub Copilot: the Copilot CLI (`copilot_cli`) and VS Code Copilot Chat (`vscode_copilot`).

Both export GenAI-semconv spans (`invoke_agent`, `chat`, `execute_tool`, `execute_hook`)
plus `copilot_chat.*` log events; no recording exists yet, so this follows the published
docs (see docs/collector.md) and upstream's mapping. Copilot's own metrics are runtime
metrics (dropped unless `include_runtime_metrics`); `gen_ai.client.token.usage` is kept.
"""

from __future__ import annotations

from typing import Any

from beacon.runtimes import genai
from beacon.runtimes.coerce import as_bool, as_int, as_str, json_object
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import log_event, span_event
from beacon.runtimes.records import Attributes, LogRecord, MetricPoint, Span
from beacon.runtimes.runtime import Runtime
from beacon.runtimes.tool_calls import ToolCall, classify
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event

CLI = "copilot_cli"
VSCODE = "vscode_copilot"
_VSCODE_SERVICES = ("copilot-chat", "vscode", "copilot_chat")


def detect(resource: Attributes, scope_name: str) -> str | None:
    """`vscode_copilot` for copilot-chat/vscode, `copilot_cli` for other copilot services."""
    service = str(resource.get("service.name") or "").lower()
    if any(s in service for s in _VSCODE_SERVICES) or scope_name.startswith("copilot-chat"):
        return VSCODE
    if "copilot" in service:
        return CLI
    return None


def _version(resource: Attributes) -> str | None:
    return as_str(resource.get("service.version"))


def _event_name(record: LogRecord) -> str:
    for candidate in (record.event_name, record.attributes.get("event.name"), record.body):
        if isinstance(candidate, str) and candidate.startswith(
            ("copilot_chat.", "github.copilot.", "gen_ai.")
        ):
            return candidate
    return as_str(record.event_name) or as_str(record.attributes.get("event.name")) or ""


def map_log(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
    """Copilot log events: session start, tool calls; the rest `session.activity`."""
    attrs = record.attributes
    name = _event_name(record)
    session_id = genai.session_of(attrs, record.scope.resource)
    common: dict[str, Any] = {
        "harness": harness,
        "version": _version(record.scope.resource),
        "event_name": name,
        "session_id": session_id,
    }
    short = name.split(".", 1)[1] if name.startswith("copilot_chat.") else name
    if short == "session.start":
        return [
            log_event(record, Action.SESSION_STARTED, message="Copilot session started", **common)
        ]
    if short == "tool.call":
        tool = (
            as_str(attrs.get("gen_ai.tool.name") or attrs.get("tool.name") or attrs.get("name"))
            or "unknown"
        )
        call = ToolCall(
            name=tool,
            arguments=json_object(
                attrs.get("gen_ai.tool.call.arguments") or attrs.get("arguments")
            ),
            call_id=as_str(attrs.get("gen_ai.tool.call.id") or attrs.get("call_id")),
            success=as_bool(attrs.get("success")),
            duration_ms=as_int(attrs.get("duration_ms") or attrs.get("duration")),
            error=as_str(attrs.get("error") or attrs.get("error.message")),
        )
        action, fields, severity = classify(call)
        return [
            log_event(
                record,
                action,
                severity=severity,
                message=f"Tool {tool} finished",
                **common,
                **fields,
            )
        ]
    if name:
        return [log_event(record, Action.SESSION_ACTIVITY, message=name, **common)]
    body = record.body if isinstance(record.body, str) else None
    return [log_event(record, Action.TELEMETRY_UNCLASSIFIED, message=body, **common)]


def map_span(span: Span, harness: str, ctx: MapContext) -> list[Event]:
    """GenAI spans: agent turns with a user request are prompts; tools, chats and hooks mapped."""
    attrs = span.attributes
    version = _version(span.scope.resource)
    session_id = genai.session_of(attrs, span.scope.resource)
    op = genai.operation_of(span)
    if op == "execute_tool":
        return [genai.tool_span(span, harness, version, session_id)]
    if op in ("chat", "generate_content", "text_completion"):
        return [genai.chat_span(span, harness, version, session_id)]
    if op == "invoke_agent":
        text = genai.user_text(attrs)
        agent = as_str(attrs.get("gen_ai.agent.name"))
        fields: dict[str, Any] = {"gen_ai": {"agent": {"name": agent}}} if agent else {}
        if text:
            fields["prompt"] = {"text": text}
            return [
                span_event(
                    span,
                    Action.PROMPT_SUBMITTED,
                    harness=harness,
                    version=version,
                    session_id=session_id,
                    message="User prompt submitted",
                    **fields,
                )
            ]
        return [
            span_event(
                span,
                Action.SESSION_ACTIVITY,
                harness=harness,
                version=version,
                session_id=session_id,
                **fields,
            )
        ]
    if op == "execute_hook":
        decision = str(attrs.get("github.copilot.hook.decision") or "").lower()
        if decision in ("deny", "denied", "block", "blocked"):
            return [
                span_event(
                    span,
                    Action.APPROVAL_DENIED,
                    harness=harness,
                    version=version,
                    session_id=session_id,
                    approval={"required": True, "decision": decision, "reason": "hook"},
                )
            ]
        if decision in ("allow", "allowed", "approve"):
            return [
                span_event(
                    span,
                    Action.APPROVAL_ALLOWED,
                    harness=harness,
                    version=version,
                    session_id=session_id,
                    approval={"required": True, "decision": decision, "reason": "hook"},
                )
            ]
        severity = Severity.LOW.value if span.status_code == 2 else None
        return [
            span_event(
                span,
                Action.HOOK_COMPLETED,
                harness=harness,
                version=version,
                session_id=session_id,
                severity=severity,
            )
        ]
    return [
        span_event(
            span, Action.SESSION_ACTIVITY, harness=harness, version=version, session_id=session_id
        )
    ]


def map_points(points: list[MetricPoint], harness: str, ctx: MapContext) -> list[Event]:
    """Token usage kept; Copilot's own metrics are runtime metrics."""
    version = _version(points[0].scope.resource) if points else None
    return genai.usage_points(
        points,
        harness,
        version,
        ctx,
        runtime_metrics=("copilot_chat.", "github.copilot.", "copilot."),
    )


RUNTIME = Runtime(
    name="copilot", detect=detect, map_log=map_log, map_span=map_span, map_points=map_points
)
