"""CI providers: which CI system runs this job, and its run metadata for every event.

One module per provider, tried in order; the generic `CI=true` fallback comes last.
Outside CI there is no provider and events carry only `ci.session_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from beacon.ci.providers import buildkite, circleci, generic, github, gitlab

__all__ = ["PROVIDERS", "RunMetadata", "detect_run"]

PROVIDERS: tuple[ModuleType, ...] = (github, gitlab, buildkite, circleci, generic)
"""Tried in this order; the first whose `detect` answers True describes the job."""


@dataclass(frozen=True)
class RunMetadata:
    """The job's `run` (upstream 1.0 fields) and `ci` (1.1 additions) event objects."""

    run: dict[str, Any] = field(default_factory=dict)
    ci: dict[str, Any] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        """The provider's name (`github_actions`, `gitlab_ci`, …), "" outside CI."""
        return str(self.run.get("provider", ""))

    def context(self) -> dict[str, dict[str, Any]]:
        """The top-level objects every event of the job gets."""
        return {key: value for key, value in (("run", self.run), ("ci", self.ci)) if value}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy (for state and summary files)."""
        return {"run": dict(self.run), "ci": dict(self.ci)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunMetadata:
        """Read back `to_json`'s output."""
        run, ci = data.get("run"), data.get("ci")
        return cls(
            dict(run) if isinstance(run, dict) else {},
            dict(ci) if isinstance(ci, dict) else {},
        )


def detect_run(env: Mapping[str, str], session_id: str) -> RunMetadata:
    """The metadata of the job `env` describes, with the Beacon CI session's id."""
    for provider in PROVIDERS:
        if provider.detect(env):
            run, ci = provider.metadata(env)
            return RunMetadata(run, {"session_id": session_id, **ci})
    return RunMetadata({}, {"session_id": session_id})
