"""Where to look: the user scope (a home directory), the project scope (a working
directory), the environment and the operating system's conventional paths."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SYSTEM_ROOT_ENV = "BEACON_INVENTORY_SYSTEM_ROOT"
"""Prefix for machine-wide paths (`/etc/...`, `/Library/...`): tests and image scans."""


@dataclass(frozen=True)
class Scope:
    """The inputs of one inventory: whose home, which project, which env and OS."""

    home: Path
    cwd: Path
    env: Mapping[str, str]
    platform: str = sys.platform
    system_root: Path = Path("/")

    @classmethod
    def of(
        cls,
        home: Path | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        platform: str | None = None,
    ) -> Scope:
        """A scope from explicit parts; missing ones come from `$HOME`, the cwd and the OS."""
        env = dict(os.environ if env is None else env)
        if home is None:
            home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        return cls(
            home=Path(home),
            cwd=Path.cwd() if cwd is None else Path(cwd),
            env=env,
            platform=platform or sys.platform,
            system_root=Path(env.get(SYSTEM_ROOT_ENV) or "/"),
        )

    @property
    def is_macos(self) -> bool:
        return self.platform == "darwin"

    @property
    def is_windows(self) -> bool:
        return self.platform in ("win32", "cygwin")

    def system(self, path: str) -> Path:
        """An absolute machine-wide path, under `system_root`."""
        return self.system_root / path.lstrip("/\\")

    def system_by_os(self, *, macos: str, windows: str, other: str) -> Path:
        """A machine-wide path that differs per OS (`other`: Linux and the rest), as `system`."""
        return self.system(macos if self.is_macos else windows if self.is_windows else other)

    def env_dir(self, name: str, default: Path) -> Path:
        """A directory named by an env var (`$CODEX_HOME`, `$CLAUDE_CONFIG_DIR`), else `default`."""
        value = self.env.get(name)
        return Path(value).expanduser() if value else default

    @property
    def xdg_config(self) -> Path:
        """`$XDG_CONFIG_HOME`, else `~/.config`."""
        return self.env_dir("XDG_CONFIG_HOME", self.home / ".config")

    def app_config(self, name: str) -> Path:
        """An application's per-user config folder: XDG on Linux, Application Support on
        macOS, `%APPDATA%` on Windows (VS Code, Cursor and Windsurf keep `User/` there)."""
        if self.is_macos:
            return self.home / "Library" / "Application Support" / name
        if self.is_windows:
            return self.env_dir("APPDATA", self.home / "AppData" / "Roaming") / name
        return self.xdg_config / name
