"""Claude Code hook payloads (command and HTTP hooks, same JSON) mapped to events.

Verified against Claude Code 2.1.197 recordings; other events follow the documented
stdin shapes. Tool events carry `tool_use_id`, which is the OTLP `tool_use_id` too, so a
`PostToolUse` and the OTLP `tool_result` of one call dedupe against each other.
Codex CLI's hooks use the same schema and reuse `map_claude_shaped`.
"""

from __future__ import annotations

from collections.abc import Callable

from beacon.runtimes.coerce import as_str
from beacon.runtimes.hooks.payload import (
    HookInput,
    assistant_output,
    base_event,
    output_text,
    text_block,
    tool_event,
)
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

HARNESS = "claude_code"

Handler = Callable[[HookInput, "dict[str, Any]", "dict[str, Any]"], "list[Event]"]


def common_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """Session id, working directory and model as `base_event` keywords."""
    return {
        "session_id": as_str(payload.get("session_id")),
        "cwd": as_str(payload.get("cwd")),
        "model": _model(payload.get("model")),
    }


def _model(value: Any) -> str | None:
    if isinstance(value, dict):  # SessionStart may send {"id": ..., "display_name": ...}
        return as_str(value.get("id")) or as_str(value.get("display_name"))
    return as_str(value)


def _session_started(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    source = as_str(p.get("source"))
    message = f"Session started ({source})" if source else "Session started"
    return [base_event(hook, Action.SESSION_STARTED, message=message, **c)]


def _session_ended(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    reason = as_str(p.get("reason"))
    message = f"Session ended ({reason})" if reason else "Session ended"
    return [base_event(hook, Action.SESSION_ENDED, message=message, **c)]


def _prompt(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    fields: dict[str, Any] = {}
    prompt = text_block(p.get("prompt")) or {}
    prompt_id = as_str(p.get("prompt_id"))
    if prompt_id:
        prompt["id"] = prompt_id  # OTLP's `prompt.id`: lets dedupe pair the two paths
    if prompt:
        fields["prompt"] = prompt
    return [
        base_event(hook, Action.PROMPT_SUBMITTED, message="User prompt submitted", **c, **fields)
    ]


def _tool(phase: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        error = as_str(p.get("error")) if phase == "failure" else None
        error_type = "interrupted" if p.get("is_interrupt") is True else None
        event = tool_event(
            hook,
            phase,
            c,
            name=as_str(p.get("tool_name")) or "unknown",
            arguments=p.get("tool_input"),
            call_id=as_str(p.get("tool_use_id")),
            output=output_text(p.get("tool_response")) if phase == "post" else None,
            error=error,
            error_type=error_type,
            duration_ms=p.get("duration_ms"),
        )
        return [event]

    return handler


def _approval(action: Action, decision: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        event = tool_event(
            hook,
            "pre",
            c,
            name=as_str(p.get("tool_name")) or "unknown",
            arguments=p.get("tool_input"),
            call_id=as_str(p.get("tool_use_id")),
        )
        event["event"]["action"] = action.value
        event["event"]["category"] = "approval"
        approval: dict[str, Any] = {"required": True, "decision": decision}
        reason = as_str(p.get("reason"))
        if reason:
            approval["reason"] = reason
        event["approval"] = approval
        if action is Action.APPROVAL_DENIED:
            event["severity"] = Severity.HIGH.value
        event["message"] = f"Tool {event['tool']['name']}: permission {decision}"
        return [event]

    return handler


def _batch(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    calls = [call for call in p.get("tool_calls") or [] if isinstance(call, dict)]
    summary = []
    for call in calls:
        item: dict[str, Any] = {"name": as_str(call.get("tool_name")) or "unknown"}
        call_id = as_str(call.get("tool_use_id"))
        if call_id:
            item["call"] = {"id": call_id}
        summary.append(item)
    return [
        base_event(
            hook,
            Action.TOOL_BATCH_COMPLETED,
            message=f"{len(calls)} tool call(s) completed",
            gen_ai={"tool": {"calls": summary}},
            **c,
        )
    ]


def _notification(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    message = as_str(p.get("message")) or as_str(p.get("title")) or "Notification"
    return [base_event(hook, Action.AGENT_NOTIFICATION, message=message, **c)]


def _stop(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    output = assistant_output(p.get("last_assistant_message"))
    return [
        base_event(hook, Action.TOOL_COMPLETED, message="Agent response completed", **c, **output)
    ]


def _stop_failure(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    error: dict[str, Any] = {"type": as_str(p.get("error")) or "unknown"}
    details = as_str(p.get("error_details"))
    if details:
        error["message"] = details
    return [
        base_event(
            hook,
            Action.MODEL_ERROR,
            severity=Severity.MEDIUM.value,
            message=f"Turn failed: {error['type']}",
            error=error,
            **c,
        )
    ]


def _subagent(action: Action) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        agent: dict[str, Any] = {}
        agent_id, agent_type = as_str(p.get("agent_id")), as_str(p.get("agent_type"))
        if agent_id:
            agent["id"] = agent_id
        if agent_type:
            agent["name"] = agent_type
        verb = "started" if action is Action.SUBAGENT_STARTED else "stopped"
        gen_ai: dict[str, Any] = {"agent": agent}
        gen_ai.update(assistant_output(p.get("last_assistant_message")).get("gen_ai", {}))
        message = f"Subagent {agent_type or agent_id or ''} {verb}".replace("  ", " ")
        return [base_event(hook, action, message=message, gen_ai=gen_ai, **c)]

    return handler


def _compact(action: Action, message: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        trigger = as_str(p.get("trigger"))
        return [
            base_event(hook, action, message=f"{message} ({trigger})" if trigger else message, **c)
        ]

    return handler


EVENTS: dict[str, Handler] = {
    "SessionStart": _session_started,
    "SessionEnd": _session_ended,
    "UserPromptSubmit": _prompt,
    "PreToolUse": _tool("pre"),
    "PostToolUse": _tool("post"),
    "PostToolUseFailure": _tool("failure"),
    "PermissionRequest": _approval(Action.APPROVAL_REQUESTED, "requested"),
    "PermissionDenied": _approval(Action.APPROVAL_DENIED, "deny"),
    "PostToolBatch": _batch,
    "Notification": _notification,
    "Stop": _stop,
    "StopFailure": _stop_failure,
    "SubagentStart": _subagent(Action.SUBAGENT_STARTED),
    "SubagentStop": _subagent(Action.SUBAGENT_STOPPED),
    "PreCompact": _compact(Action.SESSION_COMPACTING, "Compacting conversation"),
    "PostCompact": _compact(Action.SESSION_COMPACTED, "Conversation compacted"),
}
"""Known events; any other event (Setup, CwdChanged, ...) becomes `session.event`."""


def map_claude_shaped(
    hook: HookInput, events: dict[str, Handler], common: dict[str, Any]
) -> list[Event]:
    """Dispatch a Claude-schema payload by event name; unknown names keep their data."""
    payload: dict[str, Any] = hook.payload
    handler = events.get(hook.event_name)
    if handler is not None:
        return handler(hook, payload, common)
    message = f"Hook {hook.event_name}" if hook.event_name else "Hook event"
    return [base_event(hook, Action.SESSION_EVENT, message=message, **common)]


def map_hook(hook: HookInput) -> list[Event]:
    """One Claude Code hook payload as events."""
    return map_claude_shaped(hook, EVENTS, common_fields(hook.payload))
