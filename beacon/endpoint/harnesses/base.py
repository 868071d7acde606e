"""The contract every harness module fulfils, and the records it returns.

A harness knows one agent's own config files: which to edit so the agent sends telemetry
(and hook events) to `beacon run`, how to take Beacon's part out again, and how to tell
whether the agent is configured right now. Edits are pure functions of bytes: the
install transaction does all reading, backing up and writing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings

ENABLED = "enabled"
DISABLED = "disabled"
MISSING = "missing"
MISCONFIGURED = "misconfigured"

HOOKS_INSTALLED = "installed"
HOOKS_MISSING = "missing"
HOOKS_UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class FileEdit:
    """One file a harness changes, and which of its edits (`kind`) changes it."""

    path: Path
    kind: str
    mode: int = 0o600


@dataclass(frozen=True)
class HarnessState:
    """Whether one agent sends telemetry to this endpoint's collector, with evidence."""

    name: str
    runtime: str
    status: str  # enabled | disabled | missing | misconfigured
    detail: str
    path: str | None = None
    hooks: str = HOOKS_UNSUPPORTED  # installed | missing | unsupported


class Harness(Protocol):
    """One agent runtime as endpoint setup sees it."""

    name: str  # the `--harness` value, e.g. "claude"
    runtime: str  # the canonical harness name in events, e.g. "claude_code"
    title: str  # for people, e.g. "Claude Code"
    supports_hooks: bool

    def detected(self, layout: Layout) -> bool:
        """Whether the agent looks installed (executable on PATH or its config dir)."""
        ...

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        """The files install changes for this agent with these settings."""
        ...

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        """The file's new bytes: `current` with Beacon's settings merged in."""
        ...

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        """`current` with Beacon's part taken out (values from `original` put back);
        None when nothing is left of a file Beacon created."""
        ...

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        """Whether the agent is set up to send to these ports right now."""
        ...

    def guidance(self, settings: EndpointSettings) -> list[str]:
        """Lines to print when the agent has no config file Beacon can edit (MDM, env)."""
        ...


def on_path(layout: Layout, *names: str) -> str | None:
    """The first of `names` found on the layout's PATH."""
    search = layout.env.get("PATH", os.defpath)
    for name in names:
        found = shutil.which(name, path=search)
        if found:
            return found
    return None


def reporter(harness: Harness, path: Path | None, hooks: str) -> Callable[[str, str], HarnessState]:
    """`state(status, detail)` for one check: the harness, the file it read (None: the
    environment) and its hooks state filled in."""
    where = None if path is None else str(path)

    def state(status: str, detail: str) -> HarnessState:
        return HarnessState(harness.name, harness.runtime, status, detail, where, hooks)

    return state
