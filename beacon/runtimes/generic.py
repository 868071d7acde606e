"""The fallback for unknown OTLP senders: every record kept, harness from `service.name`.

Harness names are canonicalised as upstream does (`claude*` -> `claude_code`, `codex*` ->
`codex_cli`, ...; unknown names pass through). GenAI-semconv spans and usage metrics are
understood; everything else becomes `session.activity`, `trace.unclassified`,
`telemetry.unclassified` or `metric.observed` with its attributes in `raw`.
"""

from __future__ import annotations

import re
from typing import Any

from beacon.runtimes import genai
from beacon.runtimes.coerce import as_str
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import log_event, span_event
from beacon.runtimes.records import Attributes, LogRecord, MetricPoint, Span
from beacon.runtimes.runtime import Runtime
from beacon.schema.actions import Action
from beacon.schema.event import Event

UNKNOWN = "otel"
# Upstream NormalizeHarnessName: ordered substring rules, first match wins.
_RULES: tuple[tuple[str, str], ...] = (
    ("cowork", "claude_cowork"),
    ("claude agent sdk", "claude_agent_sdk"),
    ("claude_web", "claude_web"),
    ("claude.ai", "claude_web"),
    ("chatgpt", "chatgpt_web"),
    ("claude", "claude_code"),
    ("openclaw", "openclaw_gateway"),
    ("antigravity", "antigravity_cli"),
    ("codex", "codex_cli"),
    ("gemini", "gemini_cli"),
    ("vscode", "vscode_copilot"),
    ("copilot-chat", "vscode_copilot"),
    ("copilot", "copilot_cli"),
)
_EXACT = {
    **dict.fromkeys(
        ("pi", "pi.dev", "pi_cli", "pi-cli", "pi_agent", "pi-agent", "pi agent"), "pi_cli"
    ),
    **dict.fromkeys(("cline", "cline_cli", "cline-cli", "cline cli", "cline.bot"), "cline"),
}
_SAFE = re.compile(r"[^a-z0-9_.-]+")


def canonical_harness(name: str) -> str:
    """A harness name as upstream canonicalises it; unknown names pass through (cleaned)."""
    lowered = name.strip().lower()
    if not lowered:
        return UNKNOWN
    if lowered in _EXACT:
        return _EXACT[lowered]
    for needle, harness in _RULES:
        if needle in lowered:
            return harness
    return _SAFE.sub("_", lowered)[:64] or UNKNOWN


def detect(resource: Attributes, scope_name: str) -> str | None:
    """Accepts everything: the harness is the canonical `service.name`, else `otel`."""
    service = as_str(resource.get("service.name"))
    if not service or service.startswith("unknown_service"):
        return UNKNOWN
    return canonical_harness(service)


def _event_name(record: LogRecord) -> str:
    for candidate in (record.event_name, record.attributes.get("event.name")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return ""


def map_log(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
    """Named log events are `session.activity`; unnamed ones `telemetry.unclassified`."""
    attrs = record.attributes
    name = _event_name(record)
    body = record.body if isinstance(record.body, str) else None
    fields: dict[str, Any] = {}
    model = as_str(attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model"))
    if model:
        fields["model"] = model
    call_id = as_str(attrs.get("gen_ai.tool.call.id"))
    if call_id:
        fields["gen_ai"] = {"tool": {"call": {"id": call_id}}}
    action = Action.SESSION_ACTIVITY if name else Action.TELEMETRY_UNCLASSIFIED
    return [
        log_event(
            record,
            action,
            harness=harness,
            version=as_str(record.scope.resource.get("service.version")),
            event_name=name,
            session_id=genai.session_of(attrs, record.scope.resource),
            message=(body[:200] if body else None) or name or None,
            **fields,
        )
    ]


def map_span(span: Span, harness: str, ctx: MapContext) -> list[Event]:
    """GenAI tool and chat spans mapped; agent spans `session.activity`; others unclassified."""
    version = as_str(span.scope.resource.get("service.version"))
    session_id = genai.session_of(span.attributes, span.scope.resource)
    op = genai.operation_of(span)
    if op == "execute_tool":
        return [genai.tool_span(span, harness, version, session_id)]
    if op in ("chat", "generate_content", "text_completion"):
        return [genai.chat_span(span, harness, version, session_id)]
    action = (
        Action.SESSION_ACTIVITY
        if op in ("invoke_agent", "create_agent")
        else Action.TRACE_UNCLASSIFIED
    )
    return [span_event(span, action, harness=harness, version=version, session_id=session_id)]


def map_points(points: list[MetricPoint], harness: str, ctx: MapContext) -> list[Event]:
    """Usage metrics as `token.usage`/`cost.usage`; process/runtime metrics dropped by default."""
    version = as_str(points[0].scope.resource.get("service.version")) if points else None
    return genai.usage_points(points, harness, version, ctx)


RUNTIME = Runtime(
    name="generic", detect=detect, map_log=map_log, map_span=map_span, map_points=map_points
)
