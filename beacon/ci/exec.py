"""`beacon ci exec -- CMD`: capture one command's agent telemetry, in one step.

Starts the temporary collector in this process, points the chosen agents at it through
the command's environment, runs the command, stops the collector (everything the agent
sent is written by then), validates, uploads and reports. Exits with the command's exit
code; when the command succeeded but validation failed, with 1 unless telemetry is not
required. If the collector cannot start and telemetry is not required, the command still
runs, without telemetry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from beacon.ci.agents import AgentEnv, Target, agent_environment, beacon_variables
from beacon.ci.child import run_child
from beacon.ci.collector import (
    ThreadedCollector,
    build_collector,
    collector_config,
    collector_stats,
)
from beacon.ci.events import run_started
from beacon.ci.outcome import Ending, Options, conclude, redacted
from beacon.ci.providers import RunMetadata, detect_run
from beacon.ci.report import say
from beacon.ci.session import Session, resolve_base_dir
from beacon.errors import CIError, UsageError

MODE = "exec"


def describe_run(run: RunMetadata) -> str:
    """`github_actions owner/repo run 123 attempt 2 job build`, or `not in CI`."""
    if not run.provider:
        return "not in CI"
    fields = run.run
    parts = [run.provider, str(fields.get("repository", ""))]
    for key, label in (("run_id", "run"), ("run_attempt", "attempt"), ("job", "job")):
        if fields.get(key):
            parts.append(f"{label} {fields[key]}")
    return " ".join(part for part in parts if part)


def exec_command(
    command: Sequence[str],
    options: Options,
    env: Mapping[str, str],
    out: TextIO,
    *,
    base_dir: Path | None = None,
    log_path: Path | None = None,
) -> Ending:
    """Run `command` under a temporary collector; see the module docstring."""
    from beacon.ingest import write_events

    if not command:
        raise UsageError("give the command after --, e.g. beacon ci exec -- claude -p 'hi'")
    session = Session.create(resolve_base_dir(env, base_dir=base_dir, log_path=log_path))
    run = detect_run(env, session.id)
    say(out, f"session {session.id}: {describe_run(run)}; log {session.log_path}")
    write_events(
        [run_started(run, MODE, options.harnesses, command)], collector_config(session, env)
    )
    collector = ThreadedCollector(build_collector(session, run, env))
    notes: list[str] = []
    grpc: str | None = None
    http: str | None = None
    stats: dict[str, Any] = {}
    agent = AgentEnv()
    try:
        grpc, http = collector.start()
    except CIError as exc:
        if options.require_telemetry:
            raise
        notes.append(f"{exc}; the command ran without telemetry")
        say(out, notes[-1])
    try:
        if grpc is not None and http is not None:
            say(out, f"collector listening otlp-grpc={grpc} otlp-http={http}")
            target = Target(grpc, http, session.base_dir)
            agent = agent_environment(
                options.harnesses, target, env, explicit=options.explicit_harnesses
            )
            stats = {"otlp_grpc": grpc, "otlp_http": http}
        agent.merge(
            beacon_variables(
                session.base_dir,
                session.log_path,
                session.spool_dir,
                session.id,
                http,
                strip_credentials=bool(options.uploads),
            )
        )
        for note in agent.notes:
            say(out, f"note: {note}")
        say(out, f"running {redacted(command)}")
        child = run_child(command, agent.apply(env))
        if child.error:
            say(out, child.error)
        say(out, f"command exited {child.exit_code}")
    finally:
        if http is not None:
            try:
                collector.stop()
            except CIError as exc:
                notes.append(str(exc))
            stats.update(collector_stats(collector.collector))
    return conclude(
        mode=MODE,
        session=session,
        run=run,
        options=options,
        env=env,
        out=out,
        child=child,
        command=command,
        collector=stats,
        codex_home=agent.codex_home,
        notes=[*agent.notes, *notes],
    )
