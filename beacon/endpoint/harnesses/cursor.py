"""Cursor: hooks only (`~/.cursor/hooks.json`), Cursor has no OTLP export.

Cursor's schema is flat: `{"version": 1, "hooks": {"<event>": [{"command": ...}]}}`
(runtimes.md §4.1). Install adds one `beacon-hooks --platform cursor` entry per event of
the set docs/hooks.md lists (Cursor 2.6 rejects unknown event names, so no newer ones);
the user's own entries stay first. A file Beacon created and left empty is removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beacon.endpoint.harnesses import jsonfile
from beacon.endpoint.harnesses.base import (
    ENABLED,
    HOOKS_INSTALLED,
    HOOKS_MISSING,
    MISCONFIGURED,
    MISSING,
    FileEdit,
    HarnessState,
    on_path,
    reporter,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.transaction import read_bytes

HOOKS = "cursor.hooks"
HOOK_EVENTS = (
    "sessionStart",
    "beforeSubmitPrompt",
    "afterShellExecution",
    "afterMCPExecution",
    "afterFileEdit",
    "beforeReadFile",
    "afterAgentThought",
    "stop",
    "sessionEnd",
)


def _ours(entry: Any) -> bool:
    command = entry.get("command") if isinstance(entry, dict) else None
    return isinstance(command, str) and "beacon-hooks" in command and "--platform cursor" in command


class Cursor:
    """Cursor (hooks)."""

    name = "cursor"
    runtime = "cursor"
    title = "Cursor"
    supports_hooks = True

    def hooks_path(self, layout: Layout) -> Path:
        """The user hooks file."""
        return layout.home / ".cursor" / "hooks.json"

    def detected(self, layout: Layout) -> bool:
        return bool(on_path(layout, "cursor", "cursor-agent") or (layout.home / ".cursor").is_dir())

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        return [FileEdit(self.hooks_path(layout), HOOKS)]

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        doc = jsonfile.load_object(edit.path, current)
        doc.setdefault("version", 1)
        hooks = jsonfile.section(doc, "hooks", edit.path)
        _strip(hooks)
        command = settings.hook_command("cursor")
        jsonfile.add_groups(hooks, {event: [{"command": command}] for event in HOOK_EVENTS})
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        doc = jsonfile.load_object(edit.path, current)
        hooks = doc.get("hooks")
        if isinstance(hooks, dict):
            _strip(hooks)
        if original is None and not doc.get("hooks"):
            return None
        before = jsonfile.load_object(edit.path, original)
        if "version" not in before:
            doc.pop("version", None)
        return jsonfile.finish(doc, current)

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        path = self.hooks_path(layout)
        data = read_bytes(path)
        missing = reporter(self, path, HOOKS_MISSING)
        if data is None:
            return missing(MISSING, "no hooks.json")
        hooks = jsonfile.load_object(path, data).get("hooks")
        entries = [
            e
            for groups in (hooks.values() if isinstance(hooks, dict) else [])
            if isinstance(groups, list)
            for e in groups
            if _ours(e)
        ]
        if not entries:
            return missing(MISSING, "no beacon-hooks entries")
        installed = reporter(self, path, HOOKS_INSTALLED)
        wanted = f"--collector {settings.http_endpoint}"
        if not all(wanted in str(e.get("command")) for e in entries):
            return installed(MISCONFIGURED, f"beacon-hooks entries do not pass {wanted}")
        return installed(ENABLED, f"{len(entries)} beacon-hooks entries")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


def _strip(hooks: dict[str, Any]) -> None:
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = [e for e in entries if not _ours(e)]
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]


HARNESS = Cursor()
