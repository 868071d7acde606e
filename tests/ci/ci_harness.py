"""Helpers for CI-mode tests: a simulated job's environment, `beacon ci` runs, results.

Every run gets a temporary HOME, TMPDIR and RUNNER_TEMP and none of the machine's
`BEACON_*`, `GITHUB_*`, `OTEL_*` or cloud credential variables.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
SDK_AGENT = HERE / "sdk_agent.py"
KEEP = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")


def clean_env(tmp: Path) -> dict[str, str]:
    """A minimal environment: PATH and locale, temporary HOME and TMPDIR."""
    env = {key: os.environ[key] for key in KEEP if key in os.environ}
    for name in ("home", "tmp"):
        (tmp / name).mkdir(exist_ok=True)
    env["HOME"] = str(tmp / "home")
    env["TMPDIR"] = str(tmp / "tmp")
    return env


def github_variables(run_id: str = "4242", attempt: str = "1") -> dict[str, str]:
    """What GitHub Actions sets for a pull_request job (a subset that covers `run`/`ci`)."""
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": attempt,
        "GITHUB_WORKFLOW": "agent review",
        "GITHUB_JOB": "review",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_REPOSITORY": "octo-org/agent-repo",
        "GITHUB_REPOSITORY_ID": "987654",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_ACTOR_ID": "583231",
        "GITHUB_TRIGGERING_ACTOR": "octocat",
        "GITHUB_HEAD_REF": "feature/agents",
        "GITHUB_BASE_REF": "main",
        "GITHUB_REF": "refs/pull/17/merge",
        "GITHUB_REF_NAME": "17/merge",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKFLOW_REF": (
            "octo-org/agent-repo/.github/workflows/review.yml@refs/pull/17/merge"
        ),
        "RUNNER_NAME": "GitHub Actions 3",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_ENVIRONMENT": "github-hosted",
    }


def parse_command_file(path: Path) -> dict[str, str]:
    """Read a GitHub command file (`NAME<<DELIM` … `DELIM` blocks, or `NAME=value`)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc:
            name, delimiter = heredoc.groups()
            end = lines.index(delimiter, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event of a JSONL file."""
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@dataclass
class CIJob:
    """One simulated CI job: its environment and where Beacon's artifacts land."""

    tmp: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def github(cls, tmp: Path, **extra: str) -> CIJob:
        """A GitHub Actions pull_request job with command files."""
        env = clean_env(tmp)
        (tmp / "runner").mkdir(exist_ok=True)
        env.update(github_variables())
        env.update(
            RUNNER_TEMP=str(tmp / "runner"),
            GITHUB_ENV=str(tmp / "github_env"),
            GITHUB_OUTPUT=str(tmp / "github_output"),
            GITHUB_STEP_SUMMARY=str(tmp / "step_summary.md"),
        )
        env.update(extra)
        return cls(tmp, env)

    @property
    def base_dir(self) -> Path:
        return Path(self.env["RUNNER_TEMP"]) / "beacon"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "runtime.jsonl"

    def events(self) -> list[dict[str, Any]]:
        return read_events(self.log_path)

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads((self.base_dir / "summary.json").read_bytes())
        return data

    def outputs(self) -> dict[str, str]:
        return parse_command_file(Path(self.env["GITHUB_OUTPUT"]))

    def github_env(self) -> dict[str, str]:
        return parse_command_file(Path(self.env["GITHUB_ENV"]))

    def beacon(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`beacon ARGS…` as a subprocess of this job."""
        return subprocess.run(
            [sys.executable, "-m", "beacon.cli", *args],
            env=env or self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def agent_command(*args: str) -> list[str]:
    """The stand-in OpenTelemetry SDK agent with these arguments."""
    return [sys.executable, str(SDK_AGENT), *args]
