"""GitHub Copilot CLI: `~/.copilot/config.json`, `~/.copilot/mcp-config.json`
(`mcpServers`), and hook files in `~/.copilot/hooks/` and the project's `.github/hooks/`
(which VS Code's Copilot agent reads too). Its OTLP export is set by environment variables
(`COPILOT_OTEL_ENABLED`, `OTEL_EXPORTER_OTLP_ENDPOINT`), which no file shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import ParsedFile, Survey, list_files
from beacon.inventory.mcp import named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MCP_CONFIG,
    NATIVE,
    PROJECT,
    USER,
    ConfigSource,
    McpBlock,
    Runtime,
    Status,
)
from beacon.inventory.telemetry import MISSING, hooks_status

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


def hook_files(survey: Survey) -> list[ParsedFile]:
    """The parsed Copilot hook files of a survey."""
    return [f for f in survey.files if f.source.runtime == NAME and f.source.kind == HOOK_CONFIG]


def config_sources(scope: Scope) -> list[ConfigSource]:
    home = scope.home / ".copilot"
    return [
        ConfigSource(NAME, home / "config.json", USER, NATIVE, "jsonc"),
        ConfigSource(NAME, home / "mcp-config.json", USER, MCP_CONFIG, "jsonc"),
        *hook_sources(scope),
    ]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    if source.kind != MCP_CONFIG:
        return McpBlock()
    return named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)


def telemetry(survey: Survey) -> Status:
    return MISSING, "Copilot CLI exports OTLP only when COPILOT_OTEL_ENABLED is set in its env"


def hooks(survey: Survey) -> str:
    return hooks_status(hook_files(survey))


RUNTIME = Runtime(
    name=NAME,
    executables=("copilot",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=mcp_entries,
)
