"""One module per agent harness endpoint setup can configure; this is the registry.

`HARNESSES` maps each `--harness` name to its module's `HARNESS`; `resolve` turns a
comma list (with the runtime aliases events use, e.g. `claude_code`) into harnesses.
"""

from __future__ import annotations

from beacon.endpoint.harnesses.base import FileEdit, Harness, HarnessState
from beacon.endpoint.harnesses.claude import HARNESS as CLAUDE
from beacon.endpoint.harnesses.codex import HARNESS as CODEX
from beacon.endpoint.harnesses.copilot import HARNESS as COPILOT
from beacon.endpoint.harnesses.cursor import HARNESS as CURSOR
from beacon.endpoint.harnesses.gemini import HARNESS as GEMINI
from beacon.endpoint.harnesses.vscode import HARNESS as VSCODE
from beacon.endpoint.layout import Layout
from beacon.errors import UsageError

__all__ = ["HARNESSES", "FileEdit", "Harness", "HarnessState", "detected", "resolve"]

HARNESSES: dict[str, Harness] = {
    h.name: h for h in (CLAUDE, CODEX, GEMINI, CURSOR, VSCODE, COPILOT)
}
_ALIASES = {h.runtime: h.name for h in HARNESSES.values()} | {
    "claude-code": "claude",
    "codex-cli": "codex",
    "gemini-cli": "gemini",
    "copilot-cli": "copilot",
    "vscode-copilot": "vscode",
}


def resolve(names: str) -> list[Harness]:
    """Harnesses named by a comma list (`all` = every one), in registry order."""
    wanted: set[str] = set()
    for raw in names.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name == "all":
            wanted.update(HARNESSES)
            continue
        name = _ALIASES.get(name, name)
        if name not in HARNESSES:
            raise UsageError(
                f"--harness: unknown harness {raw.strip()!r} (known: {', '.join(HARNESSES)}, all)"
            )
        wanted.add(name)
    if not wanted:
        raise UsageError("--harness: give at least one harness")
    return [h for name, h in HARNESSES.items() if name in wanted]


def detected(layout: Layout) -> list[Harness]:
    """The harnesses whose agent looks installed on this endpoint."""
    return [h for h in HARNESSES.values() if h.detected(layout)]
