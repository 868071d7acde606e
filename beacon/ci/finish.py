"""`beacon ci finish`: stop the background collector of `start`, then validate, upload, report.

The collector is stopped with SIGTERM and drains before it exits (`collector.json` then
says `stopped`); one that does not stop in time is killed and the report says so. What
reached the log is validated either way. Running `finish` twice reports again without
stopping anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from beacon.ci.agents import parse_harnesses
from beacon.ci.collector import STOP_SECONDS
from beacon.ci.outcome import Ending, Options, conclude
from beacon.ci.providers import RunMetadata
from beacon.ci.report import say
from beacon.ci.session import STATE_FILE, Session, resolve_base_dir
from beacon.ci.start import MODE, process_alive
from beacon.ci.state import read_json, read_optional, write_json
from beacon.schema.event import now_timestamp


def _is_background_collector(pid: int) -> bool:
    """Whether `pid` still runs our background collector (not a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"beacon.ci.background" in fh.read()
    except FileNotFoundError:
        return False
    except OSError:
        return process_alive(pid)  # no /proc (macOS): trust the pid


def stop_background(
    session: Session, timeout: float = STOP_SECONDS
) -> tuple[dict[str, Any], list[str]]:
    """Stop the session's background collector; (its last status, notes for the report)."""
    status = read_optional(session.collector_path) or {}
    notes: list[str] = []
    pid = status.get("pid")
    if status.get("status") not in ("starting", "running") or not isinstance(pid, int):
        if not status:
            notes.append("no background collector status: was `beacon ci start` run?")
        return status, notes
    if not _is_background_collector(pid):
        notes.append(f"the background collector (pid {pid}) had already exited")
        return status, notes
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = read_optional(session.collector_path) or {}
        if current.get("status") in ("stopped", "failed"):
            return current, notes
        if not process_alive(pid):
            break
        time.sleep(0.05)
    current = read_optional(session.collector_path) or status
    if current.get("status") not in ("stopped", "failed"):
        if process_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            notes.append(f"the background collector did not stop in {timeout:.0f} s; killed")
        else:
            notes.append("the background collector exited without recording its stop")
    return current, notes


def finish_session(
    options: Options | None,
    env: Mapping[str, str],
    out: TextIO,
    *,
    base_dir: Path | None = None,
    log_path: Path | None = None,
    state_path: Path | None = None,
) -> Ending:
    """Stop, validate, upload and report the session `start` began.

    `options.harnesses` empty: the harnesses chosen at `start`."""
    if state_path is None:
        state_path = resolve_base_dir(env, base_dir=base_dir, log_path=log_path) / STATE_FILE
    state = read_json(state_path, "CI session state")
    base = Path(str(state.get("base_dir") or state_path.parent))
    session = Session(str(state["session_id"]), base, str(state["started_at"]))
    run = RunMetadata.from_json(state)
    if options is None or not options.harnesses:
        chosen = parse_harnesses(state.get("harnesses") or None)
        explicit = bool(state.get("explicit_harnesses"))
        options = replace(options or Options(chosen), harnesses=chosen, explicit_harnesses=explicit)
    status, notes = stop_background(session)
    if status.get("otlp_grpc"):
        say(out, f"collector stopped (pid {status.get('pid')}): {status.get('status')}")
    state["finished_at"] = now_timestamp()
    write_json(state_path, state)
    collector: dict[str, Any] = {
        key: status[key]
        for key in ("otlp_grpc", "otlp_http", "status", "events_written", "records_received")
        if key in status
    }
    codex_home = state.get("codex_home")
    return conclude(
        mode=MODE,
        session=session,
        run=run,
        options=options,
        env=env,
        out=out,
        collector=collector,
        codex_home=Path(codex_home) if isinstance(codex_home, str) else None,
        notes=notes,
    )
