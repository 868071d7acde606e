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
        groups: dict[str, list[dict[str, Any]]] = {}
        for event in (*COMMAND_EVENTS, *HTTP_EVENTS):
            group: dict[str, Any] = {"matcher": "*"} if event in TOOL_EVENTS else {}
            group["hooks"] = [dict(command if event in COMMAND_EVENTS else http)]
            groups[event] = [group]
        return groups

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        doc = jsonfile.load_object(edit.path, current)
        jsonfile.section(doc, "env", edit.path).update(self.env(settings))
        hooks = doc.get("hooks")
        if isinstance(hooks, dict):
            jsonfile.strip_handlers(hooks, _is_ours)  # a previous install's, re-added below
        if settings.hooks:
            jsonfile.add_groups(
                jsonfile.section(doc, "hooks", edit.path), self.hook_groups(settings)
            )
        jsonfile.drop_if_empty(doc, "hooks", jsonfile.load_object(edit.path, current))
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        path = edit.path
        doc = jsonfile.load_object(path, current)
        before = jsonfile.load_object(path, original) if original is not None else None
        env = doc.get("env")
        if isinstance(env, dict):
            old_env = before.get("env") if before else None
            jsonfile.restore_keys(env, old_env if isinstance(old_env, dict) else None, ENV_KEYS)
            jsonfile.drop_if_empty(doc, "env", before)
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
        where = str(path)
        hooks_state = HOOKS_MISSING
        if data is None:
            return HarnessState(
                self.name, self.runtime, MISSING, "no settings file", where, hooks_state
            )
        doc = jsonfile.load_object(path, data)
        if jsonfile.has_handlers(doc.get("hooks"), _is_ours):
            hooks_state = HOOKS_INSTALLED
        env = doc.get("env") if isinstance(doc.get("env"), dict) else {}
        assert isinstance(env, dict)
        switch = str(env.get("CLAUDE_CODE_ENABLE_TELEMETRY", ""))
        if not switch:
            return HarnessState(
                self.name,
                self.runtime,
                MISSING,
                "env.CLAUDE_CODE_ENABLE_TELEMETRY not set",
                where,
                hooks_state,
            )
        if switch.lower() not in ("1", "true"):
            return HarnessState(
                self.name,
                self.runtime,
                DISABLED,
                f"env.CLAUDE_CODE_ENABLE_TELEMETRY={switch}",
                where,
                hooks_state,
            )
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
            return HarnessState(
                self.name, self.runtime, MISCONFIGURED, "; ".join(wrong), where, hooks_state
            )
        return HarnessState(
            self.name,
            self.runtime,
            ENABLED,
            f"OTLP logs to {settings.http_endpoint}",
            where,
            hooks_state,
        )

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


HARNESS = Claude()
