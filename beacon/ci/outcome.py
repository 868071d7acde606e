"""The end of a CI session, shared by `exec` and `finish`: validate, mark, upload, report,
and decide the exit code.

Exit code: the agent's when it failed (it is authoritative); else 1 when validation
failed and telemetry is required; else 1 when an upload failed and uploads are required;
else 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from beacon.ci.agents import runtimes
from beacon.ci.child import ChildResult
from beacon.ci.providers import RunMetadata
from beacon.ci.report import print_outcome, publish, write_summary
from beacon.ci.session import Session
from beacon.ci.upload import Upload, upload_session
from beacon.ci.validate import Validation, validate_log
from beacon.errors import BeaconError
from beacon.schema.event import now_timestamp


@dataclass(frozen=True)
class Options:
    """What the user asked of a session."""

    harnesses: tuple[str, ...]
    explicit_harnesses: bool = False
    min_events: int = 1
    require_telemetry: bool = True
    uploads: tuple[str, ...] = ()
    require_upload: bool = False


def exit_code(
    child: ChildResult | None, validation: Validation, uploads: Sequence[Upload], options: Options
) -> int:
    """The session's exit code (see the module docstring)."""
    if child is not None and child.exit_code != 0:
        return child.exit_code
    if not validation.ok and options.require_telemetry:
        return 1
    if options.require_upload and any(u.status != "ok" for u in uploads):
        return 1
    return 0


def redacted(command: Sequence[str] | None) -> str | None:
    """The command line for the summary, secrets redacted as in the log."""
    if not command:
        return None
    from beacon.ci.events import command_line
    from beacon.pipeline.redact import Redactor

    return Redactor(prefilter=False).redact_text(command_line(command))[0]


@dataclass
class Ending:
    """What `conclude` decided and wrote."""

    exit_code: int
    summary: dict[str, Any]


def conclude(
    *,
    mode: str,
    session: Session,
    run: RunMetadata,
    options: Options,
    env: Mapping[str, str],
    out: TextIO,
    child: ChildResult | None = None,
    command: Sequence[str] | None = None,
    collector: dict[str, Any] | None = None,
    codex_home: Path | None = None,
    notes: Sequence[str] = (),
) -> Ending:
    """Validate the session's events, write `ci.run_completed`, upload, summarize."""
    from beacon.ci.collector import collector_config
    from beacon.ci.events import run_completed
    from beacon.ingest import write_events

    notes = list(notes)
    validation = validate_log(
        session.log_path,
        min_events=options.min_events,
        runtimes=runtimes(options.harnesses),
        harnesses=options.harnesses if options.explicit_harnesses else (),
        session_id=session.id,
    )
    try:
        marker = run_completed(run, mode, validation, child, command)
        write_events([marker], collector_config(session, env))
    except (BeaconError, OSError) as exc:  # reported; the agent's events are what matter
        notes.append(f"could not write ci.run_completed: {exc}")
    uploads = upload_session(
        options.uploads, session.log_path, run, session.id, session.started_at, env
    )
    code = exit_code(child, validation, uploads, options)
    summary: dict[str, Any] = {
        "status": validation.status,
        "exit_code": code,
        "mode": mode,
        "session_id": session.id,
        "started_at": session.started_at,
        "finished_at": now_timestamp(),
        "base_dir": str(session.base_dir),
        "log_path": str(session.log_path),
        "summary_path": str(session.summary_path),
        "codex_home": str(codex_home) if codex_home else None,
        "harnesses": list(options.harnesses),
        "command": redacted(command),
        "child": None
        if child is None
        else {
            "exit_code": child.exit_code,
            "signal": child.signal,
            "duration_seconds": round(child.duration_seconds, 3),
            "error": child.error,
        },
        **run.to_json(),
        "collector": collector or {},
        "validation": validation.to_json(),
        "uploads": [u.to_json() for u in uploads],
        "require_telemetry": options.require_telemetry,
        "notes": notes,
    }
    write_summary(session, summary)
    print_outcome(summary, out)
    publish(summary, env)
    return Ending(code, summary)
