"""GitHub Copilot CLI: `~/.copilot/config.json`, `~/.copilot/mcp-config.json`
(`mcpServers`), and hook files in `~/.copilot/hooks/` and the project's `.github/hooks/`
(which VS Code's Copilot agent reads too). Its OTLP export is set by environment variables
(`COPILOT_OTEL_ENABLED`, `OTEL_EXPORTER_OTLP_ENDPOINT`), which no file shows."""

from __future__ import annotations

from beacon.inventory.files import list_files
from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MCP_CONFIG,
    NATIVE,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
)
from beacon.inventory.telemetry import hooks_of, missing

NAME = "copilot_cli"


def hook_sources(scope: Scope) -> list[ConfigSource]:
    """Copilot hook files: shared with VS Code, so their presence detects neither."""
    folders = (
        (scope.home / ".copilot" / "hooks", USER),
        (scope.cwd / ".github" / "hooks", PROJECT),
    )
    return [
        ConfigSource(NAME, path, level, HOOK_CONFIG, "json", detects=False)
        for folder, level in folders
        for path in list_files(folder, ".json")
    ]


def config_sources(scope: Scope) -> list[ConfigSource]:
    home = scope.home / ".copilot"
    return [
        ConfigSource(NAME, home / "config.json", USER, NATIVE, "jsonc"),
        ConfigSource(NAME, home / "mcp-config.json", USER, MCP_CONFIG, "jsonc"),
        *hook_sources(scope),
    ]


RUNTIME = Runtime(
    name=NAME,
    executables=("copilot",),
    config_sources=config_sources,
    telemetry=missing("Copilot CLI exports OTLP only when COPILOT_OTEL_ENABLED is set in its env"),
    hooks=hooks_of(NAME, HOOK_CONFIG),
    mcp_entries=block_at("mcpServers", kind=MCP_CONFIG),
)
