"""How a CI session reports: `summary.json`, lines on stderr, GitHub outputs and job summary.

The agent's own stdout stays untouched (it may be piped); Beacon speaks on stderr, and on
stdout only with `--json`. `summary.json` in the session directory is the same document
for later steps and artifacts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from beacon.ci.outputs import append_command_file, append_text
from beacon.ci.private import write_private
from beacon.ci.session import Session

PREFIX = "beacon ci:"


def say(out: TextIO, message: str) -> None:
    """One report line."""
    print(f"{PREFIX} {message}", file=out, flush=True)


def write_summary(session: Session, summary: Mapping[str, Any]) -> None:
    """`summary.json` (0600), replaced atomically."""
    write_private(session.summary_path, orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")


def print_outcome(summary: Mapping[str, Any], out: TextIO) -> None:
    """The validation stages, uploads and exit code, one line each."""
    validation = summary["validation"]
    for stage in validation["stages"]:
        say(out, f"{stage['status']:<4} {stage['name']}: {stage['detail']}")
    for problem in validation["problems"]:
        say(out, f"     {problem}")
    if validation["by_harness"]:
        counts = ", ".join(f"{name} {count}" for name, count in validation["by_harness"].items())
        say(out, f"events by harness: {counts}")
    for upload in summary["uploads"]:
        where = upload["destination"] or upload["target"]
        detail = f" ({upload['error']})" if upload["error"] else f" ({upload['lines']} lines)"
        say(out, f"upload {upload['target']} {upload['status']}: {where}{detail}")
    for note in summary["notes"]:
        say(out, f"note: {note}")
    say(out, f"validation {validation['status']}; summary {summary['summary_path']}")
    say(out, f"exit {summary['exit_code']}")


def github_outputs(summary: Mapping[str, Any]) -> dict[str, str]:
    """Step outputs: `log-path`, `events`, `status`, `summary-path`, `codex-home`, `exit-code`."""
    return {
        "log-path": str(summary["log_path"]),
        "events": str(summary["validation"]["event_count"]),
        "status": str(summary["validation"]["status"]),
        "summary-path": str(summary["summary_path"]),
        "codex-home": str(summary.get("codex_home") or ""),
        "exit-code": str(summary["exit_code"]),
    }


def step_summary(summary: Mapping[str, Any]) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`."""
    validation = summary["validation"]
    lines = [
        "### Agent Beacon",
        "",
        "| | |",
        "|---|---|",
        f"| validation | `{validation['status']}` |",
        f"| agent events | {validation['event_count']} (at least {validation['min_events']}) |",
    ]
    for name, count in validation["by_harness"].items():
        lines.append(f"| `{name}` | {count} |")
    child = summary.get("child")
    if child:
        lines.append(f"| command exit code | {child['exit_code']} |")
    for upload in summary["uploads"]:
        where = upload["destination"] or upload["error"]
        lines.append(f"| upload {upload['target']} | `{upload['status']}` {where} |")
    lines.append(f"| log | `{summary['log_path']}` |")
    return "\n".join(lines) + "\n\n"


def publish(summary: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Step outputs and the job summary, when running in GitHub Actions."""
    append_command_file(env.get("GITHUB_OUTPUT"), github_outputs(summary))
    append_text(env.get("GITHUB_STEP_SUMMARY"), step_summary(summary))
