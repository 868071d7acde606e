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
    MISCONFIGURED,
    MISSING,
    FileEdit,
    HarnessState,
    on_path,
    reporter,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings

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
        return jsonfile.hook_groups(dict.fromkeys(HOOK_EVENTS, handler), TOOL_EVENTS, ".*")

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        doc = jsonfile.load_object(edit.path, current)
        telemetry = jsonfile.section(doc, "telemetry", edit.path)
        telemetry.update(self.telemetry(settings))
        telemetry.pop("outfile", None)
        groups = self.hook_groups(settings) if settings.hooks else None
        jsonfile.set_hooks(doc, edit.path, current, _is_ours, groups)
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        blocks = {"telemetry": TELEMETRY_KEYS}
        return jsonfile.revert_settings(edit.path, current, original, _is_ours, blocks)

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        path = self.settings_path(layout)
        doc, hooks = jsonfile.read_settings(path, _is_ours)
        state = reporter(self, path, hooks)
        if doc is None:
            return state(MISSING, "no settings file")
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
