"""Codex CLI hook payloads (`hooks.json`, Claude-compatible) and the `notify` program payload.

Verified against Codex 0.169.0 recordings: hooks send the Claude schema plus `turn_id` and
`model`; `tool_use_id` is the OTLP `call_id`, so hook and OTLP tool results dedupe. The
`notify` payload (`agent-turn-complete`, kebab-case keys) arrives as the program's last
argument and becomes `agent.response`.
"""

from __future__ import annotations

from beacon.runtimes.coerce import as_str
from beacon.runtimes.hooks import claude_code
from beacon.runtimes.hooks.payload import (
    HookInput,
    assistant_output,
    base_event,
    text_block,
)
from beacon.schema.actions import Action
from beacon.schema.event import Event

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

HARNESS = "codex_cli"
NOTIFY_TURN_COMPLETE = "agent-turn-complete"


def _turn_complete(hook: HookInput, p: dict[str, Any], c: dict[str, Any]) -> list[Event]:
    fields = assistant_output(p.get("last-assistant-message"))
    inputs = [m for m in p.get("input-messages") or [] if isinstance(m, str) and m]
    if inputs:
        fields.setdefault("gen_ai", {})["input"] = {
            "messages": [{"role": "user", "content": m} for m in inputs]
        }
    prompt = text_block(inputs[-1] if inputs else None)
    if prompt:
        fields["prompt"] = prompt
    return [base_event(hook, Action.AGENT_RESPONSE, message="Codex turn complete", **c, **fields)]


EVENTS: dict[str, claude_code.Handler] = {
    **claude_code.EVENTS,
    NOTIFY_TURN_COMPLETE: _turn_complete,
}


def map_hook(hook: HookInput) -> list[Event]:
    """One Codex hook or notify payload as events."""
    payload: dict[str, Any] = hook.payload
    common = claude_code.common_fields(payload)
    if hook.event_name == NOTIFY_TURN_COMPLETE:
        common["session_id"] = as_str(payload.get("thread-id"))
    return claude_code.map_claude_shaped(hook, EVENTS, common)
