"""Claude Desktop: `claude_desktop_config.json` (`mcpServers`) in its application folder.
A desktop app, not a coding CLI, but it launches MCP servers on the same machine."""

from __future__ import annotations

from beacon.inventory.files import Survey
from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import NATIVE, USER, ConfigSource, Runtime
from beacon.inventory.telemetry import UNSUPPORTED, missing

NAME = "claude_desktop"


def config_sources(scope: Scope) -> list[ConfigSource]:
    path = scope.app_config("Claude") / "claude_desktop_config.json"
    return [ConfigSource(NAME, path, USER, NATIVE, "json")]


def hooks(survey: Survey) -> str:
    return UNSUPPORTED


RUNTIME = Runtime(
    name=NAME,
    executables=(),
    config_sources=config_sources,
    telemetry=missing("Claude Desktop has no OTLP export"),
    hooks=hooks,
    mcp_entries=block_at("mcpServers"),
)
