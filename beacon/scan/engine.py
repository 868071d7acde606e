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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import re2

from beacon.scan.expr import Atom, ExpressionError, Predicate, compiled_regex
from beacon.scan.fields import lookup, rule_fields, typed
from beacon.scan.rules import Rule

# Partial matches older than their window are dropped every this many events, so state is
# bounded by what fits in a window plus this many events, whatever the log size.
SWEEP_EVERY = 4096


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
    ev = ev if isinstance(ev, dict) else {}
    ts = event.get("timestamp")
    return EventRef(
        str(ev.get("id") or ""),
        ts if isinstance(ts, str) else "",
        str(ev.get("action") or ""),
        step,
    )


def _session(event: Mapping[str, Any]) -> str:
    session = event.get("session")
    if isinstance(session, dict):
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


class _Precheck:
    """Decides the pre-check atoms of one event, each at most once. All regex atoms on one
    field run as a single RE2 set scan of that field (one pass instead of one per pattern).
    Atoms are numbered; shapes ask for atom numbers."""

    # Above this length a field is searched pattern by pattern: a set scan of a long
    # text could exhaust the DFA's memory, and a failed scan must not read as no match.
    SET_LIMIT = 4096

    def __init__(self) -> None:
        self.atoms: list[Atom] = []
        self.numbers: dict[Atom, int] = {}
        self.sets: dict[str, Any] = {}
        self.patterns: dict[str, dict[int, str]] = {}
        self.set_index: list[int] = []
        self.event: Mapping[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.truths: list[int] = []
        self.hits: dict[str, frozenset[int]] = {}

    def number(self, atom: Atom) -> int:
        """The atom's number, registering it on first sight."""
        n = self.numbers.get(atom)
        if n is None:
            n = self.numbers[atom] = len(self.atoms)
            self.atoms.append(atom)
        return n

    def build(self) -> None:
        """Compile one RE2 set per field over that field's regex atoms."""
        by_path: dict[str, dict[str, int]] = {}
        for atom in self.atoms:
            if atom.op == "matches":
                by_path.setdefault(atom.path, {}).setdefault(atom.values[0], -1)
        for path, patterns in by_path.items():
            options = re2.Options()
            options.max_mem = 64 << 20
            regex_set = re2.Set.SearchSet(options)
            for pattern in patterns:
                patterns[pattern] = regex_set.Add(pattern)
            regex_set.Compile()
            self.sets[path] = regex_set
            self.patterns[path] = {i: pattern for pattern, i in patterns.items()}
        self.set_index = [
            by_path[a.path][a.values[0]] if a.op == "matches" else -1 for a in self.atoms
        ]
        self.truths = [-1] * len(self.atoms)

    def reset(self, event: Mapping[str, Any]) -> None:
        """Start on a new event."""
        self.event = event
        self.values = {}
        self.truths = [-1] * len(self.atoms)
        self.hits = {}

    def value(self, path: str) -> Any:
        """The field, typed and zero-filled as CEL will see it."""
        if path in self.values:
            return self.values[path]
        field = _FIELDS[path]
        value = self.values[path] = typed(lookup(self.event, field.keys), field.type)
        return value

    def hits_of(self, path: str) -> frozenset[int] | None:
        """Indexes of the field's set patterns that match, or None when the field is too
        long for a set scan."""
        hits = self.hits.get(path)
        if hits is None:
            value = self.value(path)
            if len(value) > self.SET_LIMIT:
                return None
            hits = self.hits[path] = frozenset(self.sets[path].Match(value) or ())
        return hits

    def search(self, path: str, index: int) -> bool:
        """Whether set pattern `index` of the field occurs in it (one pattern, no set)."""
        return compiled_regex(self.patterns[path][index]).search(self.value(path)) is not None

    def __call__(self, n: int) -> bool:
        known = self.truths[n]
        if known >= 0:
            return known == 1
        atom = self.atoms[n]
        value = self.value(atom.path)
        index = self.set_index[n]
        hits = self.hits_of(atom.path) if index >= 0 else None
        truth = (index in hits) != atom.negated if hits is not None else atom.test(value)
        self.truths[n] = 1 if truth else 0
        return truth


_FIELDS = rule_fields()


@dataclass(frozen=True)
class _Slot:
    rule_index: int
    step: int
    predicate: Predicate


Possible = Callable[[Callable[[int], bool]], bool]


@dataclass(frozen=True)
class _Candidates:
    """For one action: expressions with a general pre-check, and per field a table from
    RE2 set pattern index to the expressions whose whole pre-check is that pattern."""

    general: tuple[tuple[_Slot, Possible], ...]
    dispatch: tuple[tuple[str, dict[int, tuple[_Slot, ...]], int], ...]

    def __bool__(self) -> bool:
        return bool(self.general or self.dispatch)


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
        self._by_action: dict[str, _Candidates] = {}
        self._precheck = _Precheck()
        for slot in self._slots:
            for atom in slot.predicate.shape.atoms():
                self._precheck.number(atom)
        self._precheck.build()

    def _candidates(self, action: str) -> _Candidates:
        """The expressions that can match an event with this action, each with its
        pre-check specialised to the action (tests on the action folded away). Those left
        with a single regex test are dispatched from the field's RE2 set scan."""
        found = self._by_action.get(action)
        if found is None:
            general: list[tuple[_Slot, Possible]] = []
            by_regex: dict[str, dict[int, list[_Slot]]] = {}
            for slot in self._slots:
                shape = slot.predicate.shape.given("event.action", action)
                if shape.kind == "false":
                    continue
                atom = shape.atom
                if (
                    atom is not None
                    and atom.op == "matches"
                    and not atom.negated
                    and atom.path in self._precheck.sets
                ):
                    index = self._precheck.set_index[self._precheck.number(atom)]
                    by_regex.setdefault(atom.path, {}).setdefault(index, []).append(slot)
                else:
                    general.append((slot, shape.compiled(self._precheck.number)))
            dispatch = tuple(
                (path, {i: tuple(s) for i, s in table.items()}, sum(map(len, table.values())))
                for path, table in by_regex.items()
            )
            found = self._by_action[action] = _Candidates(tuple(general), dispatch)
        return found

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
        precheck = self._precheck
        for event in events:
            stats.events += 1
            if correlators and stats.events % SWEEP_EVERY == 0:
                now = event_time(event)
                if now is not None:
                    latest = now if latest is None else max(latest, now)
                self._sweep(correlators, latest, stats)
            ev = event.get("event")
            action = ev.get("action") if type(ev) is dict else None
            candidates = self._candidates(action if type(action) is str else "")
            if not candidates:
                continue
            precheck.reset(event)
            passed: list[_Slot] = []
            for slot, possible in candidates.general:
                if possible(precheck):
                    passed.append(slot)
                else:
                    stats.prefiltered += 1
            for path, table, size in candidates.dispatch:
                hits = precheck.hits_of(path)
                if hits is None:  # too long for a set scan: test each pattern
                    for index, slots in table.items():
                        if precheck.search(path, index):
                            passed.extend(slots)
                    continue
                hit_count = 0
                for index in hits:
                    slots = table.get(index, ())
                    passed.extend(slots)
                    hit_count += len(slots)
                stats.prefiltered += size - hit_count
            steps: dict[int, set[int]] = {}
            for slot in passed:
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
