"""Gemini CLI hook payloads (`settings.json` hooks) mapped to events.

Verified against Gemini CLI 0.61.0 recordings: every payload has `session_id`, `cwd` and a
`timestamp` (used as the event time); tool hooks carry no call id, so they cannot dedupe
against OTLP `tool_call` events; model hooks carry the whole `llm_request`/`llm_response`.
"""

from __future__ import annotations

from beacon.runtimes.coerce import as_int, as_str
from beacon.runtimes.hooks import claude_code
from beacon.runtimes.hooks.payload import (
    HookInput,
    assistant_output,
    base_event,
    output_text,
    tool_event,
)
from beacon.schema.actions import Action
from beacon.schema.event import Event

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

HARNESS = "gemini_cli"


def _tool(phase: str) -> claude_code.Handler:
    def handler(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
        response = p.get("tool_response")
        error = response.get("error") if isinstance(response, dict) else None
        failed = phase == "post" and error not in (None, "", {})
        message = error.get("message") if isinstance(error, dict) else error
        return [
            tool_event(
                hook,
                "failure" if failed else phase,
                c,
                name=as_str(p.get("tool_name")) or "unknown",
                arguments=p.get("tool_input"),
                call_id=as_str(p.get("tool_use_id") or p.get("call_id")),
                output=output_text(response) if phase == "post" else None,
                error=as_str(message) if failed else None,
            )
        ]

    return handler


def _model_name(p: dict[str, Any]) -> str | None:
    request = p.get("llm_request")
    return as_str(request.get("model")) if isinstance(request, dict) else None


def _before_model(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    model = _model_name(p)
    fields: dict[str, Any] = {"gen_ai": {"request": {"model": model}}} if model else {}
    message = f"Model request to {model}" if model else "Model request"
    return [
        base_event(hook, Action.MODEL_REQUEST, message=message, **{**c, "model": model}, **fields)
    ]


def _after_model(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    found = p.get("llm_response")
    response: dict[str, Any] = found if isinstance(found, dict) else {}
    fields = assistant_output(response.get("text"))
    gen_ai = fields.setdefault("gen_ai", {})
    usage = response.get("usageMetadata")
    if isinstance(usage, dict):
        tokens = {
            "input_tokens": as_int(usage.get("promptTokenCount")),
            "output_tokens": as_int(usage.get("candidatesTokenCount")),
        }
        gen_ai["usage"] = {k: v for k, v in tokens.items() if v is not None}
    reasons = [
        c.get("finishReason")
        for c in response.get("candidates") or []
        if isinstance(c, dict) and isinstance(c.get("finishReason"), str)
    ]
    model = _model_name(p)
    if reasons or model:
        gen_ai["response"] = {k: v for k, v in (("finish_reasons", reasons), ("model", model)) if v}
    if not gen_ai:
        fields.pop("gen_ai")
    return [
        base_event(
            hook, Action.AGENT_RESPONSE, message="Model response", **{**c, "model": model}, **fields
        )
    ]


def _prompt(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    return claude_code.EVENTS["UserPromptSubmit"](hook, p, c)


def _after_agent(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    output = assistant_output(p.get("prompt_response"))
    return [
        base_event(hook, Action.TOOL_COMPLETED, message="Agent response completed", **c, **output)
    ]


def _tool_selection(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    return [base_event(hook, Action.SESSION_ACTIVITY, message="Tool selection", **c)]


EVENTS: dict[str, claude_code.Handler] = {
    "SessionStart": claude_code.EVENTS["SessionStart"],
    "SessionEnd": claude_code.EVENTS["SessionEnd"],
    "BeforeAgent": _prompt,
    "AfterAgent": _after_agent,
    "BeforeModel": _before_model,
    "AfterModel": _after_model,
    "BeforeToolSelection": _tool_selection,
    "BeforeTool": _tool("pre"),
    "AfterTool": _tool("post"),
    "PreCompress": claude_code.EVENTS["PreCompact"],
    "Notification": claude_code.EVENTS["Notification"],
}


def map_hook(hook: HookInput) -> list[Event]:
    """One Gemini CLI hook payload as events."""
    return claude_code.map_claude_shaped(hook, EVENTS, claude_code.common_fields(hook.payload))
