"""Cursor: `mcp.json` and `hooks.json` in `~/.cursor/` and the project's `.cursor/`, the
enterprise `hooks.json`, and skills in `skills/` and `skills-cursor/`. Cursor's JSON files
come from a VS Code fork and may hold comments, so they are read as JSONC."""

from __future__ import annotations

from pathlib import Path

from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    MANAGED,
    MCP_CONFIG,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
    SkillRoot,
)
from beacon.inventory.telemetry import hooks_of, missing

NAME = "cursor"


def _enterprise_hooks(scope: Scope) -> Path:
    return scope.system_by_os(
        macos="/Library/Application Support/Cursor/hooks.json",
        windows="C:/ProgramData/Cursor/hooks.json",
        other="/etc/cursor/hooks.json",
    )


def config_sources(scope: Scope) -> list[ConfigSource]:
    user, project = scope.home / ".cursor", scope.cwd / ".cursor"
    return [
        ConfigSource(NAME, user / "mcp.json", USER, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, project / "mcp.json", PROJECT, MCP_CONFIG, "jsonc"),
        ConfigSource(NAME, user / "hooks.json", USER, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, project / "hooks.json", PROJECT, HOOK_CONFIG, "jsonc"),
        ConfigSource(NAME, _enterprise_hooks(scope), MANAGED, HOOK_CONFIG, "jsonc"),
    ]


def skill_roots(scope: Scope) -> list[SkillRoot]:
    return [
        SkillRoot(NAME, scope.home / ".cursor" / "skills", USER),
        SkillRoot(NAME, scope.home / ".cursor" / "skills-cursor", USER),
        SkillRoot(NAME, scope.cwd / ".cursor" / "skills", PROJECT),
        SkillRoot(NAME, scope.cwd / ".cursor" / "skills-cursor", PROJECT),
    ]


RUNTIME = Runtime(
    name=NAME,
    executables=("cursor", "cursor-agent"),
    config_sources=config_sources,
    telemetry=missing("Cursor has no OTLP export; it is observed through hooks"),
    hooks=hooks_of(NAME, HOOK_CONFIG),
    mcp_entries=block_at("mcpServers"),
    skill_roots=skill_roots,
)
