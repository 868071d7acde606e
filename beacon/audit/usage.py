"""Token use and cost by day, model and harness, counted the way session summaries count.

A runtime may report usage twice: per model request (`model.request` with
`gen_ai.usage`) and as running metrics (`token.usage`, `cost.usage`). Adding both would
double it, so per session the request events win when they carry tokens (for cost: when
they carry a cost), else the metrics count, exactly as `sessions.SessionTally` decides.
Usage is first reduced to `UsageRow`s (one per session, source, day, model and harness),
which add up across files; the rule is applied when the rows are totalled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

REQUEST = "request"
METRIC = "metric"
_SOURCES = {"model.request": REQUEST, "token.usage": METRIC, "cost.usage": METRIC}


@dataclass(frozen=True, slots=True)
class UsageKey:
    """What usage is grouped by."""

    session: str
    source: str  # REQUEST or METRIC
    day: str  # YYYY-MM-DD (UTC)
    model: str
    harness: str


@dataclass(slots=True)
class UsageRow:
    """Tokens and cost of one group, and how many events reported them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    events: int = 0

    def add(self, other: UsageRow) -> None:
        """Add another row's numbers."""
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.events += other.events


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _text(event: dict[str, Any], key: str, sub: str) -> str:
    block = event.get(key)
    value = block.get(sub) if isinstance(block, dict) else None
    return value if isinstance(value, str) else ""


def usage_of(event: dict[str, Any]) -> tuple[UsageKey, UsageRow] | None:
    """The usage an event reports, or None (not a usage event, no numbers, a duplicate)."""
    meta = event.get("event")
    if not isinstance(meta, dict) or meta.get("duplicate_of"):
        return None
    source = _SOURCES.get(str(meta.get("action")))
    gen_ai = event.get("gen_ai")
    usage = gen_ai.get("usage") if isinstance(gen_ai, dict) else None
    if source is None or not isinstance(usage, dict):
        return None
    model = event.get("model")
    if not isinstance(model, str) or not model:
        request = gen_ai.get("request") if isinstance(gen_ai, dict) else None
        model = request.get("model") if isinstance(request, dict) else None
    stamp = event.get("timestamp")
    key = UsageKey(
        _text(event, "session", "id"),
        source,
        stamp[:10] if isinstance(stamp, str) else "",
        model if isinstance(model, str) else "",
        _text(event, "harness", "name"),
    )
    row = UsageRow(
        int(_number(usage.get("input_tokens"))),
        int(_number(usage.get("output_tokens"))),
        _number(usage.get("cost_usd")),
        1,
    )
    return key, row


def add_usage(rows: dict[UsageKey, UsageRow], events: Iterable[dict[str, Any]]) -> None:
    """Add the usage of `events` to `rows`."""
    for event in events:
        found = usage_of(event)
        if found is None:
            continue
        key, row = found
        mine = rows.get(key)
        if mine is None:
            rows[key] = row
        else:
            mine.add(row)


@dataclass
class Totals:
    """Tokens and cost overall and grouped; `by_day_model` feeds stacked charts."""

    total: UsageRow = field(default_factory=UsageRow)
    by_day: dict[str, UsageRow] = field(default_factory=dict)
    by_model: dict[str, UsageRow] = field(default_factory=dict)
    by_harness: dict[str, UsageRow] = field(default_factory=dict)
    by_session: dict[str, UsageRow] = field(default_factory=dict)
    by_day_model: dict[tuple[str, str], UsageRow] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; groups sorted (days by date, the others by tokens)."""

        def row(r: UsageRow) -> dict[str, Any]:
            return {
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
                "tokens": r.input_tokens + r.output_tokens,
                "cost_usd": round(r.cost_usd, 6),
            }

        def ranked(groups: dict[str, UsageRow]) -> list[dict[str, Any]]:
            items = sorted(
                groups.items(), key=lambda kv: (-(kv[1].input_tokens + kv[1].output_tokens), kv[0])
            )
            return [{"name": k, **row(v)} for k, v in items]

        return {
            "total": row(self.total),
            "by_day": [{"day": d, **row(r)} for d, r in sorted(self.by_day.items())],
            "by_model": ranked(self.by_model),
            "by_harness": ranked(self.by_harness),
            "by_session": ranked(self.by_session),
            "by_day_model": [
                {"day": d, "model": m, **row(r)} for (d, m), r in sorted(self.by_day_model.items())
            ],
        }


def usage_totals(rows: dict[UsageKey, UsageRow]) -> Totals:
    """Totals of `rows`, each session counted from its request events or its metrics."""
    requests: dict[str, UsageRow] = {}
    for key, row in rows.items():
        sums = requests.setdefault(key.session, UsageRow())
        if key.source == REQUEST:
            sums.add(row)
    tokens_from: dict[str, str] = {}
    cost_from: dict[str, str] = {}
    for session, request in requests.items():
        seen = request.events > 0
        tokens = seen and (request.input_tokens or request.output_tokens)
        tokens_from[session] = REQUEST if tokens else METRIC
        cost_from[session] = REQUEST if seen and request.cost_usd else METRIC
    totals = Totals()
    for key, row in rows.items():
        counted = UsageRow(events=row.events)
        if tokens_from[key.session] == key.source:
            counted.input_tokens, counted.output_tokens = row.input_tokens, row.output_tokens
        if cost_from[key.session] == key.source:
            counted.cost_usd = row.cost_usd
        if not (counted.input_tokens or counted.output_tokens or counted.cost_usd):
            continue
        for groups, name in (
            (totals.by_day, key.day),
            (totals.by_model, key.model or "(unknown)"),
            (totals.by_harness, key.harness or "(unknown)"),
            (totals.by_session, key.session),
        ):
            groups.setdefault(name, UsageRow()).add(counted)
        totals.by_day_model.setdefault((key.day, key.model or "(unknown)"), UsageRow()).add(counted)
        totals.total.add(counted)
    return totals
