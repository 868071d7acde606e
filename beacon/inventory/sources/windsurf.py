"""Windsurf (Codeium Cascade; Devin Desktop): `~/.codeium/windsurf/mcp_config.json`
(`mcpServers`, remote servers by `serverUrl`) and `hooks.json` in
`~/.codeium/windsurf/` and the project's `.windsurf/`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MCP_CONFIG,
    PROJECT,
    USER,
    ConfigSource,
    McpBlock,
    Runtime,
    Status,
)
from beacon.inventory.telemetry import MISSING, hooks_status

NAME = "windsurf"


def config_sources(scope: Scope) -> list[ConfigSource]:
    home = scope.home / ".codeium" / "windsurf"
    return [
        ConfigSource(NAME, home / "mcp_config.json", USER, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, home / "hooks.json", USER, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, scope.cwd / ".windsurf" / "hooks.json", PROJECT, HOOK_CONFIG, "jsonc"),
    ]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    if source.kind != MCP_CONFIG:
        return McpBlock()
    return named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)


def telemetry(survey: Survey) -> Status:
    return MISSING, "Windsurf has no OTLP export; it is observed through hooks"


def hooks(survey: Survey) -> str:
    return hooks_status(
        f for f in survey.files if f.source.runtime == NAME and f.source.kind == HOOK_CONFIG
    )


RUNTIME = Runtime(
    name=NAME,
    executables=("windsurf",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=mcp_entries,
)
