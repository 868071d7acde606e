"""`beacon ci start`: a background collector for agents that later steps launch.

For agents run by third-party actions, which Beacon cannot wrap. Starts the collector as a
detached process (it survives this step), writes the agent environment to `$GITHUB_ENV`
for every later step of the job, prints it as `export` lines for other CI systems
(`eval "$(beacon ci start)"`), and leaves `state.json` for `beacon ci finish`.
Variables the agent must not inherit cannot be taken out of later steps through
`$GITHUB_ENV`; they are set empty, which OpenTelemetry SDKs read as unset.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from beacon.ci.agents import Target, agent_environment, beacon_variables
from beacon.ci.background import MAX_LIFETIME_SECONDS
from beacon.ci.collector import READY_SECONDS, collector_config
from beacon.ci.events import run_started
from beacon.ci.exec import describe_run
from beacon.ci.outcome import Options
from beacon.ci.outputs import append_command_file, shell_exports
from beacon.ci.private import private_dir
from beacon.ci.providers import detect_run
from beacon.ci.report import say
from beacon.ci.session import STATE_FILE, Session, resolve_base_dir
from beacon.ci.state import STATE_VERSION, read_optional, write_json
from beacon.errors import CIError

MODE = "start-finish"


@dataclass(frozen=True)
class Started:
    """What `start` set up."""

    session: Session
    env: dict[str, str]
    unset: list[str]
    exports: str
    codex_home: Path | None


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie, where we can tell)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b") ", 1)[1][:1] != b"Z"
    except (OSError, IndexError):
        return True


def running_collector(base_dir: Path) -> int | None:
    """The pid of a session's background collector that is still running, if any."""
    status = read_optional(base_dir / "collector.json")
    if not status or status.get("status") not in ("starting", "running"):
        return None
    pid = status.get("pid")
    return pid if isinstance(pid, int) and process_alive(pid) else None


def _spawn(session: Session, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """The detached background collector, its output in `collector.log`."""
    fd = os.open(session.collector_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "beacon.ci.background", str(session.base_dir)],
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            env=dict(env),
            start_new_session=True,  # not in this step's process group: survives the step
            close_fds=True,
        )
    finally:
        os.close(fd)


def _wait_ready(session: Session, process: subprocess.Popen[bytes]) -> tuple[str, str]:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        status = read_optional(session.collector_path)
        if status and status.get("status") == "running" and status.get("pid") == process.pid:
            return str(status["otlp_grpc"]), str(status["otlp_http"])
        if process.poll() is not None:
            break
        time.sleep(0.02)
    if process.poll() is None:
        process.terminate()
    try:
        tail = session.collector_log.read_text(encoding="utf-8", errors="replace")[-2000:]
    except OSError:
        tail = ""
    raise CIError(f"the background collector did not start: {tail.strip() or 'no output'}")


def start_session(
    options: Options,
    env: Mapping[str, str],
    out: TextIO,
    *,
    base_dir: Path | None = None,
    log_path: Path | None = None,
) -> Started:
    """Start the background collector and hand the agent environment to later steps."""
    from beacon.ingest import write_events

    base = resolve_base_dir(env, base_dir=base_dir, log_path=log_path)
    private_dir(base)
    pid = running_collector(base)
    if pid is not None:
        raise CIError(f"a CI collector is already running in {base} (pid {pid}): run finish")
    session = Session.create(base)
    run = detect_run(env, session.id)
    state: dict[str, object] = {
        "version": STATE_VERSION,
        "session_id": session.id,
        "started_at": session.started_at,
        "base_dir": str(base),
        "harnesses": list(options.harnesses),
        "explicit_harnesses": options.explicit_harnesses,
        "max_seconds": MAX_LIFETIME_SECONDS,
        **run.to_json(),
    }
    write_json(session.state_path, state)
    session.collector_path.unlink(missing_ok=True)
    write_events([run_started(run, MODE, options.harnesses, None)], collector_config(session, env))
    process = _spawn(session, env)
    grpc, http = _wait_ready(session, process)
    try:
        agent = agent_environment(
            options.harnesses,
            Target(grpc, http, base),
            env,
            explicit=options.explicit_harnesses,
        )
    except Exception:
        process.terminate()
        raise
    agent.merge(
        beacon_variables(
            base, session.log_path, session.spool_dir, session.id, http, strip_credentials=False
        )
    )
    agent.values["BEACON_CI_STATE_PATH"] = str(session.state_path)
    unset = sorted(name for name in agent.unset if env.get(name))
    state.update(
        collector={"pid": process.pid, "otlp_grpc": grpc, "otlp_http": http},
        codex_home=str(agent.codex_home) if agent.codex_home else None,
        env=agent.values,
        unset=unset,
    )
    write_json(session.state_path, state)
    # GitHub cannot unset a variable for later steps; empty means unset to OTel SDKs.
    append_command_file(env.get("GITHUB_ENV"), {**agent.values, **dict.fromkeys(unset, "")})
    append_command_file(
        env.get("GITHUB_OUTPUT"),
        {
            "log-path": str(session.log_path),
            "state-path": str(session.state_path),
            "codex-home": str(agent.codex_home or ""),
            "session-id": session.id,
        },
    )
    say(out, f"session {session.id}: {describe_run(run)}; log {session.log_path}")
    say(out, f"background collector pid {process.pid}: otlp-grpc={grpc} otlp-http={http}")
    for note in agent.notes:
        say(out, f"note: {note}")
    if env.get("GITHUB_ENV"):
        say(out, f"agent environment written to $GITHUB_ENV ({len(agent.values)} variables)")
    say(out, f"run `beacon ci finish` when the agent is done (state {base / STATE_FILE})")
    exports = shell_exports(agent.values, unset)
    return Started(session, agent.values, unset, exports, agent.codex_home)
