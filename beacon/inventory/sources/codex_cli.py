"""Codex CLI: `config.toml` (`[mcp_servers.<name>]`, `[otel]`, `notify`) and `hooks.json`
in `$CODEX_HOME` (default `~/.codex`) and the project's `.codex/`; skills in `skills/`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beacon.inventory.files import Survey
from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    HOOK_CONFIG,
    NATIVE,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
    SkillRoot,
    Status,
    files_of,
)
from beacon.inventory.telemetry import (
    DISABLED,
    ENABLED,
    INSTALLED,
    MISCONFIGURED,
    MISSING,
    hooks_status,
    loopback_endpoint,
    mentions_beacon_hooks,
)

NAME = "codex_cli"


def codex_home(scope: Scope) -> Path:
    """`$CODEX_HOME`, else `~/.codex`."""
    return scope.env_dir("CODEX_HOME", scope.home / ".codex")


def config_sources(scope: Scope) -> list[ConfigSource]:
    user, project = codex_home(scope), scope.cwd / ".codex"
    return [
        ConfigSource(NAME, user / "config.toml", USER, NATIVE, "toml"),
        ConfigSource(NAME, user / "hooks.json", USER, HOOK_CONFIG, "json"),
        ConfigSource(NAME, project / "config.toml", PROJECT, NATIVE, "toml"),
        ConfigSource(NAME, project / "hooks.json", PROJECT, HOOK_CONFIG, "json"),
    ]


def skill_roots(scope: Scope) -> list[SkillRoot]:
    return [
        SkillRoot(NAME, codex_home(scope) / "skills", USER),
        SkillRoot(NAME, scope.cwd / ".codex" / "skills", PROJECT),
    ]


def _exporter(value: Any) -> tuple[str, str | None]:
    """(kind, endpoint) of an `[otel]` exporter: `none`, `statsig`, `otlp-http`/`otlp-grpc`."""
    if value is None:
        return "none", None
    if isinstance(value, str):
        return value, None
    if isinstance(value, Mapping):
        for kind in ("otlp-http", "otlp-grpc"):
            table = value.get(kind)
            if isinstance(table, Mapping):
                endpoint = table.get("endpoint")
                return kind, endpoint if isinstance(endpoint, str) else None
        return "unknown", None
    return "unknown", None


def telemetry(survey: Survey) -> Status:
    """The user `config.toml` `[otel]` table (a project file cannot redirect telemetry)."""
    user = [f for f in files_of(survey, NAME) if f.source.scope == USER and f.source.kind == NATIVE]
    if not user:
        return MISSING, "no config.toml"
    parsed = user[0]
    path = parsed.source.path
    if parsed.document is None:
        return MISCONFIGURED, f"{path} could not be read or parsed"
    otel = parsed.document.get("otel")
    if otel is None:
        return MISSING, f"no [otel] table in {path}"
    if not isinstance(otel, Mapping):
        return MISCONFIGURED, f"otel is not a table in {path}"
    logs_kind, logs_endpoint = _exporter(otel.get("exporter"))
    metrics_kind, _ = _exporter(otel.get("metrics_exporter"))
    if logs_kind.startswith("otlp-"):
        if not logs_endpoint:
            return MISCONFIGURED, f"[otel] exporter {logs_kind} has no endpoint in {path}"
        if not loopback_endpoint(logs_endpoint):
            return MISCONFIGURED, f"[otel] exporter {logs_kind} endpoint is not loopback in {path}"
        return ENABLED, f"[otel] exporter {logs_kind} to loopback in {path}"
    if metrics_kind.startswith("otlp-"):
        return MISCONFIGURED, f"[otel] exports metrics but no events (exporter = none) in {path}"
    if logs_kind in ("none", "statsig"):
        return DISABLED, f"[otel] exporter is {logs_kind} in {path}"
    return MISCONFIGURED, f"[otel] exporter has an unknown shape in {path}"


def hooks(survey: Survey) -> str:
    files = files_of(survey, NAME)
    for parsed in files:
        document = parsed.document if parsed.source.kind == NATIVE else None
        if document is not None and mentions_beacon_hooks(document.get("notify")):
            return INSTALLED
    return hooks_status(f for f in files if f.source.kind == HOOK_CONFIG)


RUNTIME = Runtime(
    name=NAME,
    executables=("codex",),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks,
    mcp_entries=block_at("mcp_servers"),
    skill_roots=skill_roots,
)
