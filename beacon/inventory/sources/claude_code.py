"""Claude Code: `~/.claude.json` (user and per-project `mcpServers`), `settings.json` at
user, project, local and managed scope (telemetry `env`, `hooks`), `.mcp.json`, managed
`managed-mcp.json`, and skills under `~/.claude/skills` and `.claude/skills`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import merge, named_entries
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    LOCAL,
    MANAGED,
    MANAGED_CONFIG,
    MCP_CONFIG,
    NATIVE,
    PROJECT,
    STATE,
    USER,
    ConfigSource,
    McpBlock,
    Runtime,
    SkillRoot,
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

NAME = "claude_code"


def claude_dir(scope: Scope) -> Path:
    """`$CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    return scope.env_dir("CLAUDE_CONFIG_DIR", scope.home / ".claude")


def managed_dir(scope: Scope) -> Path:
    """Where managed (enterprise policy) settings live on this OS."""
    return scope.system_by_os(
        macos="/Library/Application Support/ClaudeCode",
        windows="C:/Program Files/ClaudeCode",
        other="/etc/claude-code",
    )


def config_sources(scope: Scope) -> list[ConfigSource]:
    user, project, managed = claude_dir(scope), scope.cwd / ".claude", managed_dir(scope)
    return [
        ConfigSource(NAME, scope.home / ".claude.json", USER, STATE, "json", contents=False),
        ConfigSource(NAME, user / "settings.json", USER, NATIVE, "json"),
        ConfigSource(NAME, project / "settings.json", PROJECT, NATIVE, "json"),
        ConfigSource(NAME, project / "settings.local.json", LOCAL, NATIVE, "json"),
        ConfigSource(NAME, scope.cwd / ".mcp.json", PROJECT, MCP_CONFIG, "json"),
        ConfigSource(NAME, managed / "managed-settings.json", MANAGED, MANAGED_CONFIG, "json"),
        ConfigSource(NAME, managed / "managed-mcp.json", MANAGED, MANAGED_CONFIG, "json"),
    ]


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    """Top-level `mcpServers`; in `~/.claude.json` also `projects.<path>.mcpServers`."""
    top = named_entries(document.get("mcpServers"), where="mcpServers", scope=source.scope)
    if source.kind != STATE:
        return top
    projects = document.get("projects")
    blocks = [top]
    if isinstance(projects, Mapping):
        for path, project in projects.items():
            if isinstance(project, Mapping) and "mcpServers" in project:
                where = "projects[*].mcpServers"
                blocks.append(
                    named_entries(
                        project["mcpServers"], where=where, scope=LOCAL, project_path=str(path)
                    )
                )
    elif projects is not None:
        blocks.append(McpBlock(problems=["projects is not an object"]))
    return merge(*blocks)


def skill_roots(scope: Scope) -> list[SkillRoot]:
    return [
        SkillRoot(NAME, claude_dir(scope) / "skills", USER),
        SkillRoot(NAME, scope.cwd / ".claude" / "skills", PROJECT),
    ]


_PRECEDENCE = (USER, PROJECT, LOCAL, MANAGED)  # lowest first: managed settings win


def telemetry(survey: Survey) -> Status:
    """Telemetry from the merged `env` blocks of the settings files (managed wins)."""
    settings = [
        f
        for f in files_of(survey, NAME)
        if f.source.path.name.endswith("settings.json")
        or f.source.path.name == "settings.local.json"
    ]
    env: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for parsed, document in by_precedence(settings, _PRECEDENCE):
        block = document.get("env")
        if isinstance(block, Mapping):
            for key, value in block.items():
                env[str(key)] = value
                origin[str(key)] = str(parsed.source.path)
    switch = env.get("CLAUDE_CODE_ENABLE_TELEMETRY")
    otel = [k for k in env if k.startswith("OTEL_")]
    if switch is None and not otel:
        return not_set(settings, "no CLAUDE_CODE_ENABLE_TELEMETRY in any settings.json env block")
    where = origin.get("CLAUDE_CODE_ENABLE_TELEMETRY", origin.get(otel[0], "") if otel else "")
    if not truthy(switch):
        return DISABLED, f"CLAUDE_CODE_ENABLE_TELEMETRY is not 1 ({where})"
    exporters = [str(env.get(k, "")) for k in ("OTEL_LOGS_EXPORTER", "OTEL_METRICS_EXPORTER")]
    if not any("otlp" in e for e in exporters):
        return (
            MISCONFIGURED,
            f"neither OTEL_LOGS_EXPORTER nor OTEL_METRICS_EXPORTER is otlp ({where})",
        )
    protocol = env.get("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
    if not protocol:
        return MISCONFIGURED, f"OTEL_EXPORTER_OTLP_PROTOCOL is not set ({where})"
    endpoint_key = next(
        (
            k
            for k in ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
            if env.get(k)
        ),
        None,
    )
    if endpoint_key is None:
        return ENABLED, f"OTLP {protocol} to the default endpoint (localhost) ({where})"
    if not loopback_endpoint(str(env[endpoint_key])):
        return MISCONFIGURED, f"{endpoint_key} is not a loopback address ({origin[endpoint_key]})"
    return ENABLED, f"OTLP {protocol} to {endpoint_key} on loopback ({origin[endpoint_key]})"


RUNTIME = Runtime(
    name=NAME,
    executables=("claude",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks_of(NAME, NATIVE, MANAGED_CONFIG),
    mcp_entries=mcp_entries,
    skill_roots=skill_roots,
)
