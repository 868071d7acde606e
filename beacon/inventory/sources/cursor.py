"""Cursor: `mcp.json` and `hooks.json` in `~/.cursor/` and the project's `.cursor/`, the
enterprise `hooks.json`, and skills in `skills/` and `skills-cursor/`. Cursor's JSON files
come from a VS Code fork and may hold comments, so they are read as JSONC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MANAGED,
    MCP_CONFIG,
    PROJECT,
    USER,
    ConfigSource,
    McpBlock,
    Runtime,
    SkillRoot,
    Status,
)
from beacon.inventory.telemetry import MISSING, hooks_status

NAME = "cursor"


def _enterprise_hooks(scope: Scope) -> Any:
    if scope.is_macos:
        return scope.system("/Library/Application Support/Cursor/hooks.json")
    if scope.is_windows:
        return scope.system("C:/ProgramData/Cursor/hooks.json")
    return scope.system("/etc/cursor/hooks.json")


def config_sources(scope: Scope) -> list[ConfigSource]:
    user, project = scope.home / ".cursor", scope.cwd / ".cursor"
    return [
        ConfigSource(NAME, user / "mcp.json", USER, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, project / "mcp.json", PROJECT, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, user / "hooks.json", USER, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, project / "hooks.json", PROJECT, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, _enterprise_hooks(scope), MANAGED, HOOK_CONFIG, "jsonc"),
    ]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    return named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)


def skill_roots(scope: Scope) -> list[SkillRoot]:
    return [
        SkillRoot(NAME, scope.home / ".cursor" / "skills", USER),
        SkillRoot(NAME, scope.home / ".cursor" / "skills-cursor", USER),
        SkillRoot(NAME, scope.cwd / ".cursor" / "skills", PROJECT),
        SkillRoot(NAME, scope.cwd / ".cursor" / "skills-cursor", PROJECT),
    ]


def telemetry(survey: Survey) -> Status:
    return MISSING, "Cursor has no OTLP export; it is observed through hooks"


def hooks(survey: Survey) -> str:
    return hooks_status(
        f for f in survey.files if f.source.runtime == NAME and f.source.kind == HOOK_CONFIG
    )


RUNTIME = Runtime(
    name=NAME,
    executables=("cursor", "cursor-agent"),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=mcp_entries,
    skill_roots=skill_roots,
)
