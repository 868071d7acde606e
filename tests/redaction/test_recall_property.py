"""Properties of redaction over the whole catalog, with values Hypothesis draws.

A secret of any kind, drawn from the kind's shape, placed at any position of any context
in any field, never survives either pipeline (the collector's, and the stdlib one of
`beacon-hooks`); redacting twice changes nothing; and the two ways of picking rules (the
prefilter's triggers, the anchors) never skip a rule that would have redacted something.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from recall_cases import RENDER, Case, case_text_of, leaks_in, local_pipeline, render

from beacon.config import LimitsConfig, load_config
from beacon.pipeline import build_pipeline
from beacon.pipeline.redact import MARKER, Redactor, screen
from beacon.pipeline.secret_catalog import (
    FRAGMENTS,
    KINDS,
    NAME_ENDS,
    QUOTE_STARTS,
    SPACE_STARTS,
    SecretKind,
)
from beacon.schema import new_event

# Large limits: these properties are about redaction, not truncation (tests/core covers cuts).
CONFIG = replace(load_config(env={}), limits=LimitsConfig(1 << 20, 1 << 20, 1 << 22))
PIPELINES = {"collector": build_pipeline(CONFIG), "beacon-hooks": local_pipeline(CONFIG)}
FIELDS = ("command", "prompt", "raw_json", "raw_list", "output")


def _values(kind: SecretKind) -> st.SearchStrategy[tuple[str, ...]]:
    return st.tuples(*(st.from_regex(shape, fullmatch=True) for shape in kind.shapes))


@st.composite
def planted(draw: st.DrawFn) -> tuple[Case, str, str]:
    """(case with drawn values, text around it, the event field it goes in)."""
    kind = draw(st.sampled_from(KINDS))
    context = draw(st.sampled_from(kind.contexts))
    values = draw(_values(kind))
    before, after = draw(st.text(max_size=40)), draw(st.text(max_size=40))
    case = Case(kind, context, render(kind, context, values), values)
    return case, f"{before} {case.text} {after}", draw(st.sampled_from(FIELDS))


def _event(field: str, text: str) -> dict[str, Any]:
    event = new_event("command.executed", harness="claude_code")
    if field == "command":
        event["command"] = {"command": text}
    elif field == "prompt":
        event["prompt"] = {"text": text}
    elif field == "output":
        event["command"] = {"command": "./deploy.sh", "output": text}
    elif field == "raw_json":
        event["raw"] = {"attributes": {"tool_input": json.dumps({"command": text})}}
    else:
        event["raw"] = {"payload": {"list": ["a", {"deep": [text]}]}}
    return event


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted())
def test_a_planted_secret_of_any_kind_never_survives(plant: tuple[Case, str, str]) -> None:
    """Any kind, any context, any position, any field, both pipelines: nothing survives."""
    case, text, field = plant
    around = text.replace(case.text, case.surroundings)
    for name, pipeline in PIPELINES.items():
        result = pipeline.process(_event(field, text))
        assert result is not None
        written = case_text_of(result)
        leaks = [leak for s in case.secrets if (leak := _leak(case, s, written, around))]
        assert leaks == [], (name, field, leaks, written[:600])
        assert result["content"]["redacted"] is True
        assert result["content"]["redaction_count"] >= 1


def _leak(case: Case, secret: str, written: str, around: str) -> str | None:
    one = Case(case.kind, case.context, case.text, (secret,))
    found = leaks_in(one, written)
    # Windows that the random text around the case holds are not leaks.
    return next((f for f in found if f.split("'")[1] not in around), None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted())
def test_redacting_twice_changes_nothing(plant: tuple[Case, str, str]) -> None:
    """The marker never matches a rule: a second pass replaces nothing."""
    _, text, _ = plant
    for redactor in (Redactor(), Redactor(prefilter=False)):
        once, count = redactor.redact_text(text)
        assert count >= 1
        assert redactor.redact_text(once) == (once, 0)


# Pieces the rules and their anchors are made of: names, quotes at several escape depths,
# separators raw and URL-encoded, scheme words, command words, fakes and exotic characters.
PIECES = sorted(
    {
        *NAME_ENDS,
        *QUOTE_STARTS,
        *SPACE_STARTS,
        *(a for kind in KINDS for a in kind.anchors),
        *(r for kind in KINDS for r in kind.requires),
        *(fake[:12] for kind in KINDS for fake in kind.fakes),
        *(fake for kind in KINDS for fake in kind.fakes if len(fake) < 60),
        '\\"',
        '\\\\\\"',
        "%22",
        "%27",
        "%3D",
        "%3A",
        "%2F",
        "%40",
        "=",
        ":",
        ": ",
        "=>",
        "@",
        "://",
        "\n",
        "\\n",
        "%0A",
        "\t",
        "-",
        "--",
        "Bearer ",
        "Basic ",
        "Authorization: ",
        "db_",
        "api_",
        "x",
        "7",
        "[REDACTED]",
        "\u2003",
        "\xa0",
        "\x0b",
        "\x1c",
        "\u212a",
        "\u0130",
        "\u017f",
        "é",
        "{",
        "}",
        "<",
        ">",
        ";",
        ",",
        "&",
        "$",
        "(",
    }
)


def _all_rules(text: str) -> tuple[str, int]:
    """Every kind's rules in catalog order, unconditionally: what gating must reproduce."""
    return Redactor(prefilter=False)._apply(text, range(len(KINDS)))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=24).map("".join))
def test_rule_pickers_never_skip_a_rule_that_would_redact(text: str) -> None:
    """Anchors (hook path) and triggers (collector) select every kind that would match.

    Both must give exactly what running every rule gives, and whenever something is
    redacted, both prefilter engines flag the serialized event.
    """
    expected, count = _all_rules(text)
    assert Redactor(prefilter=False).redact_text(text) == (expected, count)
    event = {"k": text, "n": [text]}
    by_collector = copy.deepcopy(event)
    by_hooks = copy.deepcopy(event)
    found = Redactor().redact_event(by_collector)
    assert found == Redactor(prefilter=False).redact_event(by_hooks) == 2 * count
    assert by_collector == by_hooks == {"k": expected, "n": [expected]}
    if count:
        blob = orjson.dumps(event)
        assert screen("hyperscan").hit(blob) and screen("re2").hit(blob), text


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,15}", fullmatch=True),
    credential=st.from_regex(r"[A-Z0-9][A-Za-z0-9._~+/-]{7,40}={0,2}", fullmatch=True),
    header=st.sampled_from(["Authorization", "Proxy-Authorization", "authorization"]),
    context=st.sampled_from(sorted(RENDER)),
)
def test_any_authorization_scheme_loses_its_credential(
    scheme: str, credential: str, header: str, context: str
) -> None:
    """`Authorization: <any scheme> <credential>`: the credential goes in every context.

    (A credential that recurs is replaced wherever it recurs, so it must not be the scheme.)
    """
    assume(credential not in scheme)
    text = RENDER[context](f"{header}: {scheme} {credential}")
    for redactor in (Redactor(), Redactor(prefilter=False)):
        event = {"tool_input": text}
        redactor.redact_event(event)
        assert credential not in event["tool_input"]
        assert json.dumps(credential)[1:-1] not in event["tool_input"]
        if context == "plain":
            assert f"{header}: {scheme} {MARKER}" in event["tool_input"]


def test_every_fragment_is_documented() -> None:
    """Building blocks carry a description for docs/redaction.md."""
    assert all(len(what) > 10 for _, what in FRAGMENTS.values())
