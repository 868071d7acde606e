"""Claude Code: recognise its OTLP telemetry and map logs, spans and metrics to events.

Verified against Claude Code 2.1.197 recordings: the event name is the body
(`claude_code.<name>`) and the bare `event.name` attribute; many numbers and booleans
arrive as strings; `tool_parameters`/`tool_input` are JSON strings (only with
`OTEL_LOG_TOOL_DETAILS=1`); prompts read `<REDACTED>` without `OTEL_LOG_USER_PROMPTS=1`.
Logs are authoritative; spans (beta) become `session.activity` for trace correlation.
"""

from __future__ import annotations

from typing import Any

from beacon.runtimes.coerce import as_bool, as_int, as_str, json_object
from beacon.runtimes.context import MapContext
from beacon.runtimes.otel_events import (
    LogBase,
    LogHandler,
    dispatch_log,
    log_base,
    model_fields,
    simple_log,
    span_event,
    usage_block,
    usage_point_event,
)
from beacon.runtimes.records import Attributes, LogRecord, MetricPoint, Span
from beacon.runtimes.runtime import Runtime
from beacon.runtimes.tool_calls import ToolCall, classify, command_text, split_mcp_name
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event

HARNESS = "claude_code"
PREFIX = "claude_code."
REDACTED = "<REDACTED>"
SERVICE_NAMES = frozenset({"claude-code", "claude-code-desktop", "claude_code"})
SCOPE_PREFIX = "com.anthropic.claude_code"


def detect(resource: Attributes, scope_name: str) -> str | None:
    """`claude_code` for `service.name` claude-code(-desktop) or the Anthropic scopes."""
    service = str(resource.get("service.name") or "").lower()
    if service in SERVICE_NAMES or scope_name.startswith(SCOPE_PREFIX):
        return HARNESS
    return None


def event_name_of(record: LogRecord) -> str:
    """The short event name (`tool_result`) from eventName, body or `event.name`."""
    body = record.body
    if not record.event_name and isinstance(body, str) and body.startswith(PREFIX):
        return body[len(PREFIX) :]  # how Claude Code sends it: the loop below, short-cut
    for candidate in (record.event_name, body, record.attributes.get("event.name")):
        if isinstance(candidate, str) and candidate:
            if candidate.startswith(PREFIX):
                return candidate[len(PREFIX) :]
            if candidate.isidentifier():
                return candidate
    return ""


def _text(value: Any) -> str | None:
    text = as_str(value)
    return None if text == REDACTED else text


def _decision_action(decision: str) -> Action:
    if decision in ("accept", "approve", "approved", "allow", "allowed"):
        return Action.APPROVAL_ALLOWED
    if decision in ("reject", "rejected", "deny", "denied"):
        return Action.APPROVAL_DENIED
    return Action.APPROVAL_REQUESTED


def _call_id(attrs: Attributes) -> dict[str, Any]:
    call_id = as_str(attrs.get("tool_use_id"))
    tool = as_str(attrs.get("tool_name"))
    block: dict[str, Any] = {}
    if tool:
        block["name"] = tool
    if call_id:
        block["call"] = {"id": call_id}
    return {"tool": block} if block else {}


def _shell_command(params: dict[str, Any] | None, tool_input: dict[str, Any] | None) -> str | None:
    for source, key in (
        (tool_input, "command"),
        (params, "full_command"),
        (params, "bash_command"),
    ):
        if source:
            text = command_text(source.get(key))
            if text:
                return text
    return None


def _user_prompt(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    fields: dict[str, Any] = {}
    text = _text(attrs.get("prompt"))
    prompt: dict[str, Any] = {} if text is None else {"text": text}
    prompt_id = _text(attrs.get("prompt.id"))
    if prompt_id:
        prompt["id"] = prompt_id  # the hook payload's `prompt_id`: lets dedupe pair them
    if prompt:
        fields["prompt"] = prompt
    return [base(Action.PROMPT_SUBMITTED, message="User prompt submitted", **fields)]


def _tool_decision(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    decision = str(attrs.get("decision") or "").lower()
    source = as_str(attrs.get("source"))
    action = _decision_action(decision)
    approval: dict[str, Any] = {"required": bool(source and source.startswith("user"))}
    if decision:
        approval["decision"] = decision
    if source:
        approval["reason"] = source
    name = as_str(attrs.get("tool_name")) or "unknown"
    tool: dict[str, Any] = {"name": name}
    fields: dict[str, Any] = {"approval": approval, "tool": tool, "gen_ai": _call_id(attrs)}
    params = json_object(attrs.get("tool_parameters"))
    command = _shell_command(params, None)
    if command:
        tool["command"] = command
        fields["command"] = {"command": command}
    if params:
        path = as_str(params.get("file_path") or params.get("notebook_path"))
        if path:
            tool["path"] = path
    mcp = split_mcp_name(name)
    if mcp:
        fields["mcp"] = {"server": mcp[0], "tool": mcp[1]}
    return [base(action, message=f"Tool {name}: {decision or 'decision'}", **fields)]


def _tool_result(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    params = json_object(attrs.get("tool_parameters"))
    tool_input = json_object(attrs.get("tool_input"))
    name = as_str(attrs.get("tool_name")) or "unknown"
    arguments = dict(params or {})
    arguments.update(tool_input or {})
    call = ToolCall(
        name=name,
        arguments=arguments,
        call_id=as_str(attrs.get("tool_use_id")),
        success=as_bool(attrs.get("success")),
        duration_ms=as_int(attrs.get("duration_ms")),
        error=_text(attrs.get("error")),
        error_type=as_str(attrs.get("error_type")),
        mcp_server=as_str((params or {}).get("mcp_server_name")),
        mcp_tool=as_str((params or {}).get("mcp_tool_name")),
    )
    if name.lower() in ("bash", "powershell", "pwsh"):
        call.command = _shell_command(params, tool_input)
    action, fields, severity = classify(call)
    decision = as_str(attrs.get("decision_source"))
    if decision:
        fields["approval"] = {
            "decision": str(attrs.get("decision_type") or "accept"),
            "reason": decision,
        }
    return [base(action, severity=severity, message=f"Tool {name} finished", **fields)]


def _api_request(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    model = as_str(attrs.get("model"))
    usage = usage_block(
        input_tokens=attrs.get("input_tokens"),
        output_tokens=attrs.get("output_tokens"),
        cache_read__input_tokens=attrs.get("cache_read_tokens"),
        cache_creation__input_tokens=attrs.get("cache_creation_tokens"),
        cost_usd=attrs.get("cost_usd"),
    )
    fields = model_fields({"usage": usage}, model)
    return [base(Action.MODEL_REQUEST, message=f"API request to {model or 'model'}", **fields)]


def _api_error(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    model = as_str(attrs.get("model"))
    status = as_str(attrs.get("status_code"))
    error: dict[str, Any] = {"type": f"http_{status}" if status else "api_error"}
    message = as_str(attrs.get("error"))
    if message:
        error["message"] = message
    fields: dict[str, Any] = {"error": error}
    if model:
        fields["model"] = model
        fields["gen_ai"] = {"request": {"model": model}}
    if status:
        fields["rpc"] = {"response.status_code": status}
    return [
        base(
            Action.MODEL_ERROR,
            severity=Severity.MEDIUM.value,
            message=message or "API error",
            **fields,
        )
    ]


def _api_refusal(record: LogRecord, base: LogBase) -> list[Event]:
    model = as_str(record.attributes.get("model"))
    fields: dict[str, Any] = {"model": model} if model else {}
    return [
        base(Action.MODEL_REFUSAL, severity=Severity.LOW.value, message="API refusal", **fields)
    ]


def _assistant_response(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    fields: dict[str, Any] = {}
    model = as_str(attrs.get("model"))
    gen_ai: dict[str, Any] = {}
    if model:
        fields["model"] = model
        gen_ai["response"] = {"model": model}
    text = _text(attrs.get("response"))
    if text is not None:
        gen_ai["output"] = {"messages": [{"role": "assistant", "content": text}]}
    if gen_ai:
        fields["gen_ai"] = gen_ai
    return [base(Action.AGENT_RESPONSE, message="Assistant response", **fields)]


def _hook(action: Action, verb: str) -> LogHandler:
    def handler(record: LogRecord, base: LogBase) -> list[Event]:
        attrs = record.attributes
        hook = as_str(attrs.get("hook_name")) or as_str(attrs.get("hook_event")) or "hook"
        severity = None
        if action is Action.HOOK_COMPLETED and (as_int(attrs.get("num_blocking")) or 0) > 0:
            severity = Severity.LOW.value
        return [base(action, severity=severity, message=f"Hook {hook} {verb}")]

    return handler


def _compaction(record: LogRecord, base: LogBase) -> list[Event]:
    ok = as_bool(record.attributes.get("success")) is not False
    action = Action.SESSION_COMPACTED if ok else Action.SESSION_ERROR
    return [base(action, message="Conversation compacted" if ok else "Compaction failed")]


def _subagent(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    agent = as_str(attrs.get("agent_type")) or "subagent"
    fields: dict[str, Any] = {"gen_ai": {"agent": {"name": agent}}}
    model = as_str(attrs.get("final_model") or attrs.get("model"))
    if model:
        fields["model"] = model
    return [base(Action.SUBAGENT_STOPPED, message=f"Subagent {agent} completed", **fields)]


def _mcp_connection(record: LogRecord, base: LogBase) -> list[Event]:
    attrs = record.attributes
    status = as_str(attrs.get("status")) or "unknown"
    block: dict[str, Any] = {}
    server = as_str(attrs.get("server_name"))
    if server:
        block["server"] = server
    fields: dict[str, Any] = {"mcp": block} if block else {}
    transport = as_str(attrs.get("transport_type"))
    if transport:
        fields["network"] = {"transport": transport.lower()}
    severity = Severity.LOW.value if status == "failed" else None
    return [
        base(Action.MCP_CONNECTION, severity=severity, message=f"MCP server {status}", **fields)
    ]


LOG_EVENTS: dict[str, LogHandler] = {
    "user_prompt": _user_prompt,
    "tool_decision": _tool_decision,
    "tool_result": _tool_result,
    "api_request": _api_request,
    "api_error": _api_error,
    "api_retries_exhausted": _api_error,
    "api_refusal": _api_refusal,
    "assistant_response": _assistant_response,
    "hook_registered": _hook(Action.HOOK_REGISTERED, "registered"),
    "hook_execution_start": _hook(Action.HOOK_STARTED, "started"),
    "hook_execution_complete": _hook(Action.HOOK_COMPLETED, "completed"),
    "compaction": _compaction,
    "subagent_completed": _subagent,
    "mcp_server_connection": _mcp_connection,
    "permission_mode_changed": simple_log(Action.SESSION_STATUS, "Permission mode changed"),
    "internal_error": simple_log(Action.SESSION_ERROR, "Internal error"),
}
"""Known events; every other `claude_code.*` name becomes `session.activity`."""


def map_log(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
    """One Claude Code log record as events (see LOG_EVENTS)."""
    name = event_name_of(record)
    resource = record.scope.resource
    session_id = as_str(record.attributes.get("session.id")) or as_str(resource.get("session.id"))
    base = log_base(
        record,
        harness,
        as_str(resource.get("service.version")),
        PREFIX + name if name else "",
        session_id,
    )
    handler = LOG_EVENTS.get(name)
    if handler is not None:
        return handler(record, base)
    return dispatch_log(record, base, LOG_EVENTS, name)


def map_span(span: Span, harness: str, ctx: MapContext) -> list[Event]:
    """Claude Code spans duplicate the logs, so they stay `session.activity` with trace ids."""
    attrs = span.attributes
    fields: dict[str, Any] = {}
    gen_ai = _call_id(attrs)
    model = as_str(attrs.get("gen_ai.request.model") or attrs.get("model"))
    if model:
        fields["model"] = model
    if gen_ai:
        fields["gen_ai"] = gen_ai
    return [
        span_event(
            span,
            Action.SESSION_ACTIVITY,
            harness=harness,
            version=as_str(span.scope.resource.get("service.version")),
            session_id=as_str(attrs.get("session.id")),
            **fields,
        )
    ]


def map_points(points: list[MetricPoint], harness: str, ctx: MapContext) -> list[Event]:
    """Token and cost counters per data point; other metrics as `metric.observed`."""
    events: list[Event] = []
    for point in points:
        attrs = point.attributes
        is_token = point.name.endswith(".token.usage")
        events.append(
            usage_point_event(
                point,
                harness=harness,
                version=as_str(point.scope.resource.get("service.version")),
                session_id=as_str(attrs.get("session.id")),
                model=as_str(attrs.get("model")),
                amount=ctx.delta(point),
                token_type=(as_str(attrs.get("type")) or "unknown") if is_token else None,
                cost=point.name.endswith(".cost.usage"),
                observed_delta=False,  # Claude Code's metric.observed never carried metric_delta
            )
        )
    return events


RUNTIME = Runtime(
    name=HARNESS, detect=detect, map_log=map_log, map_span=map_span, map_points=map_points
)
