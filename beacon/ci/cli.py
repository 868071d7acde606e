"""`beacon ci exec|start|finish|validate`: agent telemetry for one CI job, no service needed.

Only argparse here; the library (and its collector imports) load inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

CI_HELP = """\
Capture AI coding-agent telemetry for one CI job: a temporary collector on free loopback
ports, the agent pointed at it through its environment, the log validated and optionally
uploaded. `exec` wraps one command; `start`/`finish` bracket agents launched by other
steps; `validate` checks an existing log. See docs/ci.md.
"""
EXEC_HELP = """\
Run CMD with agent telemetry captured: starts a temporary collector, configures the chosen
harnesses (Claude Code, Codex CLI, Gemini CLI, any OpenTelemetry SDK program) through
CMD's environment, runs CMD, stops the collector after the final flush, validates,
uploads, and exits with CMD's exit code. When CMD succeeded but validation failed, exits
1 unless --require-telemetry false. Artifacts (runtime.jsonl, spool/, summary.json) go to
$RUNNER_TEMP/beacon (else the system temp dir). SIGTERM/SIGINT are forwarded to CMD.
"""
START_HELP = """\
Start a background collector for agents that later steps launch: writes the agent
environment to $GITHUB_ENV (and prints it as export lines for other CI systems) and a
state file for `beacon ci finish`.
"""
FINISH_HELP = """\
Stop the background collector of `beacon ci start`, then validate, upload and report.
Exits 1 when validation failed unless --require-telemetry false.
"""
VALIDATE_HELP = """\
Check an existing runtime.jsonl (and its rotated archives): every line a valid event, and
at least --min-events events of the chosen harnesses. Exits 0 (ok or warn) or 1 (fail).
"""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-path",
        type=Path,
        metavar="PATH",
        help="the session's runtime.jsonl (its directory holds every artifact)",
    )
    parser.add_argument(
        "--base-dir",
        type=Path,
        metavar="DIR",
        help="directory for every artifact (default $BEACON_CI_BASE_DIR, $RUNNER_TEMP/beacon)",
    )


def _harness(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--harness",
        action="append",
        metavar="LIST",
        help=f"claude, codex, gemini, otel (comma list or repeated; default {default})",
    )


def _verdict(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--min-events", type=_count, default=1, metavar="N", help="agent events required (1)"
    )
    parser.add_argument(
        "--require-telemetry",
        type=_bool,
        default=True,
        metavar="true|false",
        help="fail when validation fails (default true; false: the command's exit code only)",
    )
    parser.add_argument(
        "--upload",
        action="append",
        metavar="s3,gcs",
        help="upload the session's log (buckets from BEACON_CI_S3_BUCKET, BEACON_CI_GCS_BUCKET)",
    )
    parser.add_argument(
        "--require-upload",
        type=_bool,
        default=False,
        metavar="true|false",
        help="fail when an upload fails (default false: reported only)",
    )


def _json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `beacon ci` and its subcommands."""
    ci = subparsers.add_parser(
        "ci", help="capture agent telemetry in a CI job", description=CI_HELP
    )
    commands = ci.add_subparsers(dest="ci_command", metavar="SUBCOMMAND")
    ci.set_defaults(func=lambda args: _usage(ci))

    exec_ = commands.add_parser(
        "exec", help="run a command with its agent telemetry captured", description=EXEC_HELP
    )
    _harness(exec_, "all")
    _paths(exec_)
    _verdict(exec_)
    _json(exec_, "the summary")
    exec_.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS ...]")
    exec_.set_defaults(func=run_exec)

    start = commands.add_parser(
        "start", help="start a background collector for later steps", description=START_HELP
    )
    _harness(start, "all")
    _paths(start)
    _json(start, "the agent environment")
    start.set_defaults(func=run_start)

    finish = commands.add_parser(
        "finish", help="stop the background collector, validate, upload", description=FINISH_HELP
    )
    _harness(finish, "those given to start")
    _paths(finish)
    finish.add_argument(
        "--state-path", type=Path, metavar="PATH", help="state.json of `start` (default: found)"
    )
    _verdict(finish)
    _json(finish, "the summary")
    finish.set_defaults(func=run_finish)

    validate = commands.add_parser(
        "validate", help="check an existing runtime.jsonl", description=VALIDATE_HELP
    )
    validate.add_argument(
        "--log-path", type=Path, metavar="PATH", help="the log (default: the session's)"
    )
    validate.add_argument(
        "--min-events", type=_count, default=1, metavar="N", help="agent events required (1)"
    )
    _harness(validate, "any agent")
    validate.add_argument(
        "--since", metavar="TIME", help="count only events ingested at or after this RFC 3339 time"
    )
    validate.add_argument(
        "--session", metavar="ID", help="count only events of this CI session (ci.session_id)"
    )
    _json(validate, "the result")
    validate.set_defaults(func=run_validate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _options(args: argparse.Namespace, *, from_state: bool = False) -> Any:
    from beacon.ci.agents import parse_harnesses
    from beacon.ci.outcome import Options
    from beacon.ci.upload import parse_targets

    harnesses = () if from_state and not args.harness else parse_harnesses(args.harness)
    return Options(
        harnesses=harnesses,
        explicit_harnesses=bool(args.harness),
        min_events=args.min_events,
        require_telemetry=args.require_telemetry,
        uploads=parse_targets(args.upload),
        require_upload=args.require_upload,
    )


def _print_json(data: Any) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def run_exec(args: argparse.Namespace) -> int:
    """`beacon ci exec`."""
    from beacon.ci.exec import exec_command

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    ending = exec_command(
        command,
        _options(args),
        os.environ,
        sys.stderr,
        base_dir=args.base_dir,
        log_path=args.log_path,
    )
    if args.json:
        _print_json(ending.summary)
    return ending.exit_code


def run_start(args: argparse.Namespace) -> int:
    """`beacon ci start`."""
    from beacon.ci.agents import parse_harnesses
    from beacon.ci.outcome import Options
    from beacon.ci.start import start_session

    options = Options(parse_harnesses(args.harness), explicit_harnesses=bool(args.harness))
    started = start_session(
        options, os.environ, sys.stderr, base_dir=args.base_dir, log_path=args.log_path
    )
    if args.json:
        _print_json(
            {
                "session_id": started.session.id,
                "log_path": str(started.session.log_path),
                "state_path": str(started.session.state_path),
                "codex_home": str(started.codex_home) if started.codex_home else None,
                "env": started.env,
                "unset": started.unset,
            }
        )
    else:
        sys.stdout.write(started.exports)
    return 0


def run_finish(args: argparse.Namespace) -> int:
    """`beacon ci finish`."""
    from beacon.ci.finish import finish_session

    ending = finish_session(
        _options(args, from_state=True),
        os.environ,
        sys.stderr,
        base_dir=args.base_dir,
        log_path=args.log_path,
        state_path=args.state_path,
    )
    if args.json:
        _print_json(ending.summary)
    return ending.exit_code


def run_validate(args: argparse.Namespace) -> int:
    """`beacon ci validate`."""
    from beacon.ci.agents import parse_harnesses, runtimes
    from beacon.ci.report import say
    from beacon.ci.session import resolve_base_dir
    from beacon.ci.validate import validate_log
    from beacon.errors import UsageError
    from beacon.logfiles.names import RUNTIME_FILE
    from beacon.schema.event import parse_timestamp

    log_path = args.log_path or resolve_base_dir(os.environ) / RUNTIME_FILE
    since = None
    if args.since:
        try:
            since = parse_timestamp(args.since)
        except ValueError:
            raise UsageError(f"--since: not an RFC 3339 time: {args.since!r}") from None
    harnesses = parse_harnesses(args.harness)
    result = validate_log(
        log_path,
        min_events=args.min_events,
        runtimes=runtimes(harnesses),
        harnesses=harnesses if args.harness else (),
        session_id=args.session,
        since=since,
    )
    if args.json:
        _print_json(result.to_json())
    else:
        for stage in result.stages:
            say(sys.stdout, f"{stage.status:<4} {stage.name}: {stage.detail}")
        for problem in result.problems:
            say(sys.stdout, f"     {problem}")
        say(sys.stdout, f"validation {result.status}: {log_path}")
    return 0 if result.ok else 1
