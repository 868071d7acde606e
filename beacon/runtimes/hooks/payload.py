"""One hook invocation as data, and the event builders every runtime's hook mapper shares.

Tool calls go through `beacon.runtimes.tool_calls.classify`, the classification the OTLP
mappers use, so a tool call gets the same action and fields whichever path reported it
(which is what lets cross-path dedupe match them). The whole payload is kept under `raw`.
Stdlib + `beacon.schema` + `beacon.runtimes.tool_calls` only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from beacon.runtimes.coerce import as_int, as_str
from beacon.runtimes.tool_calls import ToolCall, classify, exit_code_from, split_mcp_name
from beacon.schema.actions import Action, Severity
from beacon.schema.event import Event, new_event, now_timestamp, parse_timestamp

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

SOURCE_COMMAND = "hook.command"
SOURCE_HTTP = "hook.http"
_TIMESTAMP_LENGTH = len("2026-01-01T00:00:00.000Z")


class HookInput:
    """A received hook: harness, event name, decoded payload (or why it is not decodable)."""

    __slots__ = ("error", "event_name", "harness", "payload", "source", "text", "timestamp")

    def __init__(
        self,
        harness: str,
        payload: Any,
        *,
        event_name: str = "",
        source: str = SOURCE_COMMAND,
        timestamp: str | None = None,
        error: str | None = None,
        text: str | None = None,
    ) -> None:
        self.harness = harness
        self.payload = payload
        self.event_name = event_name
        self.source = source
        self.timestamp = timestamp
        self.error = error
        self.text = text


def _finite_float(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def decode_payload(data: bytes) -> tuple[Any, str | None]:
    """The JSON value of a hook body, or (None, why). Never raises.

    Non-finite numbers stay strings and lone surrogates become `?`, so every decoded
    payload serializes back to valid UTF-8 JSON.
    """
    try:
        text = data.decode("utf-8", "replace")
        value = json.loads(text, parse_float=_finite_float, parse_constant=str)
    except (ValueError, RecursionError) as exc:
        return None, f"invalid JSON: {exc}"[:200]
    if "\\u" in text:  # only escapes can produce lone surrogates
        cleaned = json.dumps(value, ensure_ascii=False).encode("utf-8", "replace")
        value = json.loads(cleaned)
    return value, None


def hook_input(
    harness: str,
    data: bytes,
    *,
    event_hint: str = "",
    source: str = SOURCE_COMMAND,
    timestamp: str | None = None,
    loads: Callable[[bytes], Any] | None = None,
) -> HookInput:
    """Decode a raw hook body; the event name comes from the payload, else from the hint.

    `loads` is a faster strict decoder to try first (the collector passes orjson's); a body
    it refuses (big integers, non-finite numbers, lone surrogates, bad JSON) goes to the
    tolerant stdlib decoder, so the result is the same either way.
    """
    payload: Any = None
    error: str | None = "undecoded"
    if loads is not None:
        try:
            payload, error = loads(data), None
        except Exception:  # refused by the strict decoder: the tolerant one decides
            error = "undecoded"
    if error is not None:
        payload, error = decode_payload(data)
    name = ""
    if isinstance(payload, dict):
        name = as_str(payload.get("hook_event_name")) or as_str(payload.get("type")) or ""
    text = data[:4096].decode("utf-8", "replace") if error else None
    return HookInput(
        harness,
        payload,
        event_name=name or event_hint,
        source=source,
        timestamp=timestamp,
        error=error,
        text=text,
    )


def _timestamp(hook: HookInput) -> str:
    """The runtime's own time (Gemini sends one), else when the hook ran, else now."""
    value = hook.payload.get("timestamp") if isinstance(hook.payload, dict) else None
    if isinstance(value, str) and value:
        if len(value) == _TIMESTAMP_LENGTH and value.endswith("Z") and value[19] == ".":
            return value
        try:
            moment = parse_timestamp(value)
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        except ValueError:
            pass
    return hook.timestamp or now_timestamp()


def base_event(
    hook: HookInput,
    action: Action,
    *,
    session_id: str | None = None,
    cwd: str | None = None,
    version: str | None = None,
    model: str | None = None,
    severity: str | None = None,
    message: str | None = None,
    **fields: Any,
) -> Event:
    """An event for this hook: source, time, session, working directory, raw payload."""
    event = new_event(
        action,
        harness=hook.harness,
        timestamp=_timestamp(hook),
        severity=severity,
        message=message,
        **fields,
    )
    event["event"]["source"] = hook.source
    if version:
        event["harness"]["version"] = version
    session: dict[str, Any] = {}
    if session_id:
        session["id"] = session_id
    if cwd:
        session["working_directory"] = cwd
        event["repository"] = cwd
    if session:
        event["session"] = session
    if model:
        event["model"] = model
    event["raw"] = {"hook_event": hook.event_name, "payload": hook.payload}
    return event


def unclassified(hook: HookInput, reason: str) -> Event:
    """A payload Beacon cannot map (bad JSON, unknown platform): kept, flagged, low severity."""
    event = new_event(
        Action.TELEMETRY_UNCLASSIFIED,
        harness=hook.harness or "unknown",
        timestamp=hook.timestamp or now_timestamp(),
        severity=Severity.LOW.value,
        message=f"Hook payload not mapped: {reason}"[:300],
    )
    event["event"]["source"] = hook.source
    raw: dict[str, Any] = {"hook_event": hook.event_name, "error": reason}
    if hook.payload is not None:
        raw["payload"] = hook.payload
    elif hook.text is not None:
        raw["payload_text"] = hook.text
    event["raw"] = raw
    return event


def diff_of(arguments: dict[str, Any]) -> str | None:
    """The change a file tool makes: new content, old/new pairs as `-`/`+` lines, or a patch."""
    content = arguments.get("content")
    if isinstance(content, str):
        return content
    for key in ("patch", "input", "diff"):
        patch = arguments.get(key)
        if isinstance(patch, str) and patch:
            return patch
    edits = arguments.get("edits")
    pairs = edits if isinstance(edits, list) else [arguments]
    parts: list[str] = []
    for edit in pairs:
        if not isinstance(edit, dict):
            continue
        old, new = edit.get("old_string"), edit.get("new_string")
        if isinstance(old, str) or isinstance(new, str):
            parts.append(_prefixed("-", old) + _prefixed("+", new))
    return "".join(parts) or None


def _prefixed(mark: str, text: Any) -> str:
    if not isinstance(text, str) or not text:
        return ""
    return "".join(f"{mark}{line}\n" for line in text.splitlines())


def output_text(response: Any) -> str | None:
    """A tool's output as text: a string as is, Bash-style stdout/stderr, or known keys."""
    if isinstance(response, str):
        return response or None
    if isinstance(response, dict):
        stdout, stderr = as_str(response.get("stdout")), as_str(response.get("stderr"))
        if stdout is not None or stderr is not None:
            return "\n".join(p for p in (stdout, stderr) if p) or None
        for key in ("output", "returnDisplay", "llmContent", "result", "content", "text"):
            value = response.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def tool_event(
    hook: HookInput,
    phase: str,
    common: dict[str, Any],
    *,
    name: str,
    arguments: Any,
    call_id: str | None = None,
    output: str | None = None,
    error: str | None = None,
    error_type: str | None = None,
    duration_ms: Any = None,
    exit_code: Any = None,
    mcp_server: str | None = None,
    mcp_tool: str | None = None,
    command: str | None = None,
) -> Event:
    """A tool call event: `pre` is `tool.invoked`; `post`/`failure` take the OTLP action.

    `common` holds `base_event` keywords (session, cwd, version, model).
    """
    args = arguments if isinstance(arguments, dict) else {}
    failed = phase == "failure"
    call = ToolCall(
        name=name or "unknown",
        arguments=args,
        call_id=call_id,
        success=False if failed else (True if phase == "post" else None),
        duration_ms=as_int(duration_ms),
        error=error,
        error_type=error_type,
        mcp_server=mcp_server,
        mcp_tool=mcp_tool,
        command=command,
    )
    action, fields, severity = classify(call)
    if action is not Action.MCP_TOOL_INVOKED and (mcp_tool or mcp_server):
        action, fields = _as_mcp(fields, mcp_server, mcp_tool or name)
    gen_ai_tool = fields["gen_ai"]["tool"]
    if args:
        gen_ai_tool.setdefault("call", {})["arguments"] = args
    command_block = fields.get("command")
    if command_block is not None and phase != "pre":
        code = as_int(exit_code)
        if code is None and failed:
            code = exit_code_from(error)
        if code is not None:
            command_block["exit_code"] = code
            if code != 0 and severity is None:
                severity = Severity.LOW.value
        if output:
            command_block["output"] = output
    elif output and phase != "pre":
        gen_ai_tool.setdefault("call", {})["result"] = output
    if failed:
        tool = fields["tool"]
        if error:
            tool["error"] = error
        if error_type:
            tool["failure_type"] = error_type
    file_block = fields.get("file")
    if file_block is not None and file_block.get("operation") != "read" and phase != "pre":
        diff = diff_of(args)
        if diff is not None:
            data = diff.encode("utf-8", "replace")
            import hashlib  # here: only file edits pay for loading OpenSSL

            file_block["diff_hash"] = hashlib.sha256(data).hexdigest()
            file_block["diff_bytes"] = len(data)
            file_block["diff"] = diff
    if phase == "pre":
        action, severity = Action.TOOL_INVOKED, None
    verb = {"pre": "requested", "post": "finished", "failure": "failed"}[phase]
    return base_event(
        hook, action, severity=severity, message=f"Tool {call.name} {verb}", **common, **fields
    )


def _as_mcp(
    fields: dict[str, Any], server: str | None, tool: str | None
) -> tuple[Action, dict[str, Any]]:
    """Runtimes that name MCP tools without `mcp__server__` still get the `mcp` block."""
    fields.pop("command", None)
    fields.pop("file", None)
    block: dict[str, Any] = {}
    if server:
        block["server"] = server
    if tool:
        split = split_mcp_name(tool)
        block["tool"] = split[1] if split else tool
    fields["mcp"] = block
    return Action.MCP_TOOL_INVOKED, fields


def text_block(text: Any) -> dict[str, Any] | None:
    """`{"text": ...}` for a non-empty string."""
    value = as_str(text)
    return {"text": value} if value else None


def assistant_output(text: Any) -> dict[str, Any]:
    """`gen_ai.output.messages` holding one assistant message (empty when there is none)."""
    value = as_str(text)
    if not value:
        return {}
    return {"gen_ai": {"output": {"messages": [{"role": "assistant", "content": value}]}}}
