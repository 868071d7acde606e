"""Windsurf (Codeium Cascade; Devin Desktop): `~/.codeium/windsurf/mcp_config.json`
(`mcpServers`, remote servers by `serverUrl`) and `hooks.json` in
`~/.codeium/windsurf/` and the project's `.windsurf/`."""

from __future__ import annotations

from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MCP_CONFIG,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
)
from beacon.inventory.telemetry import hooks_of, missing

NAME = "windsurf"


def config_sources(scope: Scope) -> list[ConfigSource]:
    home = scope.home / ".codeium" / "windsurf"
    return [
        ConfigSource(NAME, home / "mcp_config.json", USER, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, home / "hooks.json", USER, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, scope.cwd / ".windsurf" / "hooks.json", PROJECT, HOOK_CONFIG, "jsonc"),
    ]


RUNTIME = Runtime(
    name=NAME,
    executables=("windsurf",),
    config_sources=config_sources,
    telemetry=missing("Windsurf has no OTLP export; it is observed through hooks"),
    hooks=hooks_of(NAME, HOOK_CONFIG),
    mcp_entries=block_at("mcpServers", kind=MCP_CONFIG),
)
