"""CEL expressions: load-time checks, RE2 semantics, null safety, numbers, and the pre-check."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beacon.scan import ExpressionError, compile_expression, load_pack, parse_rule
from beacon.scan.engine import _Precheck
from beacon.scan.store import baseline_dir


def _true(expr: str, event: dict[str, Any]) -> bool:
    return compile_expression(expr).evaluate(event)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('e.fil.path == ""', "unknown field e.fil.path (did you mean e.file.path?)"),
        ('e.command.comand.matches("x")', "unknown field e.command.comand"),
        ("e.event.action ==", "does not compile"),
        ("e.file.path", "must evaluate to a bool"),
        ('e["file"]["path"] == ""', "select event fields with dots"),
        ('e.file.path.matches("(unclosed")', "invalid RE2 pattern"),
        ('e.file.path == "\\q"', "invalid escape"),
        ("e == e", "must be used through a field path"),
    ],
)
def test_bad_expressions_fail_at_load(expr: str, message: str) -> None:
    """Typos, syntax errors, non-bool results and bad regexes are load-time errors."""
    with pytest.raises(ExpressionError) as info:
        compile_expression(expr)
    assert message in str(info.value)


def test_cel_error_in_a_rule_names_the_file_and_the_step() -> None:
    """A rule whose correlation step references an unknown field does not load."""
    rule = """
id: broken
version: 1
title: Broken
severity: low
status: experimental
posture: detect
correlation:
  scope: session
  window: 1m
  steps:
    - { id: a, match: 'e.event.action == "file.read"' }
    - { id: b, match: 'e.comand.command == "x"' }
emit: { reason: r }
tests: [{ name: t, verdict: match, events: [{ event: { action: file.read } }] }]
"""
    with pytest.raises(Exception) as info:
        parse_rule(rule, "broken.rule.yaml")
    assert "broken.rule.yaml: correlation.steps[1]: unknown field e.comand.command" in str(
        info.value
    )


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("foo", "xxfooxx", True),  # unanchored search, not a full match
        ("^foo$", "xxfooxx", False),
        ("(?i)foo|(?i)bar", "BAR", True),  # repeated inline flags after `|` (Python re rejects)
        ("[\\\\x{202A}-\\\\x{202E}]", "a\u202eb", True),  # \x{HHHH} escapes
        ("[\\\\x{E0000}-\\\\x{E007F}]", "tag\U000e0069", True),
        ("\\\\Qa.b\\\\E", "a.b", True),  # RE2 literal quoting
        ("\\\\Qa.b\\\\E", "axb", False),
        ("^\\\\d+$", "\u0661\u0662", False),  # RE2 \\d is ASCII-only
        ("\\\\bwget\\\\s", "run wget x", True),
    ],
)
def test_matches_has_re2_semantics(pattern: str, text: str, expected: bool) -> None:
    """`matches` is an RE2 unanchored search with RE2's syntax."""
    assert _true(f'e.prompt.text.matches("{pattern}")', {"prompt": {"text": text}}) is expected


def test_absent_fields_are_zero_values_and_never_errors() -> None:
    """A rule over fields the event lacks evaluates to false, with no error."""
    assert _true('e.file.path.matches("\\\\.env")', {}) is False
    assert _true("e.command.exit_code == 0", {"event": {"action": "x"}}) is True
    assert _true('e.mcp.server != "" && e.mcp.server.matches("x")', {"mcp": None}) is False
    assert _true("size(e.gen_ai.request.stop_sequences) == 0", {}) is True
    assert _true("e.approval.required == false", {"approval": {"decision": "deny"}}) is True


def test_wrongly_typed_values_read_as_zero() -> None:
    """A value of the wrong JSON type (foreign log line) reads as the zero value."""
    assert _true('e.file.path == ""', {"file": {"path": 42}}) is True
    assert _true("e.server.port == 0", {"server": {"port": "8080"}}) is True


@pytest.mark.parametrize(
    ("expr", "event"),
    [
        ("e.gen_ai.usage.cost_usd > 10", {"gen_ai": {"usage": {"cost_usd": 24.5}}}),
        ("e.gen_ai.usage.cost_usd > 10", {"gen_ai": {"usage": {"cost_usd": 11}}}),
        ("e.gen_ai.usage.input_tokens > 99.5", {"gen_ai": {"usage": {"input_tokens": 100}}}),
        ("e.command.exit_code == 1.0", {"command": {"exit_code": 1}}),
        ("e.gen_ai.request.temperature >= 1", {"gen_ai": {"request": {"temperature": 1}}}),
    ],
)
def test_numbers_compare_across_int_and_double(expr: str, event: dict[str, Any]) -> None:
    """Int and double fields compare with int and double literals either way."""
    assert _true(expr, event) is True


def test_has_is_true_only_for_present_non_zero_fields() -> None:
    """`has(e.x.y)` behaves like a typed struct field: present and not the zero value."""
    expr = 'has(e.file.path) && e.file.path.endsWith(".py")'
    assert _true(expr, {"file": {"path": "a.py"}}) is True
    assert _true(expr, {"file": {}}) is False
    assert _true("has(e.file.path)", {"file": {"path": ""}}) is False
    assert _true("has(e.raw.inventory)", {"raw": {"inventory": {"a": 1}}}) is True
    assert _true("has(e.raw.inventory)", {"raw": {}}) is False


def test_dotted_keys_read_in_either_spelling() -> None:
    """`e.mcp.method.name` reads the literal `method.name` key (1.0 shape) or a nested one."""
    expr = 'e.mcp.method.name == "tools/call"'
    assert _true(expr, {"mcp": {"method.name": "tools/call"}}) is True
    assert _true(expr, {"mcp": {"method": {"name": "tools/call"}}}) is True
    assert _true(expr, {"mcp": {"server": "x"}}) is False


def test_raw_payload_is_reachable_without_type_check() -> None:
    """`e.raw.…` reaches into the source payload; a missing key is an error, not a match."""
    predicate = compile_expression('e.raw.attributes["tool_name"] == "Bash"')
    assert predicate.evaluate({"raw": {"attributes": {"tool_name": "Bash"}}}) is True
    with pytest.raises(ExpressionError):
        predicate.evaluate({"raw": {}})


def test_action_index_is_derived_from_the_expression() -> None:
    """`==`/`in` tests on the action under `&&`/`||` give the set of actions that can match."""
    p = compile_expression(
        '(e.event.action == "file.read" || e.event.action in ["a", "b"]) && e.file.path != ""'
    )
    assert p.actions == frozenset({"file.read", "a", "b"})
    assert compile_expression('e.event.action != "x"').actions is None
    assert compile_expression('e.event.action == "x" || e.file.path == "y"').actions is None
    assert compile_expression('e.event.action == "x" ? true : false').actions is None


PACK = load_pack([baseline_dir()])
PREDICATES = [p for rule in PACK.rules for p in rule.predicates]
ACTIONS = sorted({a for p in PREDICATES for a in (p.actions or ())} | {"session.activity"})
STRINGS = sorted(
    {str(v) for p in PREDICATES for a in p.shape.atoms() for v in a.values}
    | {
        str(value)
        for rule in PACK.rules
        for fixture in rule.fixtures
        for event in fixture.events
        for section in event.values()
        if isinstance(section, dict)
        for value in section.values()
        if isinstance(value, str)
    }
)


def _event(draw: st.DrawFn) -> dict[str, Any]:
    text = st.one_of(st.sampled_from(STRINGS), st.text(max_size=30))
    return {
        "event": {"action": draw(st.sampled_from(ACTIONS))},
        "command": {"command": draw(text) + " " + draw(text)},
        "file": {"path": draw(text)},
        "prompt": {"text": draw(text)},
        "mcp": {"server": draw(text), "tool": draw(text)},
        "tool": {"command": draw(text)},
        "gen_ai": {
            "usage": {"cost_usd": draw(st.floats(0, 50, allow_nan=False))},
            "tool": {"description": draw(text)},
        },
    }


@settings(max_examples=300, deadline=None)
@given(st.composite(_event)())
def test_precheck_never_rules_out_a_matching_event(event: dict[str, Any]) -> None:
    """Soundness: whenever CEL says true, the pre-check (as the engine runs it) said possible."""
    check = _Precheck()
    for predicate in PREDICATES:
        for atom in predicate.shape.atoms():
            check.number(atom)
    check.build()
    check.reset(event)
    for predicate in PREDICATES:
        specialised = predicate.shape.given("event.action", event["event"]["action"])
        possible = specialised.compiled(check.number)(check)
        if predicate.evaluate(event):
            assert possible, predicate.source


def test_precheck_rules_out_most_benign_events() -> None:
    """The pre-check is not vacuous: benign commands are ruled out before CEL."""
    rng = random.Random(3)
    commands = ["git status", "npm test", "ls -la", "pytest -q", "cat README.md"]
    check = _Precheck()
    for predicate in PREDICATES:
        for atom in predicate.shape.atoms():
            check.number(atom)
    check.build()
    ruled_out = 0
    for _ in range(50):
        event = {
            "event": {"action": "command.executed"},
            "command": {"command": rng.choice(commands)},
        }
        check.reset(event)
        for predicate in PREDICATES:
            shape = predicate.shape.given("event.action", "command.executed")
            ruled_out += not shape.compiled(check.number)(check)
    assert ruled_out > 0.9 * 50 * sum(
        1 for p in PREDICATES if p.actions is None or "command.executed" in p.actions
    )
