"""Codex CLI: a temporary `CODEX_HOME` whose `config.toml` is the user's with `[otel]` replaced.

Codex reads telemetry settings only from `$CODEX_HOME/config.toml` (runtimes.md §3.1). The
temporary home starts from the user's own (`$CODEX_HOME`, else `~/.codex`), so model,
provider, profiles and MCP servers survive; tomlkit keeps every other line and comment.
The auth files are copied (0600, where Codex keeps them); other configuration (AGENTS.md,
prompts, skills, rules, hooks) is linked; what Codex writes during the run (sessions,
logs, history) stays in the temporary home. The user's own files are only read.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from beacon.ci.agents.base import AgentEnv, Env, Target
from beacon.ci.private import private_dir, write_private
from beacon.errors import ConfigError
from beacon.runtimes import codex_cli

NAME = "codex"
ALIASES = ("codex_cli", "codex-cli")
RUNTIMES = ("codex_cli",)
HOME_DIR = "codex-home"
CONFIG = "config.toml"
AUTH_FILES = ("auth.json", ".credentials.json")
"""Login (API key or ChatGPT tokens) and MCP OAuth credentials, copied 0600."""
RUN_STATE = (
    "sessions",
    "archived_sessions",
    "log",
    "history.jsonl",
    "version.json",
    "models_cache.json",
    "shell_snapshots",
    "thread-writer-locks",
    ".sandbox_migration",
    "tmp",
    ".tmp",
    "*.sqlite",
    "*.sqlite-*",
    "*.db",
    "*.db-*",
)
"""What Codex writes while it runs: kept out of the user's home, so not linked."""


def user_codex_home(env: Env) -> Path:
    """Where the user's Codex configuration lives: `$CODEX_HOME`, else `~/.codex`."""
    explicit = env.get("CODEX_HOME", "")
    if explicit:
        return Path(explicit).expanduser()
    home = env.get("HOME", "")
    return (Path(home) if home else Path.home()) / ".codex"


def otel_table(target: Target) -> Table:
    """The `[otel]` table: logs and metrics over OTLP/HTTP protobuf, prompts included
    (redacted before writing). No trace exporter: the collector drops Codex spans."""
    return codex_cli.otel_table(target.http_url, log_user_prompt=True, environment="ci")


def config_text(source: Path, target: Target) -> str:
    """The user's `config.toml` (or an empty one) with only `[otel]` replaced."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the Codex config: {exc}") from None
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{source}: invalid TOML in the Codex config: {exc}") from None
    codex_cli.set_otel(doc, otel_table(target))
    return tomlkit.dumps(doc)


def _run_state(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in RUN_STATE)


def build_home(source: Path, home: Path, target: Target) -> list[str]:
    """Make `home` the temporary Codex home for `source`; returns notes for the report.

    Safe to call again for the same session directory: the config and auth files are
    rewritten, links added, and what an earlier run wrote there is kept.
    """
    config = config_text(source / CONFIG, target)
    private_dir(home)
    write_private(home / CONFIG, config)
    notes: list[str] = []
    for name in AUTH_FILES:
        original = source / name
        if original.is_file():
            write_private(home / name, original.read_bytes())
    try:
        entries = sorted(os.listdir(source))
    except OSError:
        entries = []  # no Codex home yet: Codex starts from the written config alone
    for name in entries:
        if name == CONFIG or name in AUTH_FILES or _run_state(name):
            continue
        link = home / name
        if link.is_symlink() or link.exists():
            continue
        try:
            link.symlink_to(source / name)
        except OSError:
            if (source / name).is_file():
                shutil.copy2(source / name, link)
            else:
                notes.append(f"codex: could not link {source / name} into {home}")
    return notes


def environment(target: Target, env: Env) -> AgentEnv:
    """`CODEX_HOME` pointing at the session's temporary Codex home."""
    home = target.base_dir / HOME_DIR
    notes = build_home(user_codex_home(env), home, target)
    return AgentEnv(values={"CODEX_HOME": str(home)}, codex_home=home, notes=notes)
