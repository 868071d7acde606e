"""Agent harnesses CI mode configures: one module each, and the list users choose from.

`--harness claude,codex` picks which agents to point at the temporary collector and whose
events count when validating; the default is every harness, counting any agent's events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

from beacon.ci.agents import claude, codex, gemini, otel
from beacon.ci.agents.base import AgentEnv, Target
from beacon.errors import ConfigError, UsageError

__all__ = [
    "HARNESSES",
    "UPLOAD_CREDENTIALS",
    "AgentEnv",
    "Target",
    "agent_environment",
    "beacon_variables",
    "parse_harnesses",
    "runtimes",
]

HARNESSES: dict[str, ModuleType] = {m.NAME: m for m in (claude, codex, gemini, otel)}
_ALIASES = {alias: m.NAME for m in HARNESSES.values() for alias in (m.NAME, *m.ALIASES)}


def parse_harnesses(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """Canonical harness names from a comma list (or several); empty or `all`: every one."""
    if values is None:
        return tuple(HARNESSES)
    if isinstance(values, str):
        values = [values]
    names: list[str] = []
    for value in values:
        for part in value.split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key == "all":
                return tuple(HARNESSES)
            name = _ALIASES.get(key)
            if name is None:
                known = ", ".join(sorted(HARNESSES))
                raise UsageError(f"--harness: unknown harness {part.strip()!r} (known: {known})")
            if name not in names:
                names.append(name)
    return tuple(names) or tuple(HARNESSES)


def runtimes(harnesses: Iterable[str]) -> frozenset[str] | None:
    """`harness.name` values that count for `harnesses`; None: any (generic OTel chosen)."""
    names: set[str] = set()
    for harness in harnesses:
        module = HARNESSES[harness]
        if not module.RUNTIMES:
            return None
        names.update(module.RUNTIMES)
    return frozenset(names)


def agent_environment(
    harnesses: Iterable[str], target: Target, env: Mapping[str, str], *, explicit: bool
) -> AgentEnv:
    """The environment changes for `harnesses`, merged.

    A harness that cannot be set up (an unreadable Codex config) fails the command when it
    was asked for by name (`explicit`), else it is left out with a note.
    """
    merged = AgentEnv()
    for name in harnesses:
        try:
            merged.merge(HARNESSES[name].environment(target, env))
        except ConfigError as exc:
            if explicit:
                raise
            merged.notes.append(f"{name}: not configured: {exc}")
    return merged


UPLOAD_CREDENTIALS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_GHA_CREDS_PATH",
    "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
    "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
)
"""Kept from the agent when Beacon uploads the log: the agent must not be able to reach (or
mint an OIDC token for) the bucket that receives its own audit trail."""


def beacon_variables(
    base_dir: Path,
    log_path: Path,
    spool_dir: Path,
    session_id: str,
    http: str | None,
    *,
    strip_credentials: bool,
) -> AgentEnv:
    """Beacon's own variables for the agent: the session's paths, and for `beacon-hooks`
    (if the agent runs it) the collector, log directory and spool of the session."""
    agent = AgentEnv(
        values={
            "BEACON_CI_BASE_DIR": str(base_dir),
            "BEACON_CI_LOG_PATH": str(log_path),
            "BEACON_CI_SESSION_ID": session_id,
            "BEACON_LOG_DIR": str(base_dir),
            "BEACON_SPOOL_DIR": str(spool_dir),
        }
    )
    if http:
        agent.values["BEACON_COLLECTOR_URL"] = f"http://{http}"
    if strip_credentials:
        agent.unset.update(UPLOAD_CREDENTIALS)
    return agent
