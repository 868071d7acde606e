"""Agent sessions: one summary per `session.id`, and one session's timeline.

A session's events may arrive twice (OTLP and hooks report the same tool call; dedupe
marks the second with `event.duplicate_of`), so counts skip marked duplicates and count a
tool call once per call id. Tokens and cost come from the per-request model events when a
session has them, else from the runtime's usage metrics: adding both would double them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.audit.query import Filter, Match, iter_search, search
from beacon.audit.reader import LogFile
from beacon.errors import UsageError

TOOL_STARTS = frozenset({"tool.invoked", "mcp.tool_invoked", "command.invoked"})
TOOL_ENDS = frozenset({"tool.completed", "tool.failed", "command.executed"})
COMMANDS = frozenset({"command.executed"})


@dataclass
class SessionSummary:
    """What one agent session did, from its first to its last event."""

    id: str
    harness: str = ""
    start: str = ""
    end: str = ""
    events: int = 0
    prompts: int = 0
    tool_calls: int = 0
    commands: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    models: list[str] = field(default_factory=list)
    working_directory: str = ""

    @property
    def tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "id": self.id,
            "harness": self.harness,
            "start": self.start,
            "end": self.end,
            "events": self.events,
            "prompts": self.prompts,
            "tool_calls": self.tool_calls,
            "commands": self.commands,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens": self.tokens,
            "cost_usd": round(self.cost_usd, 6),
            "models": self.models,
            "working_directory": self.working_directory,
        }


class SessionTally:
    """Accumulates one session's events (in any order) into its `SessionSummary`.

    Tallies of the same session over different parts of the log merge (`merge`), and keep
    as JSON (`state` / `from_state`): the dashboard's index holds one per session per file.
    """

    def __init__(self, session_id: str) -> None:
        self.summary = SessionSummary(session_id)
        self.call_ids: set[str] = set()
        self.command_ids: set[str] = set()
        self.starts_without_id = 0
        self.ends_without_id = 0
        self.commands_without_id = 0
        self.prompt_ids: set[str] = set()
        self.prompts_without_id = 0
        self.request_usage: list[Any] = [0, 0, 0.0, False]  # input, output, cost, seen
        self.metric_usage: list[Any] = [0, 0, 0.0]
        self.models: set[str] = set()

    def add(self, event: dict[str, Any]) -> None:
        """Count one event of this session."""
        s = self.summary
        s.events += 1
        stamp = event.get("timestamp")
        if isinstance(stamp, str):
            s.start = min(s.start, stamp) if s.start else stamp
            s.end = max(s.end, stamp)
        harness = _get(event, "harness", "name")
        if harness and not s.harness:
            s.harness = harness
        cwd = _get(event, "session", "working_directory")
        if cwd and not s.working_directory:
            s.working_directory = cwd
        model = event.get("model")
        if isinstance(model, str) and model:
            self.models.add(model)
        meta = event.get("event")
        meta = meta if isinstance(meta, dict) else {}
        if meta.get("duplicate_of"):
            return
        action = meta.get("action")
        call_id = _call_id(event)
        if action == "prompt.submitted":
            prompt_id = _get(event, "prompt", "id")
            if prompt_id:
                self.prompt_ids.add(prompt_id)
            else:
                self.prompts_without_id += 1
        if action in TOOL_STARTS or action in TOOL_ENDS:
            if call_id:
                self.call_ids.add(call_id)
            elif action in TOOL_STARTS:
                self.starts_without_id += 1
            else:
                self.ends_without_id += 1
        if action in COMMANDS:
            if call_id:
                self.command_ids.add(call_id)
            else:
                self.commands_without_id += 1
        usage = _usage(event)
        if usage is not None:
            inputs, outputs, cost = usage
            if action == "model.request":
                self.request_usage[0] += inputs
                self.request_usage[1] += outputs
                self.request_usage[2] += cost
                self.request_usage[3] = True
            elif action in ("token.usage", "cost.usage"):
                self.metric_usage[0] += inputs
                self.metric_usage[1] += outputs
                self.metric_usage[2] += cost

    def merge(self, newer: SessionTally) -> None:
        """Add the tally of a later part of the log (names seen first are kept)."""
        s, o = self.summary, newer.summary
        s.events += o.events
        if o.start:
            s.start = min(s.start, o.start) if s.start else o.start
        s.end = max(s.end, o.end)
        s.harness = s.harness or o.harness
        s.working_directory = s.working_directory or o.working_directory
        self.models |= newer.models
        self.call_ids |= newer.call_ids
        self.command_ids |= newer.command_ids
        self.prompt_ids |= newer.prompt_ids
        self.starts_without_id += newer.starts_without_id
        self.ends_without_id += newer.ends_without_id
        self.commands_without_id += newer.commands_without_id
        self.prompts_without_id += newer.prompts_without_id
        for mine, theirs in (
            (self.request_usage, newer.request_usage),
            (self.metric_usage, newer.metric_usage),
        ):
            for i in range(3):
                mine[i] += theirs[i]
        self.request_usage[3] = bool(self.request_usage[3] or newer.request_usage[3])

    def state(self) -> dict[str, Any]:
        """A JSON-ready form that `from_state` reads back."""
        s = self.summary
        return {
            "id": s.id,
            "harness": s.harness,
            "start": s.start,
            "end": s.end,
            "events": s.events,
            "working_directory": s.working_directory,
            "models": sorted(self.models),
            "call_ids": sorted(self.call_ids),
            "command_ids": sorted(self.command_ids),
            "prompt_ids": sorted(self.prompt_ids),
            "without_id": [
                self.starts_without_id,
                self.ends_without_id,
                self.commands_without_id,
                self.prompts_without_id,
            ],
            "request_usage": list(self.request_usage),
            "metric_usage": list(self.metric_usage),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SessionTally:
        """A tally from `state()`."""
        tally = cls(str(state["id"]))
        s = tally.summary
        s.harness, s.start, s.end = state["harness"], state["start"], state["end"]
        s.events, s.working_directory = int(state["events"]), state["working_directory"]
        tally.models = set(state["models"])
        tally.call_ids = set(state["call_ids"])
        tally.command_ids = set(state["command_ids"])
        tally.prompt_ids = set(state["prompt_ids"])
        (
            tally.starts_without_id,
            tally.ends_without_id,
            tally.commands_without_id,
            tally.prompts_without_id,
        ) = (int(n) for n in state["without_id"])
        inputs, outputs, cost, seen = state["request_usage"]
        tally.request_usage = [int(inputs), int(outputs), float(cost), bool(seen)]
        metric_in, metric_out, metric_cost = state["metric_usage"]
        tally.metric_usage = [int(metric_in), int(metric_out), float(metric_cost)]
        return tally

    def done(self) -> SessionSummary:
        """The summary of everything counted so far."""
        s = self.summary
        s.prompts = len(self.prompt_ids) + self.prompts_without_id
        # Runtimes without call ids report a start and an end per call: count the starts.
        s.tool_calls = len(self.call_ids) + (self.starts_without_id or self.ends_without_id)
        s.commands = len(self.command_ids) + self.commands_without_id
        inputs, outputs, cost, seen = self.request_usage
        metric_in, metric_out, metric_cost = self.metric_usage
        s.input_tokens = int(inputs if seen and (inputs or outputs) else metric_in)
        s.output_tokens = int(outputs if seen and (inputs or outputs) else metric_out)
        s.cost_usd = float(cost if seen and cost else metric_cost)
        s.models = sorted(self.models)
        return s


def _get(event: dict[str, Any], key: str, sub: str) -> str:
    block = event.get(key)
    value = block.get(sub) if isinstance(block, dict) else None
    return value if isinstance(value, str) else ""


def _call_id(event: dict[str, Any]) -> str:
    gen_ai = event.get("gen_ai")
    tool = gen_ai.get("tool") if isinstance(gen_ai, dict) else None
    call = tool.get("call") if isinstance(tool, dict) else None
    value = call.get("id") if isinstance(call, dict) else None
    return value if isinstance(value, str) else ""


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _usage(event: dict[str, Any]) -> tuple[int, int, float] | None:
    gen_ai = event.get("gen_ai")
    usage = gen_ai.get("usage") if isinstance(gen_ai, dict) else None
    if not isinstance(usage, dict):
        return None
    return (
        int(_number(usage.get("input_tokens"))),
        int(_number(usage.get("output_tokens"))),
        _number(usage.get("cost_usd")),
    )


def tally(events: Iterable[dict[str, Any]]) -> dict[str, SessionTally]:
    """One tally per session id (events without one are left out)."""
    tallies: dict[str, SessionTally] = {}
    for event in events:
        session_id = _get(event, "session", "id")
        if not session_id:
            continue
        found = tallies.get(session_id)
        if found is None:
            found = tallies[session_id] = SessionTally(session_id)
        found.add(event)
    return tallies


def summaries_of(tallies: Iterable[SessionTally]) -> list[SessionSummary]:
    """The tallies' summaries, latest start first."""
    summaries = [t.done() for t in tallies]
    summaries.sort(key=lambda s: (s.start, s.id), reverse=True)
    return summaries


def summarize(events: Iterable[dict[str, Any]]) -> list[SessionSummary]:
    """One summary per session id (events without one are left out), latest start first."""
    return summaries_of(tally(events).values())


def sessions(
    log_dir: Path,
    where: Filter | None = None,
    *,
    stream: str = "runtime",
    keep: Callable[[LogFile], bool] | None = None,
) -> list[SessionSummary]:
    """Summaries of the sessions that have events matching `where`, counted over those events
    (with `since`/`until`: the part of each session inside the window). `keep`: as for
    `search`."""
    where = where or Filter()
    matches = iter_search(log_dir, where, stream=stream, newest_first=False, keep=keep)
    return summarize(m.event for m in matches)


def timeline(
    log_dir: Path,
    session_id: str,
    *,
    stream: str = "runtime",
    keep: Callable[[LogFile], bool] | None = None,
) -> tuple[SessionSummary, list[Match]]:
    """One session's summary and events in time order; `session_id` may be a unique prefix.
    `keep`: as for `search`."""
    if not session_id:
        raise UsageError("a session id is needed")
    matches = search(
        log_dir, Filter(sessions=(session_id,)), stream=stream, newest_first=False, keep=keep
    )
    ids = sorted({_get(m.event, "session", "id") for m in matches})
    if not ids:
        raise UsageError(f"no session {session_id!r} in {log_dir}")
    if len(ids) > 1 and session_id not in ids:
        raise UsageError(f"session prefix {session_id!r} is ambiguous: {', '.join(ids[:10])}")
    chosen = session_id if session_id in ids else ids[0]
    events = [m for m in matches if _get(m.event, "session", "id") == chosen]
    events.sort(key=lambda m: str(m.event.get("timestamp", "")))  # stable: ties keep file order
    return summarize(m.event for m in events)[0], events
