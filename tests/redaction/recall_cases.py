"""Recall cases derived from the secret catalog: every kind in every context it is tested in.

A case is one kind's example (its fakes, or values Hypothesis draws from its shapes) placed
in one context. `leak` finds what of a secret survives in written text, in any encoding a
context or an ingest path applies (JSON escaping up to four levels deep, URL encoding).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from beacon.config import BeaconConfig
from beacon.pipeline import Pipeline, build_local_pipeline
from beacon.pipeline.secret_catalog import CONTEXTS, KINDS, SecretKind


def _json_value(text: str) -> str:
    return json.dumps({"input": text})


def _json_in_json(text: str) -> str:
    return json.dumps({"tool_input": _json_value(text)})


def _json_in_json_twice(text: str) -> str:
    return json.dumps({"payload": _json_in_json(text)})


RENDER: dict[str, Callable[[str], str]] = {
    "plain": lambda t: f"Note for the release: {t} (see the runbook)",
    "shell": lambda t: f"cd /srv/app && {t} | tee /tmp/deploy.log",
    "env_line": lambda t: f"BUILD_ARGS={t}",
    "json_value": _json_value,
    "json_in_json": _json_in_json,
    "json_in_json_twice": _json_in_json_twice,
    "url_query": lambda t: (
        f"https://example.com/oauth/callback?state=af0ifjsldkj&q={quote_plus(t)}&lang=en"
    ),
    "multiline_output": lambda t: f"$ ./deploy.sh\nStep 1/3: loading config\n{t}\nStep 3/3: done\n",
}
assert set(RENDER) == set(CONTEXTS), "every catalog context has a renderer"

# Event fields that never hold case text (ids, times, host): left out of leak checks so
# an 8-character window of a hex fake cannot collide with an event id.
METADATA = (
    "event",
    "endpoint",
    "timestamp",
    "session",
    "harness",
    "user",
    "vendor",
    "product",
    "schema_version",
    "severity",
    "origin",
    "content",
)


@dataclass(frozen=True)
class Case:
    """One kind in one context: the text to plant and the secrets that must not survive."""

    kind: SecretKind
    context: str
    text: str
    secrets: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.kind.id} in {self.context}"

    @property
    def surroundings(self) -> str:
        """The case text without its secrets: windows found here are not leaks."""
        return render(self.kind, self.context, tuple("\x00" for _ in self.secrets))


def render(kind: SecretKind, context: str, values: tuple[str, ...]) -> str:
    """`kind`'s example with `values` in its placeholders, placed in `context`."""
    return RENDER[context](kind.render(*values))


def all_cases() -> list[Case]:
    """Every kind in every context it is tested in, with the catalog's fake values."""
    return [
        Case(kind, context, render(kind, context, kind.fakes), kind.fakes)
        for kind in KINDS
        for context in kind.contexts
    ]


def encodings(secret: str) -> set[str]:
    """The forms a secret can take on disk: as is, JSON-escaped 1-4 times, URL-encoded."""
    forms = {secret, quote_plus(secret), quote(secret, safe="")}
    escaped = secret
    for _ in range(4):
        escaped = json.dumps(escaped)[1:-1]
        forms.add(escaped)
        forms.add(quote_plus(escaped))
    return forms


def leak(secret: str, written: str, surroundings: str = "") -> str | None:
    """A piece of `secret` found in `written`: any 8-character window of any encoding.

    Windows that also occur in `surroundings` (the text around the secret) do not count,
    nor do windows of mostly escape characters (fewer than four letters or digits).
    """
    for form in encodings(secret):
        width = min(8, len(form))
        for i in range(len(form) - width + 1):
            window = form[i : i + width]
            if sum(c.isalnum() for c in window) < min(4, width):
                continue
            if window in written and window not in surroundings:
                return window
    return None


def case_text_of(event: dict[str, Any]) -> str:
    """The event as JSON without the metadata fields: where planted text can end up."""
    return json.dumps({k: v for k, v in event.items() if k not in METADATA}, ensure_ascii=False)


def leaks_in(case: Case, written: str) -> list[str]:
    """What of `case`'s secrets survives in `written` (empty when nothing does)."""
    found = []
    for secret in case.secrets:
        piece = leak(secret, written, case.surroundings)
        if piece is not None:
            found.append(f"{case.label}: {piece!r} of {secret[:24]!r}")
    return found


def whole_leaks_in(case: Case, written: str) -> list[str]:
    """Which of `case`'s secrets appear whole in `written`, in any encoding.

    For text shared by many cases (one hook payload), where another case's surroundings
    may hold an 8-character window of this one's fake by chance.
    """
    return [
        f"{case.label}: {secret[:24]!r}"
        for secret in case.secrets
        if any(form in written for form in encodings(secret))
    ]


def local_pipeline(config: BeaconConfig) -> Pipeline:
    """`beacon-hooks`' stdlib pipeline with `config`'s redaction settings and limits."""
    return build_local_pipeline(
        redact=config.redaction.enabled,
        patterns=config.redaction.patterns,
        allowlist=config.redaction.allowlist,
        field_bytes=config.limits.field_bytes,
        nested_field_bytes=config.limits.nested_field_bytes,
        max_event_bytes=config.limits.max_event_bytes,
    )
