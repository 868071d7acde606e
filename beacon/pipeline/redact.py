"""Secret redaction over every string of an event, before truncation and before any write.

Rules cover credentials in assignments, headers, URLs and the token formats of the
common providers. Redaction is idempotent: the marker `[REDACTED]` never matches a rule.
A prefilter scans the event's serialized JSON once; only events that contain a rule's
trigger text are walked string by string, which keeps the common clean event cheap.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from beacon.pipeline.base import Serialized
from beacon.pipeline.prefilter import Screen, build_screen
from beacon.schema.event import Event

MARKER = "[REDACTED]"
_NOT_MARKER = r"(?!\[REDACTED)"

# Names whose value is a secret: in `key=value`, `"key": "value"`, `--key value` and dict keys.
_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|token|api[_\-]?key|apikey|access[_\-]?key"
    r"|private[_\-]?key|signing[_\-]?key|encryption[_\-]?key|master[_\-]?key"
    r"|client[_\-]?secret|credentials?|session[_\-]?key|account[_\-]?key|sharedaccesskey"
    r"|connection[_\-]?string|auth[_\-]?token|cookie"
)
# A secret word may carry a suffix: `SECRET_KEY`, `AWS_SECRET_ACCESS_KEY`, `TOKEN_VALUE`.
_SECRET_NAME = rf"(?:{_SECRET_WORDS})(?:[_\-]?(?:key|value|access[_\-]?key))?"

# Dict keys whose string value is a secret, whatever it looks like (`{"password": "x"}`).
_SECRET_KEY_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "privatekey",
    "private_key",
    "private-key",
    "signingkey",
    "signing_key",
    "signing-key",
    "encryptionkey",
    "encryption_key",
    "encryption-key",
    "masterkey",
    "master_key",
    "master-key",
    "credential",
    "credentials",
    "sessionkey",
    "session_key",
    "session-key",
    "accountkey",
    "account_key",
    "account-key",
    "connectionstring",
    "connection_string",
    "connection-string",
    "cookie",
    "cookies",
    "secretkey",
    "secret_key",
    "secret-key",
    "authorization",
    "sig",
)


_SECRET_KEY_SUFFIXES_BYTES = tuple(k.encode() for k in _SECRET_KEY_SUFFIXES)


def is_secret_key(key: str) -> bool:
    """Whether a dict key names a secret (`password`, `x-api-key`, `AWS_SECRET`, …).

    Case is folded for ASCII only (`bytes.lower`), as in the rules and the prefilter.
    """
    return key.encode("utf-8", "surrogatepass").lower().endswith(_SECRET_KEY_SUFFIXES_BYTES)


@dataclass(frozen=True)
class Rule:
    """One redaction rule: a regex over a decoded string and how to rewrite a match.

    `keep` is the number of leading groups kept verbatim (e.g. the key and separator of an
    assignment); the rest of the match becomes the marker. `trigger` is a regex over the
    serialized event that every match must also match (see `_blob_triggers`).
    """

    name: str
    pattern: re.Pattern[str]
    keep: int
    trigger: str


def _rule(name: str, pattern: str, trigger: str, keep: int = 0) -> Rule:
    # ASCII semantics: `\s`, `\b` and case folding are ASCII-only, so a trigger over UTF-8
    # JSON can cover every rule match (Python's Unicode folding maps e.g. the Kelvin sign
    # to `k`, which no byte-level engine mirrors). Secrets and their key names are ASCII.
    return Rule(name, re.compile(pattern, re.ASCII), keep, trigger)


# A whitespace character of a rule as serialized JSON: itself, an escape (`\t`, `\u000b`),
# or anything outside printable ASCII (a superset, so a trigger never misses).
_SPACE = r"(?:[^\x21-\x7e]|\\[ntrf]|\\u00[0-9a-f]{2})"
# Separator of an assignment inside serialized JSON: quotes may be escaped, whitespace too.
_JSON_SEP = rf"(?:\\?[\"']|{_SPACE})*[:=]"

RULES: tuple[Rule, ...] = (
    _rule(
        "pem_private_key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)",
        r"private key-----",
    ),
    _rule(
        "authorization_header",
        rf"(?i)((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
        rf"(?:(?:bearer|basic|token|digest|negotiate|sso-key)\s+)?+){_NOT_MARKER}[^\s\"',;]+",
        r"authorization",
        keep=1,
    ),
    _rule(
        "bearer_token",
        rf"(?i)(\bbearer\s+){_NOT_MARKER}[A-Za-z0-9\-._~+/]+=*",
        rf"bearer{_SPACE}",
        keep=1,
    ),
    _rule(
        "url_password",
        rf"(?i)(\b[a-z][a-z0-9+.\-]*://[^\s/:@\"']*:){_NOT_MARKER}[^\s/@\"']+(?=@)",
        r"://[^\s/@\"]*:[^\s/@\"]*@",
        keep=1,
    ),
    _rule(
        "aws_access_key_id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
        r"(?:akia|asia|abia|acca|agpa|aida|aroa|aipa|anpa|anva|apka)[a-z0-9]{16}",
    ),
    _rule(
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})",
        r"gh[pousr]_|github_pat_",
    ),
    _rule(
        "gitlab_token",
        r"\bgl(?:pat|ptt|dt|rt|soat|cbt|ft|imt)-[A-Za-z0-9_\-]{20,}",
        r"gl(?:pat|ptt|dt|rt|soat|cbt|ft|imt)-",
    ),
    _rule(
        "slack_token",
        r"\b(?:xox[abposre]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,})",
        r"xox[abposre]-|xapp-",
    ),
    _rule(
        "slack_webhook",
        r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]+",
        r"hooks\.slack\.com",
    ),
    _rule("stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", r"[sr]k_(?:live|test)_"),
    _rule("anthropic_key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", r"sk-ant-"),
    _rule("openai_key", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}", r"sk-"),
    _rule("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}", r"hf_"),
    _rule("npm_token", r"\bnpm_[A-Za-z0-9]{36,}", r"npm_"),
    _rule("pypi_token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}", r"pypi-age"),
    _rule("gcp_api_key", r"\bAIza[0-9A-Za-z_\-]{35}", r"aiza"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", r"eyj"),
    _rule(
        "azure_sas_signature",
        rf"(?i)([?&;]sig=){_NOT_MARKER}[A-Za-z0-9%+/=\-_]{{16,}}",
        r"sig=",
        keep=1,
    ),
    _rule(
        "flag_secret",
        rf"(?i)(--?[A-Za-z0-9_\-]*{_SECRET_NAME}(?:\s+|=)){_NOT_MARKER}(?!-)[^\s\"']+",
        rf"--?[a-z0-9_\-]*{_SECRET_NAME}(?:{_SPACE}|=)",
        keep=1,
    ),
    _rule(
        "assignment",
        rf"(?i)({_SECRET_NAME}[\"']?\s*[:=]\s*[\"']?){_NOT_MARKER}"
        r"[^\s\"',;&}{\]\[)(<>]+",
        rf"{_SECRET_NAME}{_JSON_SEP}",
        keep=1,
    ),
)

_ASSIGNED_VALUE_MIN = 8
_VALUE_TRIGGERS = "|".join(f"(?:{r.trigger})" for r in RULES)
# A dict key is serialized as `"name":`; this finds secret-named keys in the serialized event.
_KEY_TRIGGER = '(?:{})\\\\?"\\s*:'.format("|".join(re.escape(k) for k in _SECRET_KEY_SUFFIXES))


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

    Every rule match contains text its trigger matches, in the JSON form of the string,
    so a miss proves the event holds no secret (Python's `re` is 100x slower for this
    alternation). Imported lazily: the hook path redacts without it.
    """
    triggers = [r.trigger for r in RULES] + [_KEY_TRIGGER]
    return build_screen(_compile_re2, triggers, engine)


@cache
def _blob_triggers() -> Callable[[bytes], tuple[bool, bool]]:
    """One pass over a serialized event: may it hold secret values, secret-named keys?

    A clean event costs one prefilter scan; only a hit asks RE2 which kind it was.
    """
    either = screen()
    values = _value_search()
    keys = _compile_re2(_KEY_TRIGGER)

    def scan(data: bytes) -> tuple[bool, bool]:
        if not either.hit(data):
            return False, False
        return values(data, 0) >= 0, keys.search(data) is not None

    return scan


@cache
def _value_search() -> Callable[[bytes, int], int]:
    """Offset of the first value-trigger match at or after `pos`, or -1."""
    pattern = _compile_re2(_VALUE_TRIGGERS)

    def search(data: bytes, pos: int = 0) -> int:
        match = pattern.search(data, pos)
        return -1 if match is None else int(match.start())

    return search


@cache
def _rule_set() -> Callable[[bytes], tuple[Rule, ...]]:
    """An RE2 set of the rules' triggers: which rules can match a given string, in order."""
    import re2

    rule_set = re2.Set.SearchSet(_re2_options())
    for rule in RULES:
        rule_set.Add(rule.trigger.encode())
    rule_set.Compile()

    def rules_for(data: bytes) -> tuple[Rule, ...]:
        return tuple(RULES[i] for i in sorted(rule_set.Match(data) or ()))

    return rules_for


def may_hold_secret(serialized: bytes) -> bool:
    """Whether a serialized event may hold a secret: false only when no rule can match."""
    values, keys = _blob_triggers()(serialized)
    return values or keys


class Redactor:
    """Redacts strings and whole events; counts what it replaced.

    `extra_patterns` are user regexes redacted whole; `allowlist` values are never redacted.
    """

    def __init__(
        self,
        extra_patterns: Iterable[str] = (),
        allowlist: Iterable[str] = (),
        *,
        prefilter: bool = True,
    ) -> None:
        extra = tuple(re.compile(p) for p in extra_patterns)
        self._rules = RULES + tuple(Rule(f"custom_{i}", p, 0, "") for i, p in enumerate(extra))
        self._allow = frozenset(allowlist)
        self._use_prefilter = prefilter and not extra
        if self._use_prefilter:
            import orjson

            self._dumps: Callable[[Any], bytes] = orjson.dumps
            screen()
            _blob_triggers()
            _value_search()
            _rule_set()

    def redact_text(self, text: str) -> tuple[str, int]:
        """`text` with every secret replaced by the marker, and how many were replaced."""
        return self._apply(text, self._rules)

    def _apply(self, text: str, rules: Iterable[Rule]) -> tuple[str, int]:
        count = 0
        assigned: list[str] = []
        for rule in rules:
            text, n = rule.pattern.subn(self._replacer(rule, assigned), text)
            count += n
        for value in assigned:
            if value in text:
                count += text.count(value)
                text = text.replace(value, MARKER)
        return text, count

    def _replacer(self, rule: Rule, assigned: list[str]) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            kept = "".join(match.group(i) or "" for i in range(1, rule.keep + 1))
            secret = match.group(0)[len(kept) :]
            if secret in self._allow:
                return match.group(0)
            if rule.keep and len(secret) >= _ASSIGNED_VALUE_MIN:
                assigned.append(secret)
            return kept + MARKER

        return replace

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
        if not self._use_prefilter:
            suspects = [(i, self._rules) for i in range(len(slots))]
        else:
            suspects = self._suspects([value for _, _, value in slots])
        for i, rules in suspects:
            container, key, value = slots[i]
            new, n = self._apply(value, rules)
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
                    if keys and value and self._secret_by_key(key, value):
                        node[key] = MARKER
                        count += 1
                    elif value:
                        slots.append((node, key, value))
                elif isinstance(value, dict | list):
                    count += self._collect(value, slots, keys)
        else:
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if value:
                        slots.append((node, index, value))
                elif isinstance(value, dict | list):
                    count += self._collect(value, slots, keys)
        return count

    def _secret_by_key(self, key: str, value: str) -> bool:
        return value != MARKER and value not in self._allow and is_secret_key(key)

    @staticmethod
    def _suspects(values: list[str]) -> list[tuple[int, tuple[Rule, ...]]]:
        """Strings the prefilter flags, each with the rules whose trigger it matches.

        One RE2 pass over all strings finds the suspects; an RE2 set match on each suspect
        picks its rules, so a string with one assignment runs one regex, not twenty.
        """
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        starts: list[int] = []
        offset = 0
        for data in encoded:
            starts.append(offset)
            offset += len(data) + 1
        blob = b"\x00".join(encoded)
        search = _value_search()
        rules_of = _rule_set()
        found: list[tuple[int, tuple[Rule, ...]]] = []
        pos = 0
        while pos < len(blob):
            match = search(blob, pos)
            if match < 0:
                break
            i = bisect_right(starts, match) - 1
            rules = rules_of(encoded[i])
            if rules:
                found.append((i, rules))
            pos = starts[i + 1] if i + 1 < len(starts) else len(blob)
        return found


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
