"""How `beacon logs` shows events and sessions: terminal tables, a timeline, and CSV.

The CSV column set (`CSV_COLUMNS`) is stable: auditors build spreadsheets and scripts on
it, so columns are only ever added at the end. Text cells that a spreadsheet would run as
a formula (`=`, `+`, `-`, `@` first) get a leading `'`; `--json` is the faithful form.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from beacon.audit.query import Match
from beacon.audit.sessions import SessionSummary

CSV_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "event.id",
    "event.action",
    "event.category",
    "severity",
    "harness.name",
    "harness.version",
    "session.id",
    "user.name",
    "endpoint.hostname",
    "tool.name",
    "command.command",
    "command.exit_code",
    "file.path",
    "prompt.text",
    "model",
    "message",
    "integrity.seq",
    "integrity.hash",
)
"""Columns of `beacon logs --csv`, in order (dotted paths into the event)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def field_value(event: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`session.id`), or None."""
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def cell(value: Any) -> str:
    """One CSV cell: empty for None, formula-safe for text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(matches: Iterable[Match], out: TextIO) -> int:
    """Write a header and one row per event; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for match in matches:
        writer.writerow([cell(field_value(match.event, c)) for c in CSV_COLUMNS])
        rows += 1
    return rows


def _one_line(text: str) -> str:
    return " ".join(text.split())


def summary_of(event: dict[str, Any]) -> str:
    """The one thing worth reading about an event, on one line."""

    def get(path: str) -> str:
        value = field_value(event, path)
        return "" if value is None else str(value)

    action = get("event.action")
    family = action.split(".", 1)[0]
    text = ""
    if family == "prompt":
        text = get("prompt.text")
    elif family == "command":
        text = get("command.command") or get("tool.command")
        code = field_value(event, "command.exit_code")
        if text and isinstance(code, int) and code != 0:
            text += f"  (exit {code})"
    elif family in ("tool", "approval"):
        detail = get("tool.command") or get("tool.path") or get("command.command")
        name = get("tool.name")
        text = f"{name}: {detail}" if name and detail else name or detail
    elif family == "file":
        text = f"{get('file.operation')} {get('file.path')}".strip()
    elif family == "mcp":
        text = "/".join(p for p in (get("mcp.server"), get("mcp.tool")) if p)
    elif family in ("model", "token", "cost"):
        usage = field_value(event, "gen_ai.usage")
        parts = [get("model")]
        if isinstance(usage, dict):
            if usage.get("input_tokens") or usage.get("output_tokens"):
                parts.append(f"{usage.get('input_tokens', 0)}→{usage.get('output_tokens', 0)} tok")
            if usage.get("cost_usd"):
                parts.append(f"${usage['cost_usd']:.4f}")
        text = " ".join(p for p in parts if p)
    return _one_line(text or get("message"))


def _clip(text: str, width: int) -> str:
    if width <= 1:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _time(stamp: Any) -> str:
    text = str(stamp or "")
    return text.replace("T", " ").removesuffix("Z") if text else "-"


def render_table(matches: Iterable[Match], width: int = 120) -> list[str]:
    """Events as an aligned table that fits `width` columns."""
    rows = [
        (
            _time(m.event.get("timestamp")),
            str(field_value(m.event, "harness.name") or "-"),
            str(field_value(m.event, "event.action") or "-"),
            str(field_value(m.event, "session.id") or "-")[:8],
            summary_of(m.event),
        )
        for m in matches
    ]
    headers = ("TIME (UTC)", "HARNESS", "ACTION", "SESSION", "SUMMARY")
    return _table(headers, rows, width)


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], width: int) -> list[str]:
    """Columns sized to their content; the last one takes what is left of `width`."""
    if not rows:
        return []
    sizes = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
    fixed = sum(sizes) + 2 * len(sizes)
    rest = max(20, width - fixed)
    out = []
    for row in [headers, *rows]:
        cells = [cell.ljust(size) for cell, size in zip(row, sizes, strict=False)]
        out.append(("  ".join([*cells, _clip(row[-1], rest)])).rstrip())
    return out


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _duration(start: str, end: str) -> str:
    try:
        seconds = (_parse(end) - _parse(start)).total_seconds()
    except ValueError:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def render_sessions(summaries: Iterable[SessionSummary], width: int = 120) -> list[str]:
    """Sessions as a table, one row each."""
    rows = [
        (
            s.id,
            s.harness or "-",
            _time(s.start),
            _duration(s.start, s.end),
            str(s.prompts),
            str(s.tool_calls),
            str(s.commands),
            f"{s.tokens:,}",
            f"${s.cost_usd:.4f}" if s.cost_usd else "-",
            s.working_directory or "",
        )
        for s in summaries
    ]
    headers = (
        "SESSION",
        "HARNESS",
        "START (UTC)",
        "LENGTH",
        "PROMPTS",
        "TOOLS",
        "CMDS",
        "TOKENS",
        "COST",
        "DIRECTORY",
    )
    return _table(headers, rows, width)


def render_timeline(
    summary: SessionSummary, events: Iterable[Match], width: int = 120
) -> list[str]:
    """One session for a terminal: a header of totals, then one line per event."""
    cost = f", ${summary.cost_usd:.4f}" if summary.cost_usd else ""
    out = [
        f"session {summary.id}  ({summary.harness or 'unknown harness'})",
        f"  {_time(summary.start)} → {_time(summary.end)} UTC"
        f"  ({_duration(summary.start, summary.end)})",
        f"  {_count(summary.prompts, 'prompt')}, {_count(summary.tool_calls, 'tool call')}, "
        f"{_count(summary.commands, 'command')}, {_count(summary.tokens, 'token')}{cost}",
    ]
    if summary.working_directory:
        out.append(f"  in {summary.working_directory}")
    if summary.models:
        out.append(f"  models: {', '.join(summary.models)}")
    out.append("")
    try:
        origin: datetime | None = _parse(summary.start)
    except ValueError:
        origin = None
    for match in events:
        stamp = str(match.event.get("timestamp") or "")
        offset = "        "
        if origin is not None and stamp:
            try:
                seconds = (_parse(stamp) - origin).total_seconds()
                offset = f"+{int(seconds // 60):02d}:{seconds % 60:06.3f}"
            except ValueError:
                pass
        action = str(field_value(match.event, "event.action") or "-")
        head = f"{stamp[11:23] or '-':<12}  {offset:<10}  {action:<22}  "
        out.append((head + _clip(summary_of(match.event), max(20, width - len(head)))).rstrip())
    return out
