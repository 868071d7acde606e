"""Evaluate a rule pack over a stream of events: single-event matches and session
correlations, in bounded memory.

Each event is looked at once. Its `event.action` selects the few expressions that can
match it (an index built from each expression's `==`/`in` tests on the action); a cheap
pre-check of string tests rules most of those out; CEL decides the rest.

Correlation state per (rule, session) is bounded by the number of steps, whatever the log
size: for ordered steps, of two partial matches waiting for the same step the later-
anchored one finishes whenever the earlier one would and has more window left, so only it
is kept; for `order: any`, each step keeps its few latest candidates inside the window.
Partial matches older than the window are dropped as time moves on. After a finding the
session's state for that rule starts over, so one burst gives one finding.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from beacon.scan.expr import ExpressionError, Predicate
from beacon.scan.fields import lookup, rule_fields, typed
from beacon.scan.rules import Rule

SWEEP_EVERY = 50_000


@dataclass(frozen=True)
class EventRef:
    """What a finding keeps of a matching event."""

    id: str
    timestamp: str
    action: str
    step: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON form; `step` only for correlation steps."""
        out = {"id": self.id, "timestamp": self.timestamp, "action": self.action}
        if self.step:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class Finding:
    """A rule that fired: on one event, or on a session's correlated events."""

    rule: Rule
    session_id: str
    events: tuple[EventRef, ...]

    @property
    def severity(self) -> str:
        """The rule's severity."""
        return self.rule.severity

    def as_dict(self) -> dict[str, Any]:
        """JSON form (`beacon scan --json`); `policy`-compatible names as upstream."""
        return {
            "rule_id": self.rule.id,
            "rule_version": self.rule.version,
            "title": self.rule.title,
            "severity": self.rule.severity,
            "posture": self.rule.posture,
            "session_id": self.session_id,
            "reason": self.rule.reason,
            "taxonomy": dict(self.rule.taxonomy),
            "events": [e.as_dict() for e in self.events],
        }


def event_time(event: Mapping[str, Any]) -> float | None:
    """The event's timestamp in epoch seconds, or None when absent or unparseable."""
    value = event.get("timestamp")
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _ref(event: Mapping[str, Any], step: str = "") -> EventRef:
    ev = event.get("event")
    ev = ev if isinstance(ev, Mapping) else {}
    ts = event.get("timestamp")
    return EventRef(
        str(ev.get("id") or ""),
        ts if isinstance(ts, str) else "",
        str(ev.get("action") or ""),
        step,
    )


def _session(event: Mapping[str, Any]) -> str:
    session = event.get("session")
    if isinstance(session, Mapping):
        sid = session.get("id")
        if isinstance(sid, str):
            return sid
    return ""


@dataclass
class _Partial:
    anchor: float | None
    next_step: int
    refs: tuple[EventRef, ...]


class _Sequence:
    """Ordered-step state of one rule: session → {next step: latest-anchored partial}."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.names = [s.id for s in rule.steps]
        self.sessions: dict[str, dict[int, _Partial]] = {}

    def feed(
        self, session: str, event: Mapping[str, Any], when: float | None, matched: set[int]
    ) -> tuple[EventRef, ...] | None:
        state = self.sessions.get(session, {})
        window = self.rule.window
        if when is not None:
            state = {
                k: p for k, p in state.items() if p.anchor is None or when - p.anchor <= window
            }
        updated: dict[int, _Partial] = {}
        done: tuple[EventRef, ...] | None = None
        for partial in sorted(state.values(), key=lambda p: p.next_step):
            if partial.next_step in matched:
                refs = (*partial.refs, _ref(event, self.names[partial.next_step]))
                partial = _Partial(partial.anchor, partial.next_step + 1, refs)
                if partial.next_step == len(self.names):
                    done = done or partial.refs
                    continue
            # Later entries come from later anchors or advanced ones: they dominate.
            updated[partial.next_step] = _newer(updated.get(partial.next_step), partial)
        if done is not None:
            self.sessions.pop(session, None)
            return done
        if 0 in matched:
            anchor = _Partial(when, 1, (_ref(event, self.names[0]),))
            updated[1] = _newer(updated.get(1), anchor)
        if updated:
            self.sessions[session] = updated
        else:
            self.sessions.pop(session, None)
        return None

    def sweep(self, now: float) -> None:
        window = self.rule.window
        for session in list(self.sessions):
            alive = {
                k: p
                for k, p in self.sessions[session].items()
                if p.anchor is None or now - p.anchor <= window
            }
            if alive:
                self.sessions[session] = alive
            else:
                del self.sessions[session]

    def size(self) -> int:
        return sum(len(s) for s in self.sessions.values())


def _newer(old: _Partial | None, new: _Partial) -> _Partial:
    if old is None:
        return new
    if old.anchor is not None and new.anchor is not None and old.anchor > new.anchor:
        return old
    return new


class _AnyOrder:
    """Unordered-step state of one rule: session → per step, its latest candidates."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.names = [s.id for s in rule.steps]
        self.sessions: dict[str, list[deque[tuple[float | None, int, EventRef]]]] = {}
        self.counter = 0

    def feed(
        self, session: str, event: Mapping[str, Any], when: float | None, matched: set[int]
    ) -> tuple[EventRef, ...] | None:
        steps = len(self.names)
        state = self.sessions.get(session)
        if state is None:
            state = self.sessions[session] = [deque(maxlen=steps) for _ in range(steps)]
        if when is not None:
            for candidates in state:
                while (
                    candidates
                    and candidates[0][0] is not None
                    and when - candidates[0][0] > self.rule.window
                ):
                    candidates.popleft()
        self.counter += 1
        for step in matched:
            state[step].append((when, self.counter, _ref(event, self.names[step])))
        chosen = _assign([[c[1] for c in candidates] for candidates in state])
        if chosen is None:
            return None
        by_serial = {c[1]: c[2] for candidates in state for c in candidates}
        refs = [
            EventRef(r.id, r.timestamp, r.action, self.names[step])
            for step, serial in enumerate(chosen)
            for r in (by_serial[serial],)
        ]
        order = sorted(range(steps), key=lambda s: chosen[s])
        del self.sessions[session]
        return tuple(refs[s] for s in order)

    def sweep(self, now: float) -> None:
        for session in list(self.sessions):
            state = self.sessions[session]
            for candidates in state:
                while (
                    candidates
                    and candidates[0][0] is not None
                    and now - candidates[0][0] > self.rule.window
                ):
                    candidates.popleft()
            if not any(state):
                del self.sessions[session]

    def size(self) -> int:
        return sum(len(c) for s in self.sessions.values() for c in s)


def _assign(candidates: list[list[int]]) -> list[int] | None:
    """A distinct candidate per step (bipartite matching), or None."""
    owner: dict[int, int] = {}

    def augment(step: int, seen: set[int]) -> bool:
        for cand in reversed(candidates[step]):
            if cand in seen:
                continue
            seen.add(cand)
            if cand not in owner or augment(owner[cand], seen):
                owner[cand] = step
                return True
        return False

    for step in range(len(candidates)):
        if not augment(step, set()):
            return None
    chosen = [0] * len(candidates)
    for cand, step in owner.items():
        chosen[step] = cand
    return chosen


class _StringValues:
    """An event's string fields for the pre-check, each looked up once."""

    __slots__ = ("cache", "event")

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        value = self.cache.get(path)
        if value is None:
            value = self.cache[path] = typed(lookup(self.event, _FIELDS[path].keys), "string")
        return value


_FIELDS = rule_fields()


@dataclass
class _Slot:
    rule_index: int
    step: int
    predicate: Predicate


@dataclass
class ScanStats:
    """Counters of one evaluation run."""

    events: int = 0
    evaluations: int = 0
    prefiltered: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    state_peak: int = 0


class Engine:
    """A compiled rule pack ready to evaluate event streams."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)
        self._slots: list[_Slot] = []
        for index, rule in enumerate(self.rules):
            if rule.match is not None:
                self._slots.append(_Slot(index, -1, rule.match))
            else:
                for step, s in enumerate(rule.steps):
                    self._slots.append(_Slot(index, step, s.predicate))
        self._any: tuple[_Slot, ...] = tuple(s for s in self._slots if s.predicate.actions is None)
        self._by_action: dict[str, tuple[_Slot, ...]] = {}
        self._strings = {p for p, f in rule_fields().items() if f.type == "string"}

    def _candidates(self, action: str) -> tuple[_Slot, ...]:
        slots = self._by_action.get(action)
        if slots is None:
            slots = tuple(
                s
                for s in self._slots
                if s.predicate.actions is None or action in s.predicate.actions
            )
            self._by_action[action] = slots
        return slots

    def run(
        self, events: Iterable[Mapping[str, Any]], stats: ScanStats | None = None
    ) -> Iterator[Finding]:
        """Findings over `events` in order, as soon as each is known."""
        stats = stats if stats is not None else ScanStats()
        correlators: dict[int, _Sequence | _AnyOrder] = {
            i: (_AnyOrder(r) if r.order == "any" else _Sequence(r))
            for i, r in enumerate(self.rules)
            if r.match is None
        }
        latest: float | None = None
        for event in events:
            stats.events += 1
            if correlators and stats.events % SWEEP_EVERY == 0:
                now = event_time(event)
                if now is not None:
                    latest = now if latest is None else max(latest, now)
                self._sweep(correlators, latest, stats)
            ev = event.get("event")
            action = ev.get("action") if isinstance(ev, Mapping) else None
            slots = self._candidates(action if isinstance(action, str) else "")
            if not slots:
                continue
            values = _StringValues(event)
            steps: dict[int, set[int]] = {}
            for slot in slots:
                if not slot.predicate.shape.possible(values):
                    stats.prefiltered += 1
                    continue
                stats.evaluations += 1
                if not self._evaluate(slot.predicate, event, stats):
                    continue
                if slot.step < 0:
                    yield Finding(self.rules[slot.rule_index], _session(event), (_ref(event),))
                else:
                    steps.setdefault(slot.rule_index, set()).add(slot.step)
            if not steps:
                continue
            when = event_time(event)
            if when is not None:
                latest = when if latest is None else max(latest, when)
            session = _session(event)
            for rule_index, matched in steps.items():
                refs = correlators[rule_index].feed(session, event, when, matched)
                if refs is not None:
                    yield Finding(self.rules[rule_index], session, refs)
        self._sweep(correlators, latest, stats)

    @staticmethod
    def _sweep(
        correlators: Mapping[int, _Sequence | _AnyOrder], now: float | None, stats: ScanStats
    ) -> None:
        """Record the state size, then drop partial matches whose window has passed."""
        size = sum(c.size() for c in correlators.values())
        stats.state_peak = max(stats.state_peak, size)
        if now is not None:
            for c in correlators.values():
                c.sweep(now)

    @staticmethod
    def _evaluate(predicate: Predicate, event: Mapping[str, Any], stats: ScanStats) -> bool:
        try:
            return predicate.evaluate(event)
        except ExpressionError as exc:
            stats.errors += 1
            if len(stats.error_samples) < 5:
                stats.error_samples.append(str(exc))
            return False


def verdict(rule: Rule, events: Iterable[Mapping[str, Any]]) -> str:
    """`match` or `no_match` for a fixture's events, in their listed order."""
    for _ in Engine([rule]).run(events):
        return "match"
    return "no_match"


def run_fixtures(rule: Rule) -> dict[str, tuple[str, str]]:
    """Each fixture's name → (expected verdict, verdict given)."""
    return {f.name: (f.verdict, verdict(rule, f.events)) for f in rule.fixtures}
