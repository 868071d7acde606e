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
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from beacon.pipeline.base import Serialized
    from beacon.pipeline.prefilter import Screen
    from beacon.schema.event import Event

MARKER = "[REDACTED]"
_ASSIGNED_VALUE_MIN = 8  # a context rule's value this long is also redacted where it recurs


_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_HEX = frozenset("0123456789ABCDEFabcdef")
# A template's leading `{=B}` / `{=W}`: the characters that may not precede a match.
_STARTS = {"{=B}": _ALNUM, "{=W}": _ALNUM | {"_", "-"}}


class Rule:
    """A compiled regex of one kind; groups named `secret…` are replaced, else the match.

    `start`: characters that may not precede a match (a template's leading `{=B}` or
    `{=W}`, checked in Python after the match: a regex that begins with a lookbehind
    cannot use the regex engine's fast scan for its literal prefix, 10-50x slower).
    """

    __slots__ = ("groups", "kind", "pattern", "start")

    def __init__(
        self, kind: str, pattern: re.Pattern[str], start: frozenset[str] | None = None
    ) -> None:
        self.kind = kind
        self.pattern = pattern
        self.start = start
        self.groups = tuple(
            sorted(i for name, i in pattern.groupindex.items() if name.startswith("secret"))
        )

    def starts_token(self, text: str, at: int) -> bool:
        """Whether a match at `at` begins a token: as `{=B}`/`{=W}` in the template say."""
        if self.start is None or at == 0 or text[at - 1] not in self.start:
            return True
        if at >= 2 and text[at - 2] == "\\" and text[at - 1] in "nrtf":
            return True
        return at >= 3 and text[at - 3] == "%" and text[at - 2] in _HEX and text[at - 1] in _HEX


def compile_rule(kind: str, template: str) -> Rule:
    """A template compiled with ASCII semantics; a leading boundary becomes `Rule.start`.

    ASCII semantics: `\\s`, `\\b` and case folding are ASCII-only, so the prefilter's
    byte-level triggers and the anchors can cover every match (Python's Unicode folding
    maps e.g. the Kelvin sign to `k`). Secrets and the names around them are ASCII.
    """
    flags = "(?i)" if template.startswith("(?i)") else ""
    body = template[len(flags) :]
    for token, start in _STARTS.items():
        if body.startswith(token):
            return Rule(kind, re.compile(expand(flags + body[len(token) :]), re.ASCII), start)
    return Rule(kind, re.compile(expand(template), re.ASCII))


_COMPILED: list[tuple[Rule, ...] | None] = [None] * len(KINDS)


def rules_of(index: int) -> tuple[Rule, ...]:
    """The compiled rules of `KINDS[index]`, compiled on first use."""
    rules = _COMPILED[index]
    if rules is None:
        kind = KINDS[index]
        rules = tuple(compile_rule(kind.id, p) for p in kind.patterns)
        _COMPILED[index] = rules
    return rules


# (anchor, case-sensitive, follows, kind indexes); all-lowercase anchors match any case.
Anchor = tuple[str, bool, tuple[str, ...], tuple[int, ...]]


@cache
def _anchors() -> tuple[Anchor, ...]:
    """Every kind's anchors; kinds sharing an anchor (and its `follows`) share an entry."""
    table: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for index, kind in enumerate(KINDS):
        for anchor in kind.anchors:
            table.setdefault((anchor, kind.follows), []).append(index)
    return tuple((a, a != a.lower(), f, tuple(kinds)) for (a, f), kinds in table.items())


@cache
def _kind_anchors() -> tuple[tuple[Anchor, ...], ...]:
    """Per kind, its anchor entries naming only that kind."""
    return tuple(
        tuple((a, a != a.lower(), kind.follows, (k,)) for a in kind.anchors)
        for k, kind in enumerate(KINDS)
    )


def _holds(text: str, anchor: str, follows: tuple[str, ...]) -> bool:
    """Whether `text` holds `anchor`, followed by one of `follows` when there are any."""
    at = text.find(anchor)
    if not follows or at < 0:
        return at >= 0
    while at >= 0:
        if text.startswith(follows, at + len(anchor)):
            return True
        at = text.find(anchor, at + 1)
    return False


def _present(text: str, lowered: str, table: Iterable[Anchor]) -> list[Anchor]:
    return [e for e in table if _holds(text if e[1] else lowered, e[0], e[2])]


def _required(kinds: Iterable[int], lowered: str) -> tuple[int, ...]:
    """`kinds` whose `requires` (if any) `lowered` holds, in catalog order."""
    return tuple(
        sorted(
            k
            for k in kinds
            if not KINDS[k].requires or any(r in lowered for r in KINDS[k].requires)
        )
    )


def kinds_in(text: str) -> tuple[int, ...]:
    """Indexes of the kinds whose anchors `text` holds (a superset of those that match)."""
    lowered = text.lower()
    return _required(
        {k for *_, kinds in _present(text, lowered, _anchors()) for k in kinds}, lowered
    )


@cache
def _key_anchors() -> tuple[str, ...]:
    return tuple(sorted({a.lower() for kind in KINDS if kind.keys for a in kind.key_anchors}))


@cache
def _key_pattern() -> re.Pattern[str]:
    """One regex over dict keys: which kind's key names does a key end with?"""
    parts = []
    for index, kind in enumerate(KINDS):
        if kind.keys:
            word = "(?<![a-z0-9])" if kind.key_word else ""
            parts.append(f"(?P<k{index}>{word}(?:{'|'.join(kind.keys)}))")
    return re.compile("(?i)(?:" + "|".join(parts) + r")\Z", re.ASCII)


_KEY_VERDICTS: dict[str, int] = {}  # dict key -> kind index or -1; events reuse their keys


def _key_kind(key: str) -> SecretKind | None:
    index = _KEY_VERDICTS.get(key)
    if index is None:
        index = -1
        lowered = key.lower()
        if any(anchor in lowered for anchor in _key_anchors()):
            match = _key_pattern().search(key)
            if match is not None and match.lastgroup is not None:
                index = int(match.lastgroup[1:])
        if len(_KEY_VERDICTS) >= 4096:
            _KEY_VERDICTS.clear()
        _KEY_VERDICTS[key] = index
    return KINDS[index] if index >= 0 else None


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


def _compile_re2_set(patterns: Sequence[str]) -> Any:
    """A case-insensitive RE2 set: `Match(data)` lists the indexes of matching patterns."""
    import re2

    patterns_set = re2.Set.SearchSet(_re2_options())
    for pattern in patterns:
        patterns_set.Add(pattern.encode())
    patterns_set.Compile()
    return patterns_set


_KEYS = len(KINDS)  # the index of the dict-key trigger in the screen


@cache
def screen(engine: str = "auto") -> Screen:
    """The prefilter over serialized events: which kinds' triggers match in these bytes?

    Every rule match contains text its kind's trigger matches, in the JSON form of the
    string too, so a miss proves the event holds no secret of that kind (Python's `re`
    is 100x slower for this alternation). Imported lazily: the hook path redacts without.
    """
    from beacon.pipeline.prefilter import build_screen

    triggers = [kind.trigger for kind in KINDS] + [_key_trigger()]
    return build_screen(_compile_re2, _compile_re2_set, triggers, engine)


def _blob_kinds(serialized: bytes) -> tuple[tuple[int, ...], bool]:
    """The kinds whose trigger a serialized event holds, and whether a secret-named key."""
    found = screen().which(serialized)
    return tuple(sorted(i for i in found if i < _KEYS)), _KEYS in found


def may_hold_secret(serialized: bytes) -> bool:
    """Whether a serialized event may hold a secret: false only when no rule can match."""
    return screen().hit(serialized)


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
            screen()

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
            if not rule.starts_token(match.string, match.start()):
                return whole
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
            return self._walk(event, None, keys=True)
        blob = self._dumps(event) if serialized is None else serialized
        kinds, keys = _blob_kinds(blob)
        if not (kinds or keys):
            return 0
        return self._walk(event, kinds, keys=keys)

    def _walk(self, root: Any, kinds: tuple[int, ...] | None, *, keys: bool) -> int:
        """Redact strings under `root` in place: `kinds` may match (None: any), `keys`: a
        secret-named dict key may be present."""
        slots: list[tuple[Any, Any, str]] = []
        count = self._collect(root, slots, keys)
        if not slots or not (kinds is None or kinds or self._extra):
            return count
        texts = [value for _, _, value in slots]
        for i, found in self._anchored(texts, kinds, every=bool(self._extra)):
            container, key, value = slots[i]
            new, n = self._apply(value, found)
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

    def _anchored(
        self, values: list[str], kinds: tuple[int, ...] | None, *, every: bool
    ) -> list[tuple[int, tuple[int, ...]]]:
        """Strings holding an anchor of `kinds` (None: any kind), each with the kinds whose
        anchors it holds (`every`: all strings, for the user's patterns).

        The strings are searched joined, once per anchor; each occurrence names its string.
        """
        table = _anchors() if kinds is None else [e for k in kinds for e in _kind_anchors()[k]]
        joined = "\x00".join(values)
        lowered = joined.lower()
        found: dict[int, set[int]] = {i: set() for i in range(len(values))} if every else {}
        if len(lowered) != len(joined):  # a character lowered to two: no common offsets
            for i, value in enumerate(values):
                lowered_value = value.lower()
                here = _present(value, lowered_value, table)
                kinds_here = _required((k for *_, ks in here for k in ks), lowered_value)
                if kinds_here or every:
                    found[i] = set(kinds_here)
            return sorted((i, tuple(sorted(kinds))) for i, kinds in found.items())
        starts = [0]
        for value in values:
            starts.append(starts[-1] + len(value) + 1)
        for anchor, case_sensitive, follows, anchor_kinds in table:
            text = joined if case_sensitive else lowered
            at = text.find(anchor)
            while at >= 0:
                if follows and not text.startswith(follows, at + len(anchor)):
                    at = text.find(anchor, at + 1)
                    continue
                i = bisect_right(starts, at) - 1
                found.setdefault(i, set()).update(anchor_kinds)
                at = text.find(anchor, starts[i + 1])  # the next string
        out = []
        for i, candidates in sorted(found.items()):
            kept = _required(candidates, lowered[starts[i] : starts[i + 1] - 1])
            if kept or every:
                out.append((i, kept))
        return out


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
