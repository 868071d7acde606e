"""Gemini CLI: `settings.json` in `~/.gemini/` and the project's `.gemini/` (`mcpServers`,
`telemetry`, `hooks`). Gemini strips comments from its settings, so they are JSONC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    NATIVE,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
    Status,
    files_of,
)
from beacon.inventory.telemetry import (
    DISABLED,
    ENABLED,
    MISCONFIGURED,
    by_precedence,
    hooks_of,
    loopback_endpoint,
    not_set,
    truthy,
)

NAME = "gemini_cli"
DEFAULT_ENDPOINT = "http://localhost:4317"


def config_sources(scope: Scope) -> list[ConfigSource]:
    return [
        ConfigSource(NAME, scope.home / ".gemini" / "settings.json", USER, NATIVE, "jsonc"),
        ConfigSource(NAME, scope.cwd / ".gemini" / "settings.json", PROJECT, NATIVE, "jsonc"),
    ]


def telemetry(survey: Survey) -> Status:
    """The `telemetry` block, project settings over user settings."""
    files = files_of(survey, NAME)
    merged: dict[str, Any] = {}
    where = ""
    for parsed, document in by_precedence(files, (USER, PROJECT)):
        block = document.get("telemetry")
        if isinstance(block, Mapping):
            merged.update(block)
            where = str(parsed.source.path)
    if not merged:
        return not_set(files, "no telemetry block in settings.json")
    if not truthy(merged.get("enabled")):
        return DISABLED, f"telemetry.enabled is not true ({where})"
    if merged.get("outfile"):
        return MISCONFIGURED, f"telemetry.outfile writes to a file instead of OTLP ({where})"
    target = merged.get("target", "local")
    if target != "local":
        return MISCONFIGURED, f"telemetry.target is {str(target)[:32]}, not local ({where})"
    endpoint = merged.get("otlpEndpoint") or DEFAULT_ENDPOINT
    if not isinstance(endpoint, str) or not loopback_endpoint(endpoint):
        return MISCONFIGURED, f"telemetry.otlpEndpoint is not a loopback address ({where})"
    protocol = merged.get("otlpProtocol", "grpc")
    return ENABLED, f"OTLP {str(protocol)[:16]} to loopback ({where})"


RUNTIME = Runtime(
    name=NAME,
    executables=("gemini",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks_of(NAME),
    mcp_entries=block_at("mcpServers"),
)
