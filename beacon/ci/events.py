"""The events CI mode writes itself: `ci.run_started` and `ci.run_completed`.

They bracket the agent's events in the log with what Beacon saw (the command, its exit
code, how many events arrived, whether validation passed), so the log shows its own
completeness; a SIEM can alert on a run whose telemetry went missing. Harness `ci` marks
them, and validation never counts them. Written through the one ingest path
(`beacon.ingest.write_events`: redaction of the command line included).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from beacon.schema.event import Event, new_event

if TYPE_CHECKING:
    from beacon.ci.child import ChildResult
    from beacon.ci.providers import RunMetadata
    from beacon.ci.validate import Validation

CI_HARNESS = "ci"


def command_line(command: Sequence[str]) -> str:
    """The command as a shell would show it (redacted later, with the event)."""
    return shlex.join(command)


def _base(action: str, message: str, run: RunMetadata, **fields: Any) -> Event:
    context: dict[str, Any] = run.context()
    return new_event(action, harness=CI_HARNESS, message=message, origin="ci", **context, **fields)


def run_started(
    run: RunMetadata, mode: str, harnesses: Sequence[str], command: Sequence[str] | None
) -> Event:
    """`ci.run_started`: the session began; its collector is about to listen."""
    what = command_line(command) if command else "agents launched by later steps"
    fields: dict[str, Any] = {"raw": {"ci": {"mode": mode, "harnesses": list(harnesses)}}}
    if command:
        fields["command"] = {"command": command_line(command)}
    return _base("ci.run_started", f"Beacon CI session started: {what}", run, **fields)


def run_completed(
    run: RunMetadata,
    mode: str,
    validation: Validation,
    child: ChildResult | None,
    command: Sequence[str] | None,
) -> Event:
    """`ci.run_completed`: how the agent ended and what telemetry arrived."""
    fields: dict[str, Any] = {
        "raw": {
            "ci": {
                "mode": mode,
                "validation": validation.status,
                "events": validation.event_count,
                "by_harness": validation.by_harness,
                "invalid_lines": validation.invalid_lines,
            }
        }
    }
    message = f"Beacon CI session completed: {validation.event_count} agent event(s)"
    if child is not None:
        fields["command"] = {
            "command": command_line(command or ()),
            "exit_code": child.exit_code,
            "duration_ms": round(child.duration_seconds * 1000),
        }
        message += f", command exited {child.exit_code}"
    # An agent that ran but left no telemetry is worth a look: misconfigured or tampered.
    severity = "medium" if not validation.ok else None
    return _base("ci.run_completed", message, run, severity=severity, **fields)
