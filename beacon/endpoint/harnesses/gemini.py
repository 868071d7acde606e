"""Gemini CLI: the `telemetry` block of `~/.gemini/settings.json`, optional hooks there too.

Gemini CLI exports OTLP over gRPC to `otlpEndpoint` when `target` is `local` and
`useCollector` is set (runtimes.md §5.1). An `outfile` would bypass OTLP, so install
removes it (uninstall puts it back). Hooks, with `--hooks`, are the set docs/hooks.md
recommends: the model-level events fire several times per turn and are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beacon.endpoint.harnesses import jsonfile
from beacon.endpoint.harnesses.base import (
    DISABLED,
    ENABLED,
    HOOKS_INSTALLED,
    HOOKS_MISSING,
    MISCONFIGURED,
    MISSING,
    FileEdit,
    HarnessState,
    on_path,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.transaction import read_bytes

SETTINGS = "gemini.settings"
TELEMETRY_KEYS = [
    "enabled",
    "target",
    "otlpEndpoint",
    "otlpProtocol",
    "useCollector",
    "logPrompts",
    "outfile",
]
HOOK_EVENTS = ("SessionStart", "BeforeAgent", "BeforeTool", "AfterTool", "AfterAgent", "SessionEnd")
TOOL_EVENTS = ("BeforeTool", "AfterTool")
_is_ours = jsonfile.is_beacon_handler("gemini")


class Gemini:
    """Gemini CLI (`gemini`)."""

    name = "gemini"
    runtime = "gemini_cli"
    title = "Gemini CLI"
    supports_hooks = True

    def settings_path(self, layout: Layout) -> Path:
        """The user settings file."""
        return layout.home / ".gemini" / "settings.json"

    def detected(self, layout: Layout) -> bool:
        return bool(on_path(layout, "gemini") or (layout.home / ".gemini").is_dir())

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        return [FileEdit(self.settings_path(layout), SETTINGS)]

    def telemetry(self, settings: EndpointSettings) -> dict[str, Any]:
        """The `telemetry` keys install writes."""
        return {
            "enabled": True,
            "target": "local",
            "otlpEndpoint": settings.grpc_endpoint,
            "otlpProtocol": "grpc",
            "useCollector": True,
            "logPrompts": settings.full_content,
        }

    def hook_groups(self, settings: EndpointSettings) -> dict[str, list[dict[str, Any]]]:
        """Beacon's command hooks (docs/hooks.md)."""
        handler = {"type": "command", "command": settings.hook_command("gemini")}
        groups: dict[str, list[dict[str, Any]]] = {}
        for event in HOOK_EVENTS:
            group: dict[str, Any] = {"matcher": ".*"} if event in TOOL_EVENTS else {}
            group["hooks"] = [dict(handler)]
            groups[event] = [group]
        return groups

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        doc = jsonfile.load_object(edit.path, current)
        telemetry = jsonfile.section(doc, "telemetry", edit.path)
        telemetry.update(self.telemetry(settings))
        telemetry.pop("outfile", None)
        hooks = doc.get("hooks")
        if isinstance(hooks, dict):
            jsonfile.strip_handlers(hooks, _is_ours)
        if settings.hooks:
            jsonfile.add_groups(
                jsonfile.section(doc, "hooks", edit.path), self.hook_groups(settings)
            )
        jsonfile.drop_if_empty(doc, "hooks", jsonfile.load_object(edit.path, current))
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        doc = jsonfile.load_object(edit.path, current)
        before = jsonfile.load_object(edit.path, original) if original is not None else None
        telemetry = doc.get("telemetry")
        if isinstance(telemetry, dict):
            old = before.get("telemetry") if before else None
            jsonfile.restore_keys(telemetry, old if isinstance(old, dict) else None, TELEMETRY_KEYS)
            jsonfile.drop_if_empty(doc, "telemetry", before)
        hooks = doc.get("hooks")
        if isinstance(hooks, dict):
            jsonfile.strip_handlers(hooks, _is_ours)
            jsonfile.drop_if_empty(doc, "hooks", before)
        if original is None and not doc:
            return None
        return jsonfile.finish(doc, current)

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        path = self.settings_path(layout)
        data = read_bytes(path)
        if data is None:
            return HarnessState(
                self.name, self.runtime, MISSING, "no settings file", str(path), HOOKS_MISSING
            )
        doc = jsonfile.load_object(path, data)
        hooks = (
            HOOKS_INSTALLED if jsonfile.has_handlers(doc.get("hooks"), _is_ours) else HOOKS_MISSING
        )

        def state(status: str, detail: str) -> HarnessState:
            return HarnessState(self.name, self.runtime, status, detail, str(path), hooks)

        telemetry = doc.get("telemetry")
        if not isinstance(telemetry, dict):
            return state(MISSING, "no telemetry block")
        if telemetry.get("enabled") is not True:
            return state(DISABLED, f"telemetry.enabled = {telemetry.get('enabled')!r}")
        if telemetry.get("outfile"):
            return state(MISCONFIGURED, f"telemetry.outfile {telemetry['outfile']!r} bypasses OTLP")
        endpoint = str(telemetry.get("otlpEndpoint", "")).rstrip("/")
        protocol = telemetry.get("otlpProtocol", "grpc")
        if (protocol, endpoint) not in (
            ("grpc", settings.grpc_endpoint),
            ("http", settings.http_endpoint),
        ):
            return state(
                MISCONFIGURED,
                f"telemetry.otlpEndpoint {endpoint!r} over {protocol!r} "
                f"(expected {settings.grpc_endpoint!r} over 'grpc')",
            )
        return state(ENABLED, f"OTLP over {protocol} to {endpoint}")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


HARNESS = Gemini()
