"""JSON settings files of agents: parse strictly, keep other keys and the file's indent.

Agents' settings (Claude Code, Gemini CLI, Cursor and Codex hooks) are plain JSON
objects. A file that does not parse stops the install with its path and the parser's
message; Beacon never rewrites what it cannot read. Key order is kept; the indent of the
existing file is reused so a diff shows only what Beacon changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from beacon.endpoint.harnesses.base import HOOKS_INSTALLED, HOOKS_MISSING
from beacon.endpoint.transaction import read_bytes
from beacon.errors import ConfigError

_INDENT = re.compile(rb'^([ \t]+)["}\]]', re.M)


def load_object(path: Path, data: bytes | None) -> dict[str, Any]:
    """The JSON object in `data` ({} for a missing or empty file)."""
    if data is None or not data.strip():
        return {}
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ConfigError(
            f"{path}: not valid JSON ({exc}); fix or move the file, nothing was changed"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level; nothing was changed")
    return doc


def dump_object(doc: dict[str, Any], like: bytes | None = None) -> bytes:
    """`doc` as JSON with the indent of `like` (two spaces by default) and a final newline."""
    indent: str | int = 2
    if like:
        match = _INDENT.search(like)
        if match:
            indent = match.group(1).decode()
    return (json.dumps(doc, indent=indent, ensure_ascii=False) + "\n").encode()


def finish(doc: dict[str, Any], current: bytes | None) -> bytes:
    """`doc` serialized, or `current` itself when `doc` says the same (no reformatting)."""
    if current is not None and current.strip():
        try:
            if json.loads(current) == doc:
                return current
        except ValueError:
            pass
    return dump_object(doc, current)


def section(doc: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """`doc[key]` as an object, created when absent; ConfigError when it is something else."""
    value = doc.setdefault(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` is not a JSON object; nothing was changed")
    return value


def restore_keys(target: dict[str, Any], original: dict[str, Any] | None, keys: list[str]) -> None:
    """Put each of `keys` back as `original` had it, or remove it if it had none."""
    for key in keys:
        if original is not None and key in original:
            target[key] = original[key]
        else:
            target.pop(key, None)


def drop_if_empty(doc: dict[str, Any], key: str, original: dict[str, Any] | None) -> None:
    """Remove `doc[key]` when Beacon left it empty and the original file had no such key."""
    if doc.get(key) in ({}, []) and (original is None or key not in original):
        doc.pop(key, None)


def revert_settings(
    path: Path,
    current: bytes,
    original: bytes | None,
    is_ours: Callable[[Handler], bool],
    blocks: Mapping[str, list[str]] | None = None,
) -> bytes | None:
    """`current` without Beacon's hook handlers, and each block's keys (`{"env": [...]}`) as
    `original` had them; None when nothing is left of a file Beacon created."""
    doc = load_object(path, current)
    before = load_object(path, original) if original is not None else None
    for key, keys in (blocks or {}).items():
        block = doc.get(key)
        if isinstance(block, dict):
            old = before.get(key) if before else None
            restore_keys(block, old if isinstance(old, dict) else None, keys)
            drop_if_empty(doc, key, before)
    hooks = doc.get("hooks")
    if isinstance(hooks, dict):
        strip_handlers(hooks, is_ours)
        drop_if_empty(doc, "hooks", before)
    if original is None and not doc:
        return None
    return finish(doc, current)


def read_settings(
    path: Path, is_ours: Callable[[Handler], bool]
) -> tuple[dict[str, Any] | None, str]:
    """A settings file's object (None when there is no file) and whether it holds Beacon's
    hook handlers (`installed` or `missing`); ConfigError when it does not parse."""
    data = read_bytes(path)
    if data is None:
        return None, HOOKS_MISSING
    doc = load_object(path, data)
    return doc, HOOKS_INSTALLED if has_handlers(doc.get("hooks"), is_ours) else HOOKS_MISSING


# ----------------------------------------------------------------------------- hook groups
# Claude Code, Codex and Gemini CLI share one hooks schema:
# {"hooks": {"<Event>": [{"matcher": "...", "hooks": [{"type": "command", ...}]}]}}

Handler = dict[str, Any]


def strip_handlers(hooks: dict[str, Any], is_ours: Callable[[Handler], bool]) -> None:
    """Remove Beacon's handlers; drop groups and events left empty by that."""
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                before = len(group["hooks"])
                group["hooks"] = [h for h in group["hooks"] if not _ours(h, is_ours)]
                if before and not group["hooks"]:
                    continue
            kept.append(group)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]


def add_groups(hooks: dict[str, Any], groups: dict[str, list[dict[str, Any]]]) -> None:
    """Append Beacon's groups after the user's own, event by event."""
    for event, new in groups.items():
        existing = hooks.get(event)
        hooks[event] = [*(existing if isinstance(existing, list) else []), *new]


def has_handlers(hooks: Any, is_ours: Callable[[Handler], bool]) -> bool:
    """Whether any group holds a handler of Beacon's."""
    if not isinstance(hooks, dict):
        return False
    for groups in hooks.values():
        for group in groups if isinstance(groups, list) else []:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(handlers, list) and any(_ours(h, is_ours) for h in handlers):
                return True
    return False


def hook_groups(
    handlers: Mapping[str, Handler], tool_events: tuple[str, ...], matcher: str
) -> dict[str, list[dict[str, Any]]]:
    """One group per event holding its handler (a copy); tool events get `matcher`."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for event, handler in handlers.items():
        group: dict[str, Any] = {"matcher": matcher} if event in tool_events else {}
        group["hooks"] = [dict(handler)]
        groups[event] = [group]
    return groups


def set_hooks(
    doc: dict[str, Any],
    path: Path,
    current: bytes | None,
    is_ours: Callable[[Handler], bool],
    groups: dict[str, list[dict[str, Any]]] | None,
) -> None:
    """Replace a previous install's handlers in `doc["hooks"]` with `groups` (None: hooks
    off, only take them out); a `hooks` object `current` did not have is not left empty."""
    hooks = doc.get("hooks")
    if isinstance(hooks, dict):
        strip_handlers(hooks, is_ours)
    if groups is not None:
        add_groups(section(doc, "hooks", path), groups)
    drop_if_empty(doc, "hooks", load_object(path, current))


def _ours(handler: Any, is_ours: Callable[[Handler], bool]) -> bool:
    return isinstance(handler, dict) and is_ours(handler)


def is_beacon_handler(platform: str) -> Callable[[Handler], bool]:
    """Matches `beacon-hooks --platform <platform>` commands and loopback HTTP hooks to
    `/v1/hooks/<platform>`: the handlers install writes (and only those)."""

    def match(handler: Handler) -> bool:
        command = handler.get("command")
        if isinstance(command, str) and "beacon-hooks" in command:
            return f"--platform {platform}" in command or f"--platform={platform}" in command
        url = handler.get("url")
        if isinstance(url, str):
            return url.startswith(("http://127.0.0.1:", "http://localhost:")) and url.endswith(
                f"/v1/hooks/{platform}"
            )
        return False

    return match
