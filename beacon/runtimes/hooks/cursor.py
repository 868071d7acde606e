"""Cursor hook payloads (`hooks.json` 1.x and 2.x events) mapped to events.

Cursor reports agent activity only through hooks. No recording exists yet: shapes follow
Cursor's hook docs (`reference/runtimes.md` §4); the session is `conversation_id`, the
working directory `cwd` or the first workspace root. Cursor also runs Claude Code's hooks
(with `cursor_version` in the payload): those are attributed to `cursor`, and skipped when
Beacon's own Cursor hooks are installed, so one action is counted once.
"""

from __future__ import annotations

import os

from beacon.runtimes.coerce import as_str, json_object
from beacon.runtimes.hooks import claude_code
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

HARNESS = "cursor"
_CURSOR_KEYS = ("cursor_version", "workspace_roots")
Handler = claude_code.Handler


def is_cursor_payload(payload: Any) -> bool:
    """Whether a payload came from Cursor (even when sent to another platform's hook)."""
    if not isinstance(payload, dict):
        return False
    if any(key in payload for key in _CURSOR_KEYS):
        return True
    return "conversation_id" in payload and "generation_id" in payload


def common_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """Session (conversation), working directory, Cursor version and model."""
    roots = payload.get("workspace_roots")
    root = as_str(roots[0]) if isinstance(roots, list) and roots else None
    return {
        "session_id": as_str(payload.get("conversation_id")) or as_str(payload.get("session_id")),
        "cwd": as_str(payload.get("cwd")) or root,
        "version": as_str(payload.get("cursor_version")),
        "model": as_str(payload.get("model")),
    }


def _shell(phase: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        command = as_str(p.get("command"))
        return [
            tool_event(
                hook,
                phase,
                c,
                name="Shell",
                arguments={"command": command} if command else {},
                call_id=as_str(p.get("tool_use_id")),
                command=command,
                output=as_str(p.get("output")),
                duration_ms=p.get("duration"),
                exit_code=p.get("exit_code"),
            )
        ]

    return handler


def _mcp(phase: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        name = as_str(p.get("tool_name")) or "unknown"
        server = as_str(p.get("server")) or as_str(p.get("url")) or as_str(p.get("command"))
        return [
            tool_event(
                hook,
                phase,
                c,
                name=name,
                arguments=json_object(p.get("tool_input")) or {},
                call_id=as_str(p.get("tool_use_id")),
                output=as_str(p.get("result_json")),
                duration_ms=p.get("duration"),
                mcp_server=server,
                mcp_tool=name.removeprefix("MCP:"),
            )
        ]

    return handler


def _file(tool: str, edits_key: str | None) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        arguments: dict[str, Any] = {"file_path": as_str(p.get("file_path"))}
        edits = p.get("edits")
        if edits_key and isinstance(edits, list):
            arguments["edits"] = [_edit(e) for e in edits if isinstance(e, dict)]
        return [tool_event(hook, "post", c, name=tool, arguments=arguments)]

    return handler


def _edit(edit: dict[str, Any]) -> dict[str, Any]:
    """Tab edits name their sides `old_line`/`new_line`; agent edits `old_string`/`new_string`."""
    return {
        "old_string": edit.get("old_string", edit.get("old_line")),
        "new_string": edit.get("new_string", edit.get("new_line")),
    }


def _tool(phase: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        name = as_str(p.get("tool_name")) or "unknown"
        arguments = p.get("tool_input")
        if not isinstance(arguments, dict):
            arguments = json_object(arguments) or {}
        is_mcp = name.startswith("MCP:")
        response = p.get("tool_output", p.get("tool_response"))
        return [
            tool_event(
                hook,
                phase,
                c,
                name=name,
                arguments=arguments,
                call_id=as_str(p.get("tool_use_id")),
                output=output_text(response) if phase == "post" else None,
                error=as_str(p.get("error_message")) or as_str(p.get("error")),
                error_type=as_str(p.get("failure_type")),
                duration_ms=p.get("duration"),
                mcp_tool=name.removeprefix("MCP:") if is_mcp else None,
            )
        ]

    return handler


def _stop(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    status = as_str(p.get("status")) or "completed"
    severity = Severity.LOW.value if status == "error" else None
    return [
        base_event(
            hook,
            Action.TOOL_COMPLETED,
            severity=severity,
            message=f"Agent response completed ({status})",
            **c,
        )
    ]


def _subagent(action: Action) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        agent = {
            k: v
            for k, v in (
                ("id", as_str(p.get("subagent_id"))),
                ("name", as_str(p.get("subagent_type"))),
            )
            if v
        }
        verb = "started" if action is Action.SUBAGENT_STARTED else "stopped"
        fields: dict[str, Any] = {"gen_ai": {"agent": agent}}
        status = as_str(p.get("final_status"))
        message = f"Subagent {agent.get('name', '')} {verb}".replace("  ", " ")
        if status:
            message += f" ({status})"
        return [base_event(hook, action, message=message, **c, **fields)]

    return handler


def _thought(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    text = as_str(p.get("text"))
    fields: dict[str, Any] = {}
    if text:
        part = {"type": "reasoning", "content": text}
        fields["gen_ai"] = {"output": {"messages": [{"role": "assistant", "parts": [part]}]}}
    return [base_event(hook, Action.AGENT_REASONING, message="Agent reasoning", **c, **fields)]


def _response(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    output = assistant_output(p.get("text"))
    return [base_event(hook, Action.AGENT_RESPONSE, message="Agent response", **c, **output)]


def _prompt(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    prompt = text_block(p.get("prompt"))
    fields: dict[str, Any] = {"prompt": prompt} if prompt else {}
    return [
        base_event(hook, Action.PROMPT_SUBMITTED, message="User prompt submitted", **c, **fields)
    ]


def _simple(action: Action, message: str) -> Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        return [base_event(hook, action, message=message, **c)]

    return handler


EVENTS: dict[str, Handler] = {
    "sessionStart": _simple(Action.SESSION_STARTED, "Session started"),
    "sessionEnd": _simple(Action.SESSION_ENDED, "Session ended"),
    "beforeSubmitPrompt": _prompt,
    "beforeShellExecution": _shell("pre"),
    "afterShellExecution": _shell("post"),
    "beforeMCPExecution": _mcp("pre"),
    "afterMCPExecution": _mcp("post"),
    "beforeReadFile": _file("Read", None),
    "beforeTabFileRead": _file("Read", None),
    "afterFileEdit": _file("Edit", "edits"),
    "afterTabFileEdit": _file("Edit", "edits"),
    "preToolUse": _tool("pre"),
    "postToolUse": _tool("post"),
    "postToolUseFailure": _tool("failure"),
    "subagentStart": _subagent(Action.SUBAGENT_STARTED),
    "subagentStop": _subagent(Action.SUBAGENT_STOPPED),
    "afterAgentThought": _thought,
    "afterAgentResponse": _response,
    "preCompact": _simple(Action.SESSION_COMPACTING, "Compacting conversation"),
    "stop": _stop,
}


def map_hook(hook: HookInput) -> list[Event]:
    """One Cursor hook payload as events."""
    return claude_code.map_claude_shaped(hook, EVENTS, common_fields(hook.payload))


def map_claude_compat(hook: HookInput) -> list[Event]:
    """A Cursor payload sent through Claude Code's hook config: Cursor's, counted once."""
    hook.harness = HARNESS
    payload: dict[str, Any] = hook.payload
    if beacon_cursor_hooks_installed(payload):
        return []  # Cursor's own Beacon hooks report the same action
    if hook.event_name in EVENTS:
        return map_hook(hook)
    return claude_code.map_claude_shaped(hook, claude_code.EVENTS, common_fields(payload))


def beacon_cursor_hooks_installed(payload: dict[str, Any]) -> bool:
    """Whether a user or project `.cursor/hooks.json` runs `beacon-hooks --platform cursor`."""
    candidates = [os.path.join(os.path.expanduser("~"), ".cursor", "hooks.json")]
    roots = payload.get("workspace_roots")
    for root in roots if isinstance(roots, list) else []:
        if isinstance(root, str) and root:
            candidates.append(os.path.join(root, ".cursor", "hooks.json"))
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        if "beacon-hooks" in text and "cursor" in text:
            return True
    return False
