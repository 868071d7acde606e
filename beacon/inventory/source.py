"""What a runtime module declares: its config files, MCP blocks, skill folders, and how to
read telemetry and hook status from its files. One `Runtime` per `sources/<runtime>.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from beacon.inventory.files import ParsedFile, Survey
    from beacon.inventory.scope import Scope

# `scope` of a config file, MCP server or skill.
USER, PROJECT, LOCAL, MANAGED = "user", "project", "local", "managed"

# `config_kind`: what a file is to its runtime.
NATIVE, MCP_CONFIG, HOOK_CONFIG, PLUGIN, MANAGED_CONFIG, STATE = (
    "native_config",
    "mcp_config",
    "hook_config",
    "plugin",
    "managed_config",
    "state",
)


@dataclass(frozen=True)
class ConfigSource:
    """One candidate config file of a runtime.

    `parser`: `json` (strict), `jsonc` (comments and trailing commas), `toml`, `yaml` or
    `text` (metadata only). `detects`: whether its presence alone means the runtime is
    installed (shared hook folders do not). `contents`: whether `--contents` may copy it
    (never for state files such as `~/.claude.json`, which hold history).
    """

    runtime: str
    path: Path
    scope: str
    kind: str
    parser: str
    detects: bool = True
    contents: bool = True


@dataclass(frozen=True)
class McpEntry:
    """One entry of an MCP block: a name and whatever the file holds for it."""

    name: str
    definition: Any
    scope: str
    block: str
    project_path: str | None = None


@dataclass
class McpBlock:
    """The MCP entries found in one file, and what did not have the documented shape."""

    entries: list[McpEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SkillRoot:
    """A folder whose sub-folders hold `SKILL.md` files."""

    runtime: str
    path: Path
    scope: str


Status = tuple[str, str]
"""(status, one line of evidence)."""


def _no_mcp(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
    return McpBlock()


def _no_skills(scope: Scope) -> list[SkillRoot]:
    return []


@dataclass(frozen=True)
class Runtime:
    """Everything the inventory knows about one agent runtime."""

    name: str
    executables: tuple[str, ...]
    config_sources: Callable[[Scope], list[ConfigSource]]
    telemetry: Callable[[Survey], Status]
    hooks: Callable[[Survey], str]
    mcp_entries: Callable[[ConfigSource, Mapping[str, Any]], McpBlock] = _no_mcp
    skill_roots: Callable[[Scope], list[SkillRoot]] = _no_skills


def files_of(survey: Survey, runtime: str, *kinds: str) -> list[ParsedFile]:
    """The existing files of `runtime` in `survey` (only those of `kinds`, when given), in
    declaration order."""
    return [
        f
        for f in survey.files
        if f.source.runtime == runtime and (not kinds or f.source.kind in kinds)
    ]
