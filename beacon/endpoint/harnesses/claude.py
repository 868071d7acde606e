"""Claude Code: OTLP settings in `~/.claude/settings.json` `env`, optional hooks.

Claude Code reads `env` from its settings file as if exported (runtimes.md §1.1), so the
endpoint needs no shell profile edits. Logs and metrics go to the collector's OTLP/HTTP
port as protobuf, the listener that also serves `/healthz` and the HTTP hook intake.
With `--hooks`, command hooks (`beacon-hooks`, which record locally when the collector is
down) cover session start and tool events, HTTP hooks the rest (docs/hooks.md).
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

SETTINGS = "claude.settings"
ENV_KEYS = [
    "CLAUDE_CODE_ENABLE_TELEMETRY",
    "OTEL_LOGS_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    "OTEL_LOG_USER_PROMPTS",
    "OTEL_LOG_TOOL_DETAILS",
]
COMMAND_EVENTS = ("SessionStart", "PreToolUse", "PostToolUse", "PostToolUseFailure")
HTTP_EVENTS = ("UserPromptSubmit", "PermissionRequest", "Stop", "SessionEnd")
TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest")
_is_ours = jsonfile.is_beacon_handler("claude")


class Claude:
    """Claude Code (`claude`)."""

    name = "claude"
    runtime = "claude_code"
    title = "Claude Code"
    supports_hooks = True

    def settings_path(self, layout: Layout) -> Path:
        """The user settings file."""
        return layout.home / ".claude" / "settings.json"

    def detected(self, layout: Layout) -> bool:
        home = layout.home
        return bool(
            on_path(layout, "claude")
            or (home / ".claude").is_dir()
            or (home / ".claude.json").exists()
        )

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        return [FileEdit(self.settings_path(layout), SETTINGS)]

    def env(self, settings: EndpointSettings) -> dict[str, str]:
        """The `env` entries install writes."""
        content = "1" if settings.full_content else "0"
        return {
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": settings.http_endpoint,
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
            "OTEL_LOG_USER_PROMPTS": content,
            "OTEL_LOG_TOOL_DETAILS": content,
        }

    def hook_groups(self, settings: EndpointSettings) -> dict[str, list[dict[str, Any]]]:
        """Beacon's hook groups: command hooks where HTTP is unsupported or fallback matters."""
        command = {"type": "command", "command": settings.hook_command("claude"), "timeout": 10}
        http = {"type": "http", "url": f"{settings.http_endpoint}/v1/hooks/claude", "timeout": 10}
        handlers = {**dict.fromkeys(COMMAND_EVENTS, command), **dict.fromkeys(HTTP_EVENTS, http)}
        return jsonfile.hook_groups(handlers, TOOL_EVENTS, "*")

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        doc = jsonfile.load_object(edit.path, current)
        jsonfile.section(doc, "env", edit.path).update(self.env(settings))
        groups = self.hook_groups(settings) if settings.hooks else None
        jsonfile.set_hooks(doc, edit.path, current, _is_ours, groups)
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        return jsonfile.revert_settings(edit.path, current, original, _is_ours, {"env": ENV_KEYS})

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        path = self.settings_path(layout)
        doc, hooks = jsonfile.read_settings(path, _is_ours)
        state = reporter(self, path, hooks)
        if doc is None:
            return state(MISSING, "no settings file")
        env = doc.get("env") if isinstance(doc.get("env"), dict) else {}
        assert isinstance(env, dict)
        switch = str(env.get("CLAUDE_CODE_ENABLE_TELEMETRY", ""))
        if not switch:
            return state(MISSING, "env.CLAUDE_CODE_ENABLE_TELEMETRY not set")
        if switch.lower() not in ("1", "true"):
            return state(DISABLED, f"env.CLAUDE_CODE_ENABLE_TELEMETRY={switch}")
        wanted = self.env(settings)
        wrong = [
            f"env.{key}={env.get(key)!r} (expected {wanted[key]!r})"
            for key in (
                "OTEL_LOGS_EXPORTER",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            )
            if str(env.get(key, "")).rstrip("/") != wanted[key]
        ]
        if wrong:
            return state(MISCONFIGURED, "; ".join(wrong))
        return state(ENABLED, f"OTLP logs to {settings.http_endpoint}")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


HARNESS = Claude()
