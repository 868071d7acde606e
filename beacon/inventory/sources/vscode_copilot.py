"""VS Code with GitHub Copilot Chat: user `settings.json` (`mcp.servers`, Copilot's OTel
settings) and `mcp.json` (`servers`) in the profile folder, and the workspace's
`.vscode/settings.json` and `.vscode/mcp.json`. VS Code files are JSONC (comments and
trailing commas), parsed with a JSON5 parser. Stable and Insiders builds are both read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beacon.inventory.files import Survey
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
    files_of,
)
from beacon.inventory.sources import copilot_cli
from beacon.inventory.telemetry import (
    DISABLED,
    ENABLED,
    MISCONFIGURED,
    by_precedence,
    hooks_of,
    loopback_endpoint,
    not_set,
    setting,
    truthy,
)

NAME = "vscode_copilot"
PROFILES = ("Code", "Code - Insiders")
DEFAULT_ENDPOINT = "http://localhost:4318"
OTEL = "github.copilot.chat.otel"


def config_sources(scope: Scope) -> list[ConfigSource]:
    sources = []
    for profile in PROFILES:
        user = scope.app_config(profile) / "User"
        sources += [
            ConfigSource(NAME, user / "settings.json", USER, NATIVE, "jsonc"),
            ConfigSource(NAME, user / "mcp.json", USER, MCP_CONFIG, "jsonc"),
        ]
    workspace = scope.cwd / ".vscode"
    sources += [
        ConfigSource(NAME, workspace / "settings.json", PROJECT, NATIVE, "jsonc", detects=False),
        ConfigSource(NAME, workspace / "mcp.json", PROJECT, MCP_CONFIG, "jsonc", detects=False),
    ]
    return sources


def mcp_entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    """`servers` in `mcp.json`; `mcp.servers` (nested or flat key) in `settings.json`."""
    if source.kind == MCP_CONFIG:
        return named_entries(document.get("servers"), where="servers", scope=source.scope)
    return named_entries(setting(document, "mcp.servers"), where="mcp.servers", scope=source.scope)


def telemetry(survey: Survey) -> Status:
    """Copilot Chat's `github.copilot.chat.otel.*` settings, workspace over user."""
    files = [f for f in files_of(survey, NAME) if f.source.kind == NATIVE]
    values: dict[str, Any] = {}
    where = ""
    for parsed, document in by_precedence(files, (USER, PROJECT)):
        for key in ("enabled", "exporterType", "otlpEndpoint"):
            value = setting(document, f"{OTEL}.{key}")
            if value is not None:
                values[key] = value
                where = str(parsed.source.path)
    if "enabled" not in values:
        return not_set(files, f"no {OTEL}.enabled in settings.json")
    if not truthy(values["enabled"]):
        return DISABLED, f"{OTEL}.enabled is false ({where})"
    exporter = str(values.get("exporterType", "otlp-http"))
    if exporter not in ("otlp-http", "otlp-grpc"):
        return MISCONFIGURED, f"{OTEL}.exporterType is {exporter[:16]}, not OTLP ({where})"
    endpoint = values.get("otlpEndpoint") or DEFAULT_ENDPOINT
    if not isinstance(endpoint, str) or not loopback_endpoint(endpoint):
        return MISCONFIGURED, f"{OTEL}.otlpEndpoint is not a loopback address ({where})"
    return ENABLED, f"{exporter} to loopback ({where})"


RUNTIME = Runtime(
    name=NAME,
    executables=("code", "code-insiders"),
    config_sources=config_sources,
    telemetry=telemetry,
    hooks=hooks_of(copilot_cli.NAME, HOOK_CONFIG),  # Copilot's hook files, shared with VS Code
    mcp_entries=mcp_entries,
)
