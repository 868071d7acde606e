"""One CI session: its id, start time and where its files live.

A session is one `beacon ci exec`, or one `beacon ci start` … `finish`. Its files sit in
one base directory: `--base-dir`, else the directory of `--log-path`, else
`$BEACON_CI_BASE_DIR`, else `$RUNNER_TEMP/beacon`, else `<system temp>/beacon`. Several
sessions may share it (two `exec` steps in one job append to one log); each event carries
`ci.session_id`, so validation and uploads take only their own session's lines.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from beacon.ci.private import private_dir
from beacon.errors import UsageError
from beacon.logfiles.names import RUNTIME_FILE
from beacon.schema.event import new_event_id, now_timestamp

BASE_DIR_ENV = "BEACON_CI_BASE_DIR"
SPOOL_DIR = "spool"
SUMMARY_FILE = "summary.json"
STATE_FILE = "state.json"
COLLECTOR_FILE = "collector.json"
COLLECTOR_LOG = "collector.log"


def resolve_base_dir(
    env: Mapping[str, str], *, base_dir: Path | None = None, log_path: Path | None = None
) -> Path:
    """The session directory for these flags and this environment (not created)."""
    if base_dir is not None:
        return base_dir.expanduser().absolute()
    if log_path is not None:
        log_path = log_path.expanduser().absolute()
        if log_path.name != RUNTIME_FILE:
            raise UsageError(
                f"--log-path {log_path}: the collector writes {RUNTIME_FILE}; "
                f"pass a path ending in /{RUNTIME_FILE} or use --base-dir"
            )
        return log_path.parent
    explicit = env.get(BASE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    runner_temp = env.get("RUNNER_TEMP")
    if runner_temp:
        return Path(runner_temp).expanduser().absolute() / "beacon"
    return Path(tempfile.gettempdir()) / "beacon"


@dataclass(frozen=True)
class Session:
    """A CI session's identity and file layout."""

    id: str
    base_dir: Path
    started_at: str

    @classmethod
    def create(cls, base_dir: Path) -> Session:
        """A new session in `base_dir` (created 0700)."""
        private_dir(base_dir)
        private_dir(base_dir / SPOOL_DIR)
        return cls(new_event_id(), base_dir, now_timestamp())

    @property
    def log_path(self) -> Path:
        """`runtime.jsonl`, the collector's log."""
        return self.base_dir / RUNTIME_FILE

    @property
    def spool_dir(self) -> Path:
        """Where `beacon-hooks` in the agent spools when the log is unwritable."""
        return self.base_dir / SPOOL_DIR

    @property
    def summary_path(self) -> Path:
        """`summary.json`: what the session did, for people and later steps."""
        return self.base_dir / SUMMARY_FILE

    @property
    def state_path(self) -> Path:
        """`state.json`: what `start` hands to `finish`."""
        return self.base_dir / STATE_FILE

    @property
    def collector_path(self) -> Path:
        """`collector.json`: the background collector's pid, addresses and status."""
        return self.base_dir / COLLECTOR_FILE

    @property
    def collector_log(self) -> Path:
        """The background collector's own output."""
        return self.base_dir / COLLECTOR_LOG
