"""`beacon verify` and `beacon logs`: the audit trail from the command line.

Only argparse here; the readers, verifier and formatters load inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from beacon.audit.query import Filter, Match
    from beacon.config import BeaconConfig
    from beacon.logfiles.chain import ChainKey

VERIFY_HELP = """\
Check the hash chain of Beacon's logs. Without PATH: every archive of each stream (oldest
first) and the active file in the log directory, against the chain head the writers
recorded. With PATH: the given files as one chain, e.g. shipped objects (`.jsonl.gz`,
ordered by their links, which is key order within one source file) or an export of
`beacon logs export`; such a chain may start mid-stream. Exit status 0 when intact, 1 when
any line was edited, deleted, inserted, reordered, cut off the end (truncated tail), or the
chain restarted; the first damage is named as FILE:LINE. Lines written before the chain
existed are reported as unchained and do not fail. Exit status 2 when the logs cannot be
checked at all (no logs, an unreadable file, a keyed chain without its key).
"""

LOGS_HELP = """\
Query the events of the log directory: the active file and every archive (`.gz` too),
newest first (--reverse: oldest first). Filters combine (all must hold; a repeated filter
matches any of its values). Times are ISO 8601 in UTC unless an offset is given
(2026-12-01, 2026-12-01T10:00, ...Z), ages (15m, 2h, 7d) or now/today/yesterday; --since
is inclusive, --until exclusive. -q finds TEXT anywhere in the event's JSON text, ignoring
case. Output: a table (default; 50 newest unless --limit), --json (the lines exactly as
stored, verifiable), or --csv (a stable column set for spreadsheets).

  beacon logs sessions        one line per agent session (prompts, tool calls, tokens, cost)
  beacon logs session ID      one session's timeline (ID may be a unique prefix)
  beacon logs export ...      a window of the log as FILE.jsonl.gz with a verification record
"""

_DEFAULT_TABLE_LIMIT = 50
_DEFAULT_FOLLOW_BACKLOG = 10


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `verify` and `logs` subcommands."""
    verify = subparsers.add_parser(
        "verify", help="check the logs' hash chain (tamper evidence)", description=VERIFY_HELP
    )
    _location(verify)
    verify.add_argument(
        "--stream",
        choices=("runtime", "inventory"),
        help="verify one stream only (default: both)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument(
        "--key-file",
        type=Path,
        action="append",
        default=[],
        metavar="F",
        help="key of a keyed (HMAC) chain, hex, mode 0600; repeat for rotated keys "
        "(default: the configured key)",
    )
    verify.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files to verify as one chain"
    )
    verify.set_defaults(func=run_verify)

    logs = subparsers.add_parser(
        "logs",
        help="query events: filters, sessions, timelines, CSV, exports",
        description=LOGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _location(logs)
    _stream(logs)
    _filters(logs)
    _output(logs)
    logs.add_argument("--limit", type=int, metavar="N", help="at most N events (0: no limit)")
    logs.add_argument("--reverse", action="store_true", help="oldest first")
    logs.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="after the latest matches, print new ones as they are written (across rotation)",
    )
    logs.set_defaults(func=run_logs)
    modes = logs.add_subparsers(dest="logs_command", metavar="{sessions,session,export}")

    sessions = modes.add_parser("sessions", help="one line per agent session")
    _location(sessions, suppress=True)
    _stream(sessions, suppress=True)
    _filters(sessions, suppress=True)
    sessions.add_argument("--json", action="store_true", help="one JSON object per session")
    sessions.add_argument("--csv", action="store_true", help="CSV, one row per session")
    sessions.set_defaults(func=run_sessions)

    session = modes.add_parser("session", help="one session's timeline")
    _location(session, suppress=True)
    _stream(session, suppress=True)
    session.add_argument("session_id", metavar="ID", help="session id or a unique prefix")
    session.add_argument("--json", action="store_true", help="the session's lines as stored")
    session.set_defaults(func=run_session)

    export = modes.add_parser(
        "export",
        help="write a time window as FILE.jsonl.gz with a verification record",
        description="Write the events between --since and --until (as stored, in write "
        "order, with the lines in between so the chain has no gap) to FILE.jsonl.gz (mode "
        "0600), ending with a verification record (first and last chain hash, counts). "
        "Check it anywhere with `beacon verify FILE.jsonl.gz`.",
    )
    _location(export, suppress=True)
    _stream(export, suppress=True)
    export.add_argument("--since", metavar="T", default=argparse.SUPPRESS, help="window start")
    export.add_argument("--until", metavar="T", default=argparse.SUPPRESS, help="window end")
    export.add_argument(
        "--output", "-o", type=Path, required=True, metavar="FILE", help="FILE.jsonl.gz to write"
    )
    export.add_argument(
        "--key-file", type=Path, metavar="F", help="key of a keyed chain (default: configured)"
    )
    export.set_defaults(func=run_export)


def _default(suppress: bool, value: Any) -> Any:
    return argparse.SUPPRESS if suppress else value


def _location(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    parser.add_argument(
        "--log-dir",
        metavar="DIR",
        default=_default(suppress, None),
        help="the log directory (default: writer.log_dir of the config, $BEACON_LOG_DIR)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=_default(suppress, None),
        help="beacon.toml to load (default: $BEACON_CONFIG)",
    )


def _stream(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    parser.add_argument(
        "--stream",
        choices=("runtime", "inventory"),
        default=_default(suppress, "runtime"),
        help="which stream to read (default: runtime)",
    )


def _filters(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    listed = _default(suppress, [])
    parser.add_argument("--since", metavar="T", default=_default(suppress, None), help="from T")
    parser.add_argument("--until", metavar="T", default=_default(suppress, None), help="before T")
    parser.add_argument(
        "--session", action="append", default=listed, metavar="ID", help="session id or prefix"
    )
    parser.add_argument(
        "--harness",
        action="append",
        default=listed,
        metavar="H",
        help="runtime (claude_code, codex_cli, …; `claude` matches claude_code)",
    )
    parser.add_argument(
        "--action",
        action="append",
        default=listed,
        metavar="A",
        help="event.action, exact or `prefix.*` (tool.*)",
    )
    parser.add_argument(
        "--category", action="append", default=listed, metavar="C", help="event.category"
    )
    parser.add_argument(
        "--severity",
        default=_default(suppress, None),
        metavar="S",
        help="minimum severity: info, low, medium, high, critical",
    )
    parser.add_argument(
        "-q",
        "--query",
        dest="text",
        default=_default(suppress, None),
        metavar="TEXT",
        help="text anywhere in the event (case-insensitive)",
    )


def _output(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="the lines exactly as stored (JSONL)")
    group.add_argument("--table", action="store_true", help="a table for reading (default)")
    group.add_argument("--csv", action="store_true", help="CSV with a stable column set")


# -- shared plumbing -------------------------------------------------------------------------
def _config(args: argparse.Namespace) -> BeaconConfig:
    from beacon.config import load_config, with_log_dir

    config = load_config(getattr(args, "config", None), env=os.environ)
    return with_log_dir(config, getattr(args, "log_dir", None))


def _filter(args: argparse.Namespace) -> Filter:
    from beacon.audit.query import Filter

    return Filter.parse(
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
        sessions=getattr(args, "session", []) or (),
        harnesses=getattr(args, "harness", []) or (),
        actions=getattr(args, "action", []) or (),
        categories=getattr(args, "category", []) or (),
        severity=getattr(args, "severity", None),
        text=getattr(args, "text", None) or None,
    )


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 1 << 20


def _printing(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Stop quietly when the reader goes away (`beacon logs | head`) or on Ctrl-C."""

    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0

    wrapped.__doc__ = run.__doc__
    return wrapped


# -- beacon verify ---------------------------------------------------------------------------
def run_verify(args: argparse.Namespace) -> int:
    """Verify, print the report, exit 0 when intact and 1 when damaged."""
    import orjson

    from beacon.audit.verify import describe, keys_for, verify_log_dir, verify_paths
    from beacon.config import chain_key
    from beacon.errors import UsageError

    config = _config(args)
    keys = keys_for(args.key_file, None if args.key_file else chain_key(config))
    if args.paths:
        reports = [verify_paths(args.paths, keys)]
    else:
        streams = [args.stream] if args.stream else ["runtime", "inventory"]
        reports = verify_log_dir(config.writer.log_path, streams, keys)
        if not reports:
            raise UsageError(f"no Beacon logs in {config.writer.log_path}")
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(describe(reports), option=orjson.OPT_INDENT_2))
        sys.stdout.buffer.write(b"\n")
    else:
        for report in reports:
            print("\n".join(_report_lines(report)))
    return 0 if all(r.intact for r in reports) else 1


def _report_lines(report: Any) -> list[str]:
    files = len(report.files)
    state = "intact" if report.intact else "DAMAGED"
    lines = [f"{report.name}: {state}: {report.lines:,} lines in {files} file(s)"]
    if report.first is not None and report.last is not None:
        keyed = ""
        if report.keyed:
            ids = sorted({report.last.key_id} - {""}) or ["?"]
            keyed = f", keyed (key {', '.join(ids)})"
        if report.first.seq == 1:
            start = "from its first line"
        elif report.name == "paths":
            start = "starting mid-stream"
        else:
            start = "older lines rotated out"
        lines.append(
            f"  chain: seq {report.first.seq:,} to {report.last.seq:,} ({start}{keyed}); "
            f"last hash {report.last.hash}"
        )
    if report.unchained:
        lines.append(f"  {report.unchained:,} unchained lines written before the chain began")
    if report.name != "paths":
        if report.record is not None:
            keyed = ", MAC'd" if report.record.mac else ""
            lines.append(f"  head recorded by the writers: seq {report.record.seq:,}{keyed}")
        else:
            lines.append(
                "  no head record (lock file missing or unreadable): lines cut off the end "
                "cannot be detected"
            )
    if report.export:
        record = report.export
        lines.append(
            f"  export of {record.get('stream')} from {record.get('host')}, "
            f"{record.get('since') or 'start'} to {record.get('until') or 'end'}, "
            f"{record.get('lines'):,} chained lines"
        )
    shown = report.findings[:20]
    lines += [f"  {finding}" for finding in shown]
    if len(report.findings) > len(shown):
        lines.append(f"  … and {len(report.findings) - len(shown)} more (--json lists all)")
    if report.findings:
        lines.append(f"  first damage: {report.findings[0].path}:{report.findings[0].line}")
    return lines


# -- beacon logs -----------------------------------------------------------------------------
@_printing
def run_logs(args: argparse.Namespace) -> int:
    """Print the matching events in the chosen format."""
    from beacon.audit.formats import render_table, write_csv
    from beacon.audit.query import search

    config = _config(args)
    where = _filter(args)
    if args.follow:
        return _follow(args, config.writer.log_path, where)
    limit = args.limit
    if limit is None and not (args.json or args.csv):
        limit = _DEFAULT_TABLE_LIMIT
    matches = search(
        config.writer.log_path,
        where,
        stream=args.stream,
        newest_first=not args.reverse,
        limit=limit or None,
    )
    if args.json:
        out = sys.stdout.buffer
        for match in matches:
            out.write(match.line + b"\n")
        out.flush()
    elif args.csv:
        write_csv(matches, sys.stdout)
    else:
        rows = render_table(matches, _width())
        if rows:
            print("\n".join(rows))
        else:
            print(f"no matching events in {config.writer.log_path}", file=sys.stderr)
    return 0


def _follow(args: argparse.Namespace, log_dir: Path, where: Filter) -> int:
    import orjson

    from beacon.audit.formats import CSV_COLUMNS
    from beacon.audit.query import Match, search_files
    from beacon.audit.reader import snapshot, stream_path
    from beacon.audit.tail import follow

    backlog = args.limit if args.limit is not None else _DEFAULT_FOLLOW_BACKLOG
    path = stream_path(log_dir, args.stream)
    with snapshot(log_dir, args.stream) as snap:
        recent: list[Match] = []
        if backlog:
            for match in search_files(snap.files, where, newest_first=True):
                recent.append(match)
                if len(recent) >= backlog:
                    break
        active = snap.files[-1] if snap.files and snap.files[-1].path == path else None
        offset = active.size if active is not None else 0
    if args.csv:
        import csv

        csv.writer(sys.stdout, lineterminator="\n").writerow(CSV_COLUMNS)
    _emit(args, reversed(recent))

    def matching() -> Iterator[Match]:
        for line in follow(path, offset=offset):
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(event, dict) and where.matches(event, line):
                yield Match(event, line, path)

    try:
        for match in matching():
            _emit(args, [match])
    except KeyboardInterrupt:
        return 0
    return 0


def _emit(args: argparse.Namespace, matches: Any) -> None:
    """Print matches one by one (`--follow`: no table to align, fixed columns)."""
    import csv

    from beacon.audit.formats import CSV_COLUMNS, cell, field_value, summary_of

    for match in matches:
        if args.json:
            sys.stdout.buffer.write(match.line + b"\n")
        elif args.csv:
            csv.writer(sys.stdout, lineterminator="\n").writerow(
                [cell(field_value(match.event, c)) for c in CSV_COLUMNS]
            )
        else:
            event = match.event
            stamp = str(event.get("timestamp") or "-").replace("T", " ").removesuffix("Z")
            harness = str(field_value(event, "harness.name") or "-")
            action = str(field_value(event, "event.action") or "-")
            session = str(field_value(event, "session.id") or "-")[:8]
            print(f"{stamp:<23}  {harness:<12}  {action:<22}  {session:<8}  {summary_of(event)}")
    sys.stdout.flush()


@_printing
def run_sessions(args: argparse.Namespace) -> int:
    """Print one line per session."""
    import orjson

    from beacon.audit.formats import render_sessions
    from beacon.audit.sessions import sessions

    config = _config(args)
    found = sessions(
        config.writer.log_path, _filter(args), stream=getattr(args, "stream", "runtime")
    )
    if args.json:
        for summary in found:
            sys.stdout.buffer.write(orjson.dumps(summary.to_dict()) + b"\n")
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        columns = list(found[0].to_dict()) if found else []
        writer.writerow(columns)
        for summary in found:
            row = summary.to_dict()
            writer.writerow([";".join(v) if isinstance(v, list) else v for v in row.values()])
    elif found:
        print("\n".join(render_sessions(found, _width())))
    else:
        print(f"no sessions in {config.writer.log_path}", file=sys.stderr)
    return 0


@_printing
def run_session(args: argparse.Namespace) -> int:
    """Print one session's timeline."""
    from beacon.audit.formats import render_timeline
    from beacon.audit.sessions import timeline

    config = _config(args)
    summary, events = timeline(
        config.writer.log_path, args.session_id, stream=getattr(args, "stream", "runtime")
    )
    if args.json:
        for match in events:
            sys.stdout.buffer.write(match.line + b"\n")
    else:
        print("\n".join(render_timeline(summary, events, _width())))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write the export and say what is in it."""
    from beacon.audit.export import export
    from beacon.audit.query import parse_time
    from beacon.config import chain_key
    from beacon.logfiles.chain import ChainKey

    config = _config(args)
    key: ChainKey | None = ChainKey.load(str(args.key_file)) if args.key_file else chain_key(config)
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    result = export(
        config.writer.log_path,
        args.output,
        since=parse_time(since) if since else None,
        until=parse_time(until) if until else None,
        stream=getattr(args, "stream", "runtime"),
        key=key,
    )
    print(f"wrote {result.path}: {result.lines:,} lines ({result.in_window:,} in the window)")
    if result.first is not None and result.last is not None:
        print(f"  first: seq {result.first.seq}  hash {result.first.hash}")
        print(f"  last:  seq {result.last.seq}  hash {result.last.hash}")
    print(f"  check it with: beacon verify {result.path}")
    return 0
