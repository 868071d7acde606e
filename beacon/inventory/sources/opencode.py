"""OpenCode: `opencode.json`/`opencode.jsonc` in `~/.config/opencode/` and the project root
(`mcp` block: `type` `local` with a `command` array and `environment`, or `remote` with
`url` and `headers`), and plugin files in `plugins/` (Beacon's plugin is the hook)."""

from __future__ import annotations

from beacon.inventory.files import Survey, list_files
from beacon.inventory.mcp import block_at
from beacon.inventory.scope import Scope
from beacon.inventory.source import (
    NATIVE,
    PLUGIN,
    PROJECT,
    USER,
    ConfigSource,
    Runtime,
)
from beacon.inventory.telemetry import HOOK_COMMAND, INSTALLED, NOT_INSTALLED, missing

NAME = "opencode"
PLUGIN_MARKERS = (HOOK_COMMAND, "beacon-managed-opencode-plugin")


def config_sources(scope: Scope) -> list[ConfigSource]:
    user = scope.xdg_config / "opencode"
    sources = [
        ConfigSource(NAME, folder / name, level, NATIVE, "jsonc")
        for folder, level in ((user, USER), (scope.cwd, PROJECT))
        for name in ("opencode.json", "opencode.jsonc")
    ]
    for folder, level in ((user / "plugins", USER), (scope.cwd / ".opencode" / "plugins", PROJECT)):
        for suffix in (".ts", ".js"):
            sources += [
                ConfigSource(NAME, path, level, PLUGIN, "text", detects=False)
                for path in list_files(folder, suffix)
            ]
    return sources


def hooks(survey: Survey) -> str:
    for parsed in survey.files:
        text = parsed.text if parsed.source.runtime == NAME else None
        if parsed.source.kind == PLUGIN and text and any(m in text for m in PLUGIN_MARKERS):
            return INSTALLED
    return NOT_INSTALLED


RUNTIME = Runtime(
    name=NAME,
    executables=("opencode",),
    config_sources=config_sources,
    telemetry=missing("OpenCode has no OTLP export; it is observed through Beacon's plugin"),
    hooks=hooks,
    mcp_entries=block_at("mcp"),
)
