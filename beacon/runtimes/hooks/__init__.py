"""Hook payloads of agent runtimes: platform names, no-op replies, and the mapper dispatch.

The `beacon-hooks` fast path imports this package for the replies, so it imports nothing
at module level; the per-runtime mappers (stdlib + `beacon.schema` + the stdlib-only tool
classification of `beacon.runtimes.tool_calls`) load only when a payload is mapped.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing`: importing typing costs the hook a third of its time
if TYPE_CHECKING:
    from typing import Any

    from beacon.runtimes.hooks.payload import HookInput
    from beacon.schema.event import Event

PLATFORMS: dict[str, str] = {
    "claude": "claude_code",
    "claude_code": "claude_code",
    "claude-code": "claude_code",
    "codex": "codex_cli",
    "codex_cli": "codex_cli",
    "codex-cli": "codex_cli",
    "gemini": "gemini_cli",
    "gemini_cli": "gemini_cli",
    "gemini-cli": "gemini_cli",
    "cursor": "cursor",
}
"""Accepted `--platform` / URL names and the harness each one means."""

_CURSOR_PERMISSION_EVENTS = frozenset(
    {"beforeShellExecution", "beforeMCPExecution", "beforeReadFile", "beforeTabFileRead"}
)
_CURSOR_PERMISSION_EVENTS_2X = frozenset({"preToolUse"})
EMPTY_REPLY = b"{}"


def harness_of(platform: str) -> str | None:
    """The canonical harness for a platform name, or None when Beacon does not know it."""
    return PLATFORMS.get(platform.strip().lower())


def noop_reply(harness: str | None, event_name: str) -> bytes:
    """What the runtime reads as "go ahead, nothing to add" for this event.

    Claude Code, Codex and Gemini CLI take `{}`; Cursor wants `continue` for prompts and
    `permission: allow` for permission hooks; the Codex `notify` program prints nothing.
    """
    if harness == "cursor":
        if event_name == "beforeSubmitPrompt":
            return b'{"continue": true}'
        if event_name in _CURSOR_PERMISSION_EVENTS or event_name in _CURSOR_PERMISSION_EVENTS_2X:
            return b'{"permission": "allow"}'
        return EMPTY_REPLY
    if harness == "codex_cli" and event_name == "agent-turn-complete":
        return b""
    return EMPTY_REPLY


def map_hook(hook: HookInput) -> list[Event]:
    """The events one hook payload stands for; never raises (a mapper bug is kept as data)."""
    from beacon.runtimes.hooks.payload import unclassified

    try:
        return _dispatch(hook)
    except Exception as exc:  # a mapper bug must not lose the payload
        return [unclassified(hook, f"mapping failed: {type(exc).__name__}: {exc}"[:500])]


_CURSOR_HINTS = frozenset({"cursor_version", "workspace_roots", "conversation_id"})
"""Keys only a Cursor payload may carry (`cursor.is_cursor_payload` decides for sure)."""

_MAPPERS = {
    "claude_code": "beacon.runtimes.hooks.claude_code",
    "codex_cli": "beacon.runtimes.hooks.codex_cli",
    "gemini_cli": "beacon.runtimes.hooks.gemini_cli",
    "cursor": "beacon.runtimes.hooks.cursor",
}
"""Harness -> its hook mapper module, imported only for a payload of that harness."""


def _dispatch(hook: HookInput) -> list[Event]:
    import importlib

    from beacon.runtimes.hooks.payload import unclassified

    if not isinstance(hook.payload, dict):
        return [unclassified(hook, hook.error or "payload is not a JSON object")]
    if hook.harness != "cursor" and not _CURSOR_HINTS.isdisjoint(hook.payload):
        from beacon.runtimes.hooks import cursor

        if cursor.is_cursor_payload(hook.payload):
            # Cursor runs Claude Code's hooks too: attribute to Cursor, count once.
            return cursor.map_claude_compat(hook)
    module = _MAPPERS.get(hook.harness)
    if module is None:
        return [unclassified(hook, f"unknown platform {hook.harness!r}")]
    mapper: Any = importlib.import_module(module).map_hook
    events: list[Event] = mapper(hook)
    return events
