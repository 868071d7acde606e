"""Where endpoint setup reads and writes: the user's home, Beacon's state and log dirs.

One `Layout` per run. User mode keeps everything under `$HOME`; system mode uses
`/var/lib/beacon-agent` and `/var/log/beacon-agent` and still edits the agent configs of
one user (the one who ran `sudo`). `root` prefixes every system path so tests can run a
system-mode install inside a temporary directory.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from beacon.config import DEFAULT_LOG_DIR, SYSTEM_LOG_DIR, SYSTEM_STATE_DIR, state_dir

MANIFEST_FILE = "install-manifest.json"
JOURNAL_FILE = "install-journal.json"
BACKUP_DIR = "backups"
SYSTEM_CONFIG_FILE = "beacon.toml"


@dataclass(frozen=True)
class Layout:
    """The paths of one endpoint: whose agents, where state, logs and services live."""

    home: Path
    state_dir: Path
    default_log_dir: Path
    system: bool = False
    root: Path = Path("/")
    env: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    platform: str = sys.platform
    owner: tuple[int, int] | None = None  # (uid, gid) for agent files in system mode

    @classmethod
    def detect(
        cls,
        *,
        system: bool = False,
        env: Mapping[str, str] | None = None,
        root: Path = Path("/"),
        platform: str = sys.platform,
    ) -> Layout:
        """The layout for this process: `$HOME` (or `$SUDO_USER`'s home in system mode)."""
        env = dict(os.environ if env is None else env)
        home = Path(env.get("HOME") or Path("~").expanduser())
        owner = None
        sudo_user = env.get("SUDO_USER")
        if system and sudo_user and sudo_user != "root":
            try:
                entry = pwd.getpwnam(sudo_user)
            except KeyError:
                entry = None
            if entry is not None:
                home, owner = Path(entry.pw_dir), (entry.pw_uid, entry.pw_gid)
        if system:
            explicit = env.get("BEACON_STATE_DIR")
            state = Path(explicit) if explicit else _under(root, SYSTEM_STATE_DIR)
            logs = _under(root, SYSTEM_LOG_DIR)
        else:
            state = state_dir({**env, "HOME": str(home)})
            logs = home / DEFAULT_LOG_DIR.removeprefix("~/")
        return cls(home, state, logs, system, root, env, platform, owner)

    def other_mode(self) -> Layout:
        """The same machine seen from the other mode (for the runtime-log source check)."""
        env = {k: v for k, v in self.env.items() if k != "BEACON_STATE_DIR"}
        env["HOME"] = str(self.home)
        return Layout.detect(
            system=not self.system, env=env, root=self.root, platform=self.platform
        )

    @property
    def mode(self) -> str:
        """`system` or `user`."""
        return "system" if self.system else "user"

    @property
    def manifest_path(self) -> Path:
        """The record of what install changed."""
        return self.state_dir / MANIFEST_FILE

    @property
    def journal_path(self) -> Path:
        """What an install in progress has changed so far; left behind only by a crash."""
        return self.state_dir / JOURNAL_FILE

    @property
    def backup_dir(self) -> Path:
        """Copies of files as they were before Beacon first changed them."""
        return self.state_dir / BACKUP_DIR

    @property
    def system_config_path(self) -> Path:
        """The `beacon.toml` a system-mode service runs with (writer mode `system`)."""
        return self.state_dir / SYSTEM_CONFIG_FILE

    def system_path(self, path: str) -> Path:
        """An absolute system path under `root`."""
        return _under(self.root, path)

    @property
    def xdg_config_home(self) -> Path:
        """`$XDG_CONFIG_HOME` or `~/.config` (systemd user units, VS Code on Linux)."""
        value = self.env.get("XDG_CONFIG_HOME") if not self.system else None
        return Path(value) if value else self.home / ".config"

    @property
    def is_macos(self) -> bool:
        """Whether paths follow macOS conventions."""
        return self.platform == "darwin"


def _under(root: Path, path: str) -> Path:
    return root / path.lstrip("/")
