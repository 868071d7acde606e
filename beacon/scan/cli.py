"""`beacon scan` and `beacon rules`: parse arguments, call `beacon.scan`, print, exit.

Exit codes: 0 done (no gate tripped); 1 `scan --fail-on` found a finding at or above the
threshold, or `rules lint|test` found a problem; 2 bad usage, an unloadable rule or no log.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from beacon.errors import UsageError

SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")
EXIT_GATE = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `scan` and `rules` to the `beacon` parser."""
    scan = subparsers.add_parser(
        "scan",
        help="run threat rules over the local logs (offline) and report findings",
        description="Stream runtime.jsonl and its archives oldest-first through the threat "
        "rules (your store ~/.beacon/rules over the baseline pack) and print findings. "
        "Exit 1 with --fail-on when a finding at or above that severity exists; 2 on bad "
        "usage or a rule that does not load. See docs/scan.md.",
    )
    where = scan.add_mutually_exclusive_group()
    where.add_argument("--log-dir", type=Path, metavar="DIR", help="scan DIR/runtime.jsonl")
    where.add_argument(
        "--log-path", type=Path, metavar="P", help="scan the file P (and its archives P.N)"
    )
    scan.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="DIR",
        help="rule file or directory to use instead of the store and baseline (repeatable)",
    )
    scan.add_argument(
        "--min-severity",
        choices=SEVERITY_NAMES,
        default="info",
        metavar="S",
        help="only run and report rules of severity S or above (default: info)",
    )
    scan.add_argument("--session", metavar="ID", help="only events of session ID")
    scan.add_argument(
        "--since",
        metavar="T",
        help="only events at or after T: RFC 3339 (2026-12-01T00:00:00Z) or a duration ago (24h)",
    )
    scan.add_argument("--json", action="store_true", help="print findings and a summary as JSON")
    scan.add_argument("--sarif", type=Path, metavar="FILE", help="also write SARIF 2.1.0 to FILE")
    scan.add_argument(
        "--fail-on",
        choices=SEVERITY_NAMES,
        metavar="S",
        help="exit 1 when a finding of severity S or above exists (CI gate)",
    )
    scan.set_defaults(func=_scan)

    rules = subparsers.add_parser(
        "rules",
        help="lint, test, list and manage threat rules",
        description="Threat rules in the threat-rules/v1 format (docs/scan.md). Without "
        "PATHs, commands act on your store ~/.beacon/rules and the baseline pack.",
    )
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    for name, helptext, func in (
        ("lint", "validate rules and enforce the maturity ladder", _lint),
        ("test", "run every rule's fixtures", _test),
        ("list", "list rules with severity, status and source", _list),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("paths", nargs="*", type=Path, metavar="PATH")
        action.add_argument("--json", action="store_true", help="machine-readable output")
        action.set_defaults(func=func)
    fields = actions.add_parser("fields", help="the event fields rules can reference")
    fields.add_argument("--markdown", action="store_true", help="print the Markdown reference")
    fields.add_argument("--json", action="store_true", help="machine-readable output")
    fields.set_defaults(func=_fields)
    add = actions.add_parser("add", help="validate rules and copy them into ~/.beacon/rules")
    add.add_argument("path", type=Path, metavar="PATH", help="a rule file or a directory")
    add.add_argument("--force", action="store_true", help="replace rules with the same id")
    add.set_defaults(func=_add)
    remove = actions.add_parser("remove", help="delete a rule from ~/.beacon/rules")
    remove.add_argument("rule_id", metavar="ID")
    remove.set_defaults(func=_remove)


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    from beacon.scan.engine import event_time
    from beacon.scan.rules import parse_duration

    stamp = event_time({"timestamp": value})
    if stamp is not None:
        return stamp
    try:
        return time.time() - parse_duration(value)
    except ValueError:
        raise UsageError(
            f"--since {value!r}: give an RFC 3339 time or a duration such as 24h"
        ) from None


def _scan(args: argparse.Namespace) -> int:
    from beacon.scan.engine import Engine, ScanStats, event_time
    from beacon.scan.rules import severity_rank
    from beacon.scan.source import ReadStats, read_events, resolve
    from beacon.scan.store import load_sources

    pack = load_sources(args.rules)
    pack.raise_first()
    floor = severity_rank(args.min_severity)
    rules = [r for r in pack.rules if r.rank >= floor and r.status != "deprecated"]
    actives = resolve(args.log_dir, args.log_path)
    since = _since(args.since)
    read = ReadStats()
    events: Any = read_events(actives, read)
    if args.session is not None:
        session = args.session
        events = (e for e in events if (e.get("session") or {}).get("id") == session)
    if since is not None:
        events = (e for e in events if (event_time(e) or 0.0) >= since)
    stats = ScanStats()
    started = time.perf_counter()
    # Text output streams: only counts are kept, so a scan of any size runs in bounded
    # memory. JSON and SARIF need the whole list.
    keep = args.json or args.sarif is not None
    findings: list[Any] = []
    by_severity = dict.fromkeys(reversed(SEVERITY_NAMES), 0)
    for finding in Engine(rules).run(events, stats):
        by_severity[finding.severity] += 1
        if keep:
            findings.append(finding)
        else:
            _print_finding(finding)
    elapsed = time.perf_counter() - started
    summary = {
        "logs": [str(a) for a in actives],
        "files": read.files,
        "events": read.events,
        "scanned": stats.events,
        "malformed_lines": read.malformed,
        "rules": len(rules),
        "findings": sum(by_severity.values()),
        "by_severity": by_severity,
        "evaluation_errors": stats.errors,
        "seconds": round(elapsed, 3),
    }
    if args.sarif is not None:
        from beacon.scan.sarif import to_sarif

        document = to_sarif(rules, findings, actives[0].resolve().as_uri())
        try:
            args.sarif.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--sarif {args.sarif}: {exc.strerror or exc}") from None
    if args.json:
        json.dump({"findings": [f.as_dict() for f in findings], "summary": summary}, sys.stdout)
        sys.stdout.write("\n")
    else:
        if keep:
            for finding in findings:
                _print_finding(finding)
        _print_summary(summary, stats.error_samples)
    if args.fail_on is not None:
        gate = severity_rank(args.fail_on)
        if any(n for s, n in by_severity.items() if severity_rank(s) >= gate):
            return EXIT_GATE
    return 0


def _print_finding(f: Any) -> None:
    print(f"{f.severity.upper():<9} {f.rule.id}: {f.rule.title}")
    print(f"          session {f.session_id or '-'} · {f.rule.reason}")
    for ref in f.events:
        step = f" [{ref.step}]" if ref.step else ""
        print(f"          {ref.timestamp or '-'} {ref.action} {ref.id or '-'}{step}")


def _print_summary(summary: dict[str, Any], errors: list[str]) -> None:
    counts = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items() if n)
    print(
        f"{summary['findings']} finding(s){f' ({counts})' if counts else ''} in "
        f"{summary['scanned']} events from {len(summary['files'])} file(s), "
        f"{summary['rules']} rules, {summary['seconds']} s"
    )
    if summary["malformed_lines"]:
        print(f"skipped {summary['malformed_lines']} malformed line(s)", file=sys.stderr)
    if summary["evaluation_errors"]:
        print(
            f"{summary['evaluation_errors']} evaluation error(s) counted as no match, e.g.: "
            + errors[0],
            file=sys.stderr,
        )


def _sources(paths: list[Path]) -> Any:
    from beacon.scan.rules import load_pack
    from beacon.scan.store import default_sources

    if paths:
        return load_pack(paths)
    return load_pack(default_sources(), shadow=True)


def _test(args: argparse.Namespace) -> int:
    from beacon.scan.engine import run_fixtures

    pack = _sources(args.paths)
    report: dict[str, Any] = {
        "rules": len(pack.rules),
        "fixtures": 0,
        "passed": 0,
        "failures": [],
        "errors": [{"rule": e.rule_id, "path": e.path, "message": e.message} for e in pack.errors],
    }
    for rule in pack.rules:
        for name, (want, got) in run_fixtures(rule).items():
            report["fixtures"] += 1
            if want == got:
                report["passed"] += 1
            else:
                report["failures"].append(
                    {"rule": rule.id, "fixture": name, "expected": want, "got": got}
                )
    if args.json:
        print(json.dumps(report))
    else:
        for err in report["errors"]:
            print(f"ERROR {err['path']}: {err['message']}")
        for fail in report["failures"]:
            print(
                f"FAIL  {fail['rule']} / {fail['fixture']}: "
                f"expected {fail['expected']}, got {fail['got']}"
            )
        print(
            f"{report['rules']} rules, {report['fixtures']} fixtures, {report['passed']} passed, "
            f"{len(report['failures'])} failed, {len(report['errors'])} load errors"
        )
    return 0 if not report["failures"] and not report["errors"] else EXIT_GATE


def _lint(args: argparse.Namespace) -> int:
    from beacon.scan.store import check_rule

    pack = _sources(args.paths)
    problems = [{"rule": e.rule_id, "path": e.path, "message": e.message} for e in pack.errors]
    for rule in pack.rules:
        for message in check_rule(rule):
            problems.append({"rule": rule.id, "path": rule.path, "message": message})
    if args.json:
        print(json.dumps({"rules": len(pack.rules), "problems": problems}))
    else:
        for p in problems:
            print(f"{p['path']}: {p['message']}")
        print(f"{len(pack.rules)} rules, {len(problems)} problem(s)")
    return EXIT_GATE if problems else 0


def _list(args: argparse.Namespace) -> int:
    from beacon.scan.store import baseline_dir

    pack = _sources(args.paths)
    baseline = str(baseline_dir())
    rows = [
        {
            "id": r.id,
            "severity": r.severity,
            "status": r.status,
            "kind": "match" if r.match is not None else f"correlation/{r.order}",
            "source": "baseline" if r.path.startswith(baseline) else r.path,
            "title": r.title,
        }
        for r in sorted(pack.rules, key=lambda r: (-r.rank, r.id))
    ]
    if args.json:
        print(json.dumps({"rules": rows, "errors": [str(e) for e in pack.errors]}))
    else:
        for row in rows:
            print(
                f"{row['severity']:<8} {row['status']:<12} {row['id']:<44} "
                f"{row['kind']:<20} {row['source']}"
            )
        for err in pack.errors:
            print(f"ERROR {err}", file=sys.stderr)
    return 0 if not pack.errors else 2


def _fields(args: argparse.Namespace) -> int:
    from beacon.scan.fields import markdown_reference, rule_fields

    if args.markdown:
        sys.stdout.write(markdown_reference())
    elif args.json:
        print(
            json.dumps([{"field": f"e.{f.path}", "type": f.type} for f in rule_fields().values()])
        )
    else:
        for f in rule_fields().values():
            print(f"e.{f.path:<52} {f.type}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from beacon.scan.store import add, store_dir

    for rule in add(args.path, force=args.force):
        print(f"added {rule.id} to {store_dir()}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from beacon.scan.store import remove

    print(f"removed {remove(args.rule_id)}")
    return 0
