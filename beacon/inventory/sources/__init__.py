"""Every runtime the inventory knows, one module each; the order is the report's order."""

from __future__ import annotations

from beacon.inventory.source import Runtime
from beacon.inventory.sources import (
    claude_code,
    claude_desktop,
    codex_cli,
    copilot_cli,
    cursor,
    gemini_cli,
    opencode,
    vscode_copilot,
    windsurf,
)

RUNTIMES: tuple[Runtime, ...] = (
    claude_code.RUNTIME,
    codex_cli.RUNTIME,
    gemini_cli.RUNTIME,
    cursor.RUNTIME,
    vscode_copilot.RUNTIME,
    copilot_cli.RUNTIME,
    windsurf.RUNTIME,
    opencode.RUNTIME,
    claude_desktop.RUNTIME,
)

__all__ = ["RUNTIMES"]
