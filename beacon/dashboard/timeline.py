"""A session's events as a timeline a person can read: one entry per thing that happened.

Events of one tool call (approval, start, end, command result, file change: they share
`gen_ai.tool.call.id`) become one entry at the time of the first, with its steps; prompts,
responses, model requests (tokens, cost), file edits, approvals and errors get their own.
Plumbing (hook runs, trace spans, metric points) and duplicates (the same call reported by
OTLP and by a hook, `event.duplicate_of`) are hidden unless asked for, and counted. Idle
stretches between entries are marked as gaps. The result is plain data: the page and
`/api/sessions/{id}` show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from beacon.audit.formats import field_value
from beacon.audit.query import Match
from beacon.audit.sessions import SessionSummary
from beacon.dashboard.params import format_position

GAP_SECONDS = 10.0
"""An idle stretch at least this long between two entries is shown as a gap."""

PLUMBING = frozenset(
    {
        "hook.registered",
        "hook.started",
        "hook.completed",
        "session.activity",
        "metric.observed",
        "token.usage",
        "cost.usage",
        "trace.unclassified",
        "telemetry.unclassified",
    }
)
CALL_FAMILIES = frozenset({"tool", "command", "approval", "mcp", "file", "policy"})
TEXT_LIMIT = 4000


def _text(event: dict[str, Any], path: str) -> str:
    value = field_value(event, path)
    return value if isinstance(value, str) else ""


def seconds_between(start: str, end: str) -> float | None:
    """Seconds from one timestamp to another (None when either does not parse)."""
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (b - a).total_seconds()


def position_ref(match: Match) -> str:
    """The `at=` value that finds this event again."""
    return format_position(match.position)


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"\n… ({len(text) - limit:,} more characters)"
    )


def message_text(messages: Any) -> str:
    """The text of GenAI messages (`[{role, content}]`, content a string or parts)."""
    if not isinstance(messages, list):
        return ""
    out = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict):
                    value = part.get("content") or part.get("text")
                    if isinstance(value, str):
                        out.append(value)
        parts = message.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict) and isinstance(part.get("content"), str):
                    out.append(part["content"])
    return "\n\n".join(t for t in out if t)


def humane(action: str) -> str:
    """An action as words: `tool.batch_completed` → `Tool batch completed`."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def is_error(event: dict[str, Any]) -> bool:
    """A failure worth a red mark: failed/error actions, high severity, an error block, a
    non-zero exit code, a denial."""
    action = _text(event, "event.action")
    if action.endswith((".failed", ".error", ".denied", ".blocked", ".refusal")):
        return True
    if str(event.get("severity")) in ("high", "critical"):
        return True
    if _text(event, "error.type") or _text(event, "tool.error"):
        return True
    code = field_value(event, "command.exit_code")
    return isinstance(code, int) and not isinstance(code, bool) and code != 0


def _usage(event: dict[str, Any]) -> dict[str, Any] | None:
    usage = field_value(event, "gen_ai.usage")
    if not isinstance(usage, dict):
        return None

    def number(value: Any) -> int:
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    cost = usage.get("cost_usd")
    return {
        "input_tokens": number(usage.get("input_tokens")),
        "output_tokens": number(usage.get("output_tokens")),
        "cache_read_tokens": number(field_value(usage, "cache_read.input_tokens")),
        "cost_usd": float(cost) if isinstance(cost, int | float) else 0.0,
    }


def _step(match: Match) -> dict[str, Any]:
    """One event inside a grouped entry: when, what, and its one-line note."""
    event = match.event
    action = _text(event, "event.action")
    notes = []
    decision = _text(event, "approval.decision")
    if decision:
        reason = _text(event, "approval.reason")
        notes.append(f"{decision} ({reason})" if reason else decision)
    code = field_value(event, "command.exit_code")
    if isinstance(code, int) and not isinstance(code, bool):
        notes.append(f"exit {code}")
    duration = field_value(event, "command.duration_ms")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        notes.append(f"{duration:,.0f} ms")
    error = _text(event, "tool.error") or _text(event, "error.message")
    if error:
        notes.append(error)
    source = _text(event, "event.source")
    return {
        "time": event.get("timestamp"),
        "action": action,
        "note": " · ".join(notes),
        "source": source,
        "at": position_ref(match),
        "id": _text(event, "event.id"),
        "duplicate": bool(field_value(event, "event.duplicate_of")),
        "error": is_error(event),
    }


def _entry(kind: str, first: Match) -> dict[str, Any]:
    event = first.event
    return {
        "kind": kind,
        "time": event.get("timestamp"),
        "offset_seconds": None,
        "gap_seconds": None,
        "title": "",
        "summary": "",
        "text": "",
        "code": "",
        "output": "",
        "badges": [],
        "steps": [],
        "usage": None,
        "error": is_error(event),
        "duplicate": bool(field_value(event, "event.duplicate_of")),
        "at": position_ref(first),
        "id": _text(event, "event.id"),
        "action": _text(event, "event.action"),
    }


def _call_entry(matches: list[Match], everything: bool) -> dict[str, Any]:
    """One tool call from its events (in time order)."""
    primary = [m for m in matches if not field_value(m.event, "event.duplicate_of")] or matches
    entry = _entry("call", primary[0])
    # A duplicate is the same call seen by another source (OTLP vs hook), and often carries
    # what the other lacks (the hook has the output): read fields from both, primary first.
    kept = {id(m) for m in primary}
    events = [m.event for m in primary] + [m.event for m in matches if id(m) not in kept]

    def first(*paths: str) -> str:
        for path in paths:
            for event in events:
                value = _text(event, path)
                if value:
                    return value
        return ""

    name = first("gen_ai.tool.name", "tool.name")
    server, tool = first("mcp.server"), first("mcp.tool")
    if server or tool:
        entry["kind"] = "mcp"
        name = " · ".join(p for p in (server, tool) if p)
        entry["badges"].append({"text": "MCP", "tone": "violet"})
    entry["title"] = name or "tool call"
    entry["code"] = first("command.command", "tool.command")
    path = first("file.path", "tool.path")
    if path:
        operation = first("file.operation")
        said = operation and operation.lower() not in entry["title"].lower()
        entry["summary"] = f"{operation} {path}" if said else path
        if not entry["code"] and entry["kind"] == "call":
            entry["kind"] = "file"
    if not entry["code"] and not path:
        arguments = next(
            (a for e in events if (a := field_value(e, "gen_ai.tool.call.arguments")) is not None),
            None,
        )
        if arguments is not None:
            entry["code"] = (
                arguments
                if isinstance(arguments, str)
                else orjson.dumps(arguments, option=orjson.OPT_INDENT_2).decode()
            )
    entry["output"] = _cut(first("command.output", "tool.error", "error.message"))
    entry["text"] = _cut(first("file.diff"))
    for event in (m.event for m in primary):
        decision = _text(event, "approval.decision")
        if decision:
            tone = "bad" if _text(event, "event.action") == "approval.denied" else "ok"
            entry["badges"].append({"text": f"approval: {decision}", "tone": tone})
        code = field_value(event, "command.exit_code")
        if isinstance(code, int) and not isinstance(code, bool):
            entry["badges"].append({"text": f"exit {code}", "tone": "ok" if code == 0 else "bad"})
        ms = field_value(event, "command.duration_ms")
        if isinstance(ms, int | float) and not isinstance(ms, bool):
            entry["badges"].append({"text": f"{ms / 1000:.2f} s", "tone": "plain"})
        if _text(event, "event.action") == "tool.failed":
            entry["badges"].append({"text": "failed", "tone": "bad"})
    unique: dict[str, dict[str, str]] = {}
    for badge in entry["badges"]:
        unique.setdefault(badge["text"], badge)
    entry["badges"] = list(unique.values())
    entry["steps"] = [_step(m) for m in matches if everything or id(m) in kept]
    entry["error"] = any(is_error(m.event) for m in primary)
    entry["duplicate"] = all(field_value(m.event, "event.duplicate_of") for m in matches)
    return entry


def _single_entry(match: Match) -> dict[str, Any]:
    """An entry for an event that is not part of a tool call."""
    event = match.event
    action = _text(event, "event.action")
    family = action.split(".", 1)[0]
    entry = _entry(family or "other", match)
    response = message_text(field_value(event, "gen_ai.output.messages"))
    if action == "prompt.submitted":
        entry["kind"], entry["title"] = "prompt", "Prompt"
        entry["text"] = _cut(_text(event, "prompt.text") or _text(event, "message"))
    elif response or family == "agent":
        entry["kind"] = "response"
        entry["title"] = {
            "agent.reasoning": "Reasoning",
            "agent.notification": "Notification",
        }.get(action, "Response")
        entry["text"] = _cut(response or _text(event, "message"))
    elif family == "model":
        entry["kind"] = "error" if action in ("model.error", "model.refusal") else "model"
        model = _text(event, "model") or _text(event, "gen_ai.request.model")
        entry["title"] = {
            "model.request": "Model request",
            "model.error": "Model error",
            "model.refusal": "Model refusal",
            "model.retry": "Model retry",
        }.get(action, action)
        entry["summary"] = model
        entry["usage"] = _usage(event)
        entry["output"] = _cut(_text(event, "error.message"))
    elif family == "file":
        entry["kind"], entry["title"] = (
            "file",
            "File " + (_text(event, "file.operation") or action[5:]),
        )
        entry["summary"] = _text(event, "file.path")
        entry["text"] = _cut(_text(event, "file.diff"))
    elif family == "approval" or family == "policy":
        entry["kind"] = "approval"
        entry["title"] = humane(action)
        entry["summary"] = " · ".join(
            p
            for p in (
                _text(event, "tool.name"),
                _text(event, "approval.decision") or _text(event, "policy.decision"),
                _text(event, "approval.reason") or _text(event, "policy.reason"),
            )
            if p
        )
        entry["code"] = _text(event, "tool.command") or _text(event, "command.command")
    elif family == "session" or family == "subagent":
        entry["kind"], entry["title"] = "session", humane(action)
        entry["summary"] = _text(event, "message")
    else:
        entry["title"] = humane(action) if action else "Event"
        entry["summary"] = _text(event, "message")
        entry["code"] = _text(event, "command.command") or _text(event, "tool.command")
    if entry["error"] and entry["kind"] not in ("call", "mcp"):
        entry["output"] = entry["output"] or _cut(
            _text(event, "error.message") or _text(event, "error.type")
        )
    return entry


def build(
    summary: SessionSummary, matches: Sequence[Match], *, everything: bool = False
) -> dict[str, Any]:
    """The timeline of one session's events (given in time order).

    `everything`: keep plumbing and duplicates too (they are counted either way).
    """
    hidden = {"plumbing": 0, "duplicates": 0}
    groups: dict[str, list[Match]] = {}
    order: list[tuple[str, Any]] = []  # ("call", call id) or ("event", match)
    for match in matches:
        event = match.event
        action = _text(event, "event.action")
        if action in PLUMBING:
            hidden["plumbing"] += 1
            if not everything:
                continue
        elif field_value(event, "event.duplicate_of"):
            hidden["duplicates"] += 1
        call_id = _text(event, "gen_ai.tool.call.id")
        if call_id and action.split(".", 1)[0] in CALL_FAMILIES:
            if call_id not in groups:
                groups[call_id] = []
                order.append(("call", call_id))
            groups[call_id].append(match)
        else:
            if field_value(event, "event.duplicate_of") and not everything:
                continue
            order.append(("event", match))
    entries = []
    for kind, item in order:
        if kind == "call":
            entry = _call_entry(groups[item], everything)
            if entry["duplicate"] and not everything:
                continue
        else:
            entry = _single_entry(item)
        entries.append(entry)
    previous: str | None = None
    for entry in entries:
        stamp = entry["time"] if isinstance(entry["time"], str) else ""
        if summary.start and stamp:
            entry["offset_seconds"] = seconds_between(summary.start, stamp)
        if previous and stamp:
            gap = seconds_between(previous, stamp)
            if gap is not None and gap >= GAP_SECONDS:
                entry["gap_seconds"] = gap
        if stamp:
            previous = max(previous, stamp) if previous else stamp
    return {
        "session": summary.to_dict(),
        "duration_seconds": seconds_between(summary.start, summary.end) if summary.start else None,
        "entries": entries,
        "hidden": hidden,
        "errors": sum(1 for e in entries if e["error"]),
    }
