"""Claude Desktop: `claude_desktop_config.json` (`mcpServers`) in its application folder.
A desktop app, not a coding CLI, but it launches MCP servers on the same machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import NATIVE, USER, ConfigSource, McpBlock, Runtime, Status
from beacon.inventory.telemetry import MISSING, UNSUPPORTED

NAME = "claude_desktop"


def config_sources(scope: Scope) -> list[ConfigSource]:
    path = scope.app_config("Claude") / "claude_desktop_config.json"
    return [ConfigSource(NAME, path, USER, NATIVE, "json")]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    return named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)


def telemetry(survey: Survey) -> Status:
    return MISSING, "Claude Desktop has no OTLP export"


def hooks(survey: Survey) -> str:
    return UNSUPPORTED


RUNTIME = Runtime(
    name=NAME,
    executables=(),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=mcp_entries,
)
