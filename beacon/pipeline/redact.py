"""Secret redaction over every string of an event, before truncation and before any write.

What counts as a secret is the catalog (`beacon.pipeline.secret_catalog`): each kind's
regexes, the substrings (anchors) every match holds, and a trigger for the prefilter.
Redaction is idempotent: the marker `[REDACTED]` never matches a rule.

Two ways to pick the rules a string needs, with the same result. The collector screens
the event's serialized JSON once (Hyperscan or RE2); only a hit walks the event, and an
RE2 set names the kinds whose trigger each suspect string holds. The hook path is stdlib
only: it looks for each kind's anchors in the strings. Either way a kind's regexes are
compiled the first time a string needs them, so starting up costs no regex compilation.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

from beacon.pipeline.secret_catalog import KINDS, SecretKind, expand

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from beacon.pipeline.base import Serialized
    from beacon.pipeline.prefilter import Screen
    from beacon.schema.event import Event

MARKER = "[REDACTED]"
_ASSIGNED_VALUE_MIN = 8  # a context rule's value this long is also redacted where it recurs


class Rule:
    """A compiled regex of one kind; groups named `secret…` are replaced, else the match."""

    __slots__ = ("groups", "kind", "pattern")

    def __init__(self, kind: str, pattern: re.Pattern[str]) -> None:
        self.kind = kind
        self.pattern = pattern
        self.groups = tuple(
            sorted(i for name, i in pattern.groupindex.items() if name.startswith("secret"))
        )


_COMPILED: list[tuple[Rule, ...] | None] = [None] * len(KINDS)


def rules_of(index: int) -> tuple[Rule, ...]:
    """The compiled rules of `KINDS[index]`, compiled on first use.

    ASCII semantics: `\\s`, `\\b` and case folding are ASCII-only, so the prefilter's
    byte-level triggers and the anchors can cover every match (Python's Unicode folding
    maps e.g. the Kelvin sign to `k`). Secrets and the names around them are ASCII.
    """
    rules = _COMPILED[index]
    if rules is None:
        kind = KINDS[index]
        rules = tuple(Rule(kind.id, re.compile(expand(p), re.ASCII)) for p in kind.patterns)
        _COMPILED[index] = rules
    return rules


@cache
def _anchors() -> tuple[tuple[str, bool, tuple[int, ...]], ...]:
    """(anchor, case-sensitive, kind indexes): all-lowercase anchors match any case."""
    table: dict[str, list[int]] = {}
    for index, kind in enumerate(KINDS):
        for anchor in kind.anchors:
            table.setdefault(anchor, []).append(index)
    return tuple((a, a != a.lower(), tuple(kinds)) for a, kinds in table.items())


def _present(
    text: str, lowered: str, table: Iterable[tuple[str, bool, tuple[int, ...]]]
) -> list[tuple[str, bool, tuple[int, ...]]]:
    return [entry for entry in table if entry[0] in (text if entry[1] else lowered)]


def kinds_in(text: str) -> tuple[int, ...]:
    """Indexes of the kinds whose anchors `text` holds (a superset of those that match)."""
    found = {k for _, _, kinds in _present(text, text.lower(), _anchors()) for k in kinds}
    return tuple(sorted(found))


@cache
def _key_anchors() -> tuple[str, ...]:
    return tuple(sorted({a.lower() for kind in KINDS if kind.keys for a in kind.anchors}))


@cache
def _key_pattern() -> re.Pattern[str]:
    """One regex over dict keys: which kind's key names does a key end with?"""
    parts = []
    for index, kind in enumerate(KINDS):
        if kind.keys:
            word = "(?<![a-z0-9])" if kind.key_word else ""
            parts.append(f"(?P<k{index}>{word}(?:{'|'.join(kind.keys)}))")
    return re.compile("(?i)(?:" + "|".join(parts) + r")\Z", re.ASCII)


def _key_kind(key: str) -> SecretKind | None:
    lowered = key.lower()
    if not any(anchor in lowered for anchor in _key_anchors()):
        return None
    match = _key_pattern().search(key)
    if match is None or match.lastgroup is None:
        return None
    return KINDS[int(match.lastgroup[1:])]


def is_secret_key(key: str) -> bool:
    """Whether a dict key names a secret (`password`, `x-api-key`, `AWS_SECRET`, …).

    Case is folded for ASCII only, as in the rules and the prefilter.
    """
    return _key_kind(key) is not None


def _key_trigger() -> str:
    """Serialized dict keys the key rules may hit: `"…name":` (a superset)."""
    names = "|".join(k for kind in KINDS for k in kind.keys)
    return f'(?:{names})\\\\?"\\s*:'


def _re2_options() -> Any:
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 64 << 20
    return options


def _compile_re2(pattern: str) -> Any:
    """A case-insensitive RE2 regex over bytes."""
    import re2

    return re2.compile(pattern.encode(), options=_re2_options())


@cache
def screen(engine: str = "auto") -> Screen:
    """The prefilter over serialized events: may a rule match anywhere in these bytes?

    Every rule match contains text its kind's trigger matches, in the JSON form of the
    string too, so a miss proves the event holds no secret (Python's `re` is 100x slower
    for this alternation). Imported lazily: the hook path redacts without it.
    """
    from beacon.pipeline.prefilter import build_screen

    triggers = [kind.trigger for kind in KINDS] + [_key_trigger()]
    return build_screen(_compile_re2, triggers, engine)


@cache
def _blob_triggers() -> Callable[[bytes], tuple[bool, bool]]:
    """One pass over a serialized event: may it hold secret values, secret-named keys?

    A clean event costs one prefilter scan; only a hit asks RE2 which kind it was.
    """
    either = screen()
    values = _value_search()
    keys = _compile_re2(_key_trigger())

    def scan(data: bytes) -> tuple[bool, bool]:
        if not either.hit(data):
            return False, False
        return values(data, 0) >= 0, keys.search(data) is not None

    return scan


@cache
def _value_search() -> Callable[[bytes, int], int]:
    """Offset of the first kind-trigger match at or after `pos`, or -1."""
    pattern = _compile_re2("|".join(f"(?:{kind.trigger})" for kind in KINDS))

    def search(data: bytes, pos: int = 0) -> int:
        match = pattern.search(data, pos)
        return -1 if match is None else int(match.start())

    return search


@cache
def _kind_set() -> Callable[[bytes], tuple[int, ...]]:
    """An RE2 set of the kinds' triggers: which kinds can match a given string, in order."""
    import re2

    kind_set = re2.Set.SearchSet(_re2_options())
    for kind in KINDS:
        kind_set.Add(kind.trigger.encode())
    kind_set.Compile()

    def kinds_for(data: bytes) -> tuple[int, ...]:
        return tuple(sorted(kind_set.Match(data) or ()))

    return kinds_for


def may_hold_secret(serialized: bytes) -> bool:
    """Whether a serialized event may hold a secret: false only when no rule can match."""
    values, keys = _blob_triggers()(serialized)
    return values or keys


class Redactor:
    """Redacts strings and whole events; counts what it replaced.

    `extra_patterns` are user regexes redacted whole; `allowlist` values are never redacted.
    `prefilter=False` is the stdlib variant (the hook path): no RE2, Hyperscan or orjson.
    """

    def __init__(
        self,
        extra_patterns: Iterable[str] = (),
        allowlist: Iterable[str] = (),
        *,
        prefilter: bool = True,
    ) -> None:
        self._extra = tuple(
            Rule(f"custom_{i}", re.compile(p)) for i, p in enumerate(extra_patterns)
        )
        self._allow = frozenset(allowlist)
        self._use_prefilter = prefilter and not self._extra
        if self._use_prefilter:
            import orjson

            self._dumps: Callable[[Any], bytes] = orjson.dumps
            _blob_triggers()
            _kind_set()

    def redact_text(self, text: str) -> tuple[str, int]:
        """`text` with every secret replaced by the marker, and how many were replaced."""
        return self._apply(text, kinds_in(text))

    def _apply(self, text: str, kinds: Iterable[int]) -> tuple[str, int]:
        count = 0
        assigned: list[str] = []
        for index in kinds:
            for rule in rules_of(index):
                text, n = self._sub(rule, text, assigned)
                count += n
        for rule in self._extra:
            text, n = self._sub(rule, text, assigned)
            count += n
        for value in assigned:
            if value in text:
                count += text.count(value)
                text = text.replace(value, MARKER)
        return text, count

    def _sub(self, rule: Rule, text: str, assigned: list[str]) -> tuple[str, int]:
        """Replace the secret groups of every match; context values go to `assigned`."""
        allow = self._allow
        replaced = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal replaced
            whole = match.group(0)
            if not rule.groups:
                if whole in allow:
                    return whole
                replaced += 1
                return MARKER
            source, begin, end = match.string, match.start(), match.end()
            spans = sorted(s for s in map(match.span, rule.groups) if s[0] >= 0)
            out: list[str] = []
            last = begin
            for start, stop in spans:
                secret = source[start:stop]
                if secret in allow:
                    continue
                out += (source[last:start], MARKER)
                last = stop
                replaced += 1
                if stop - start >= _ASSIGNED_VALUE_MIN and (start, stop) != (begin, end):
                    assigned.append(secret)
            out.append(source[last:end])
            return "".join(out)

        return rule.pattern.sub(replace, text), replaced

    def screen(self, blobs: list[bytes]) -> list[bool]:
        """For serialized events: True where one may hold a secret and must be walked."""
        if not self._use_prefilter:
            return [True] * len(blobs)
        return screen().dirty(blobs)

    def redact_event(self, event: Event, serialized: bytes | None = None) -> int:
        """Redact every string (values, list items, dict keys' values) in place; return count.

        `serialized` is the event's JSON when the caller already has it.
        """
        if not self._use_prefilter:
            return self._walk(event, values=True, keys=True)
        blob = self._dumps(event) if serialized is None else serialized
        values, keys = _blob_triggers()(blob)
        if not (values or keys):
            return 0
        return self._walk(event, values=values, keys=keys)

    def _walk(self, root: Any, *, values: bool, keys: bool) -> int:
        """Redact strings under `root` in place; `values`/`keys` say which checks can hit."""
        slots: list[tuple[Any, Any, str]] = []
        count = self._collect(root, slots, keys)
        if not slots or not values:
            return count
        texts = [value for _, _, value in slots]
        if self._use_prefilter:
            suspects = self._suspects(texts)
        else:
            suspects = self._anchored(texts, every=bool(self._extra))
        for i, kinds in suspects:
            container, key, value = slots[i]
            new, n = self._apply(value, kinds)
            if n:
                container[key] = new
                count += n
        return count

    def _collect(
        self, node: dict[str, Any] | list[Any], slots: list[tuple[Any, Any, str]], keys: bool
    ) -> int:
        """Gather (container, key, string) slots; values under secret-named keys are redacted."""
        count = 0
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    replacement = self._by_key(key, value) if keys and value else None
                    if replacement is not None:
                        node[key] = replacement
                        count += 1
                    elif value:
                        slots.append((node, key, value))
                elif isinstance(value, dict | list):
                    count += self._collect(value, slots, keys)
                elif keys and isinstance(value, int | float) and not isinstance(value, bool):
                    kind = _key_kind(key)
                    if kind is not None and kind.key_value is None:
                        node[key] = MARKER  # a numeric password or PIN
                        count += 1
        else:
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if value:
                        slots.append((node, index, value))
                elif isinstance(value, dict | list):
                    count += self._collect(value, slots, keys)
        return count

    def _by_key(self, key: str, value: str) -> str | None:
        """What replaces `value` under a secret-named `key`, or None to keep scanning it."""
        if value == MARKER or value in self._allow:
            return None
        kind = _key_kind(key)
        if kind is None:
            return None
        if kind.key_value is not None and re.fullmatch(kind.key_value, value, re.ASCII) is None:
            return None
        if kind.keep_scheme:
            scheme, space, credential = value.partition(" ")
            if space and credential.strip() and _is_scheme(scheme):
                return None if credential.strip() == MARKER else f"{scheme} {MARKER}"
        return MARKER

    def _anchored(self, values: list[str], *, every: bool) -> list[tuple[int, tuple[int, ...]]]:
        """Strings holding some kind's anchor, each with those kinds (`every`: all strings).

        One pass over all strings joined finds the anchors present at all; only those are
        looked for in each string, so a clean event costs one scan per anchor.
        """
        joined = "\x00".join(values)
        present = _present(joined, joined.lower(), _anchors())
        found: list[tuple[int, tuple[int, ...]]] = []
        if not present and not every:
            return found
        for i, value in enumerate(values):
            hits = {k for _, _, kinds in _present(value, value.lower(), present) for k in kinds}
            if hits or every:
                found.append((i, tuple(sorted(hits))))
        return found

    @staticmethod
    def _suspects(values: list[str]) -> list[tuple[int, tuple[int, ...]]]:
        """Strings the prefilter flags, each with the kinds whose trigger it matches.

        One RE2 pass over all strings finds the suspects; an RE2 set match on each suspect
        picks its kinds, so a string with one assignment runs one kind's rules, not all.
        """
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        starts: list[int] = []
        offset = 0
        for data in encoded:
            starts.append(offset)
            offset += len(data) + 1
        blob = b"\x00".join(encoded)
        search = _value_search()
        kinds_of = _kind_set()
        found: list[tuple[int, tuple[int, ...]]] = []
        pos = 0
        while pos < len(blob):
            match = search(blob, pos)
            if match < 0:
                break
            i = bisect_right(starts, match) - 1
            kinds = kinds_of(encoded[i])
            if kinds:
                found.append((i, kinds))
            pos = starts[i + 1] if i + 1 < len(starts) else len(blob)
        return found


def _is_scheme(word: str) -> bool:
    """An auth scheme word (`Bearer`, `Basic`, `AWS4-HMAC-SHA256`, custom words)."""
    return (
        0 < len(word) <= 41
        and word.isascii()
        and word[0].isalpha()
        and all(c.isalnum() or c in "._-" for c in word)
    )


class Redact:
    """Pipeline processor: redact the event and record `content.redacted` and the count."""

    def __init__(self, redactor: Redactor, serialized: Serialized | None = None) -> None:
        self.redactor = redactor
        self.serialized = serialized
        self.total = 0

    def counters(self) -> dict[str, int]:
        """Secrets replaced so far."""
        return {"redactions": self.total}

    def screen_batch(self, blobs: list[bytes]) -> list[bool]:
        """Screen a batch of serialized events at once (see `Pipeline.process_serialized`)."""
        return self.redactor.screen(blobs)

    def __call__(self, event: Event) -> Event:
        if self.serialized is not None and self.serialized.screened_clean(event):
            return event
        blob = self.serialized.of(event) if self.serialized is not None else None
        count = self.redactor.redact_event(event, blob)
        if count:
            if self.serialized is not None:
                self.serialized.forget()
            self.total += count
            content = event.setdefault("content", {})
            content["redacted"] = True
            content["redaction_count"] = content.get("redaction_count", 0) + count
        return event
