"""Gemini CLI: `settings.json` in `~/.gemini/` and the project's `.gemini/` (`mcpServers`,
`telemetry`, `hooks`). Gemini strips comments from its settings, so they are JSONC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    NATIVE,
    PROJECT,
    USER,
    ConfigSource,
    McpBlock,
    Runtime,
    Status,
    files_of,
)
from beacon.inventory.telemetry import (
    DISABLED,
    ENABLED,
    MISCONFIGURED,
    MISSING,
    hooks_status,
    loopback_endpoint,
    truthy,
    unparsed,
)

NAME = "gemini_cli"
DEFAULT_ENDPOINT = "http://localhost:4317"


def config_sources(scope: Scope) -> list[ConfigSource]:
    return [
        ConfigSource(NAME, scope.home / ".gemini" / "settings.json", USER, NATIVE, "jsonc"),
        ConfigSource(NAME, scope.cwd / ".gemini" / "settings.json", PROJECT, NATIVE, "jsonc"),
    ]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    return named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)


def telemetry(survey: Survey) -> Status:
    """The `telemetry` block, project settings over user settings."""
    files = files_of(survey, NAME)
    merged: dict[str, Any] = {}
    where = ""
    for level in (USER, PROJECT):
        for parsed in files:
            if parsed.source.scope == level and parsed.document is not None:
                block = parsed.document.get("telemetry")
                if isinstance(block, Mapping):
                    merged.update(block)
                    where = str(parsed.source.path)
    if not merged:
        broken = unparsed(files)
        if broken:
            return MISCONFIGURED, f"{broken[0].source.path} could not be read or parsed"
        return MISSING, "no telemetry block in settings.json"
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


def hooks(survey: Survey) -> str:
    return hooks_status(files_of(survey, NAME))


RUNTIME = Runtime(
    name=NAME,
    executables=("gemini",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=mcp_entries,
)
