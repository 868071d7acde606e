"""Redaction: every secret kind, in every field, at every truncation limit, never survives."""

from __future__ import annotations

import base64
import json
import string
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon.config import BeaconConfig, LimitsConfig, RedactionConfig, load_config
from beacon.pipeline import build_pipeline
from beacon.pipeline.redact import (
    MARKER,
    Redact,
    Redactor,
    is_secret_key,
    may_hold_secret,
    screen,
)
from beacon.schema import new_event

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def _token(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=size, max_size=size)


def _pem(body: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"


# (kind, strategy of the sensitive value, how it appears in text)
SECRET_KINDS: dict[str, tuple[st.SearchStrategy[str], Any]] = {
    "aws_key_id": (
        _token(string.ascii_uppercase + string.digits, 16).map(lambda v: "AKIA" + v),
        lambda v: f"key id {v} used",
    ),
    "aws_secret": (_token(B64, 40), lambda v: f"aws_secret_access_key = {v}"),
    "github": (_token(ALNUM, 36).map(lambda v: "ghp_" + v), lambda v: f"git push {v}"),
    "github_pat": (_token(ALNUM + "_", 60).map(lambda v: "github_pat_" + v), lambda v: v),
    "gitlab": (_token(ALNUM, 20).map(lambda v: "glpat-" + v), lambda v: f"token {v}"),
    "slack": (_token(ALNUM, 24).map(lambda v: "xoxb-1234-5678-" + v), lambda v: f"slack {v}"),
    "stripe": (_token(ALNUM, 24).map(lambda v: "sk_live_" + v), lambda v: f"stripe {v}"),
    "openai": (_token(ALNUM, 40).map(lambda v: "sk-proj-" + v), lambda v: f"OPENAI {v}"),
    "anthropic": (_token(ALNUM, 40).map(lambda v: "sk-ant-api03-" + v), lambda v: f"x {v}"),
    "huggingface": (_token(ALNUM, 34).map(lambda v: "hf_" + v), lambda v: f"hf {v}"),
    "npm": (_token(ALNUM, 36).map(lambda v: "npm_" + v), lambda v: f"npm {v}"),
    "pypi": (_token(ALNUM, 60).map(lambda v: "pypi-AgEIcHlwaS5vcmc" + v), lambda v: v),
    "gcp_api_key": (_token(ALNUM, 35).map(lambda v: "AIza" + v), lambda v: f"key={v}"[4:]),
    "gcp_service_account": (
        _token(B64, 200),
        lambda v: json.dumps({"type": "service_account", "private_key": _pem(v) + "\n"}),
    ),
    "pem": (_token(B64, 300), _pem),
    "jwt": (
        _token(ALNUM, 30).map(lambda v: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx" + v + ".sig" + v[:12]),
        lambda v: f"jwt {v}",
    ),
    "azure_conn": (
        _token(B64, 86).map(lambda v: v + "=="),
        lambda v: (
            f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={v};"
            "EndpointSuffix=core.windows.net"
        ),
    ),
    "azure_sas": (
        _token(ALNUM, 40).map(lambda v: v + "%3D"),
        lambda v: f"https://a.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig={v}",
    ),
    "bearer": (_token(ALNUM + "-._", 32), lambda v: f"curl -H 'Authorization: Bearer {v}' x"),
    "bare_bearer": (_token(ALNUM, 32), lambda v: f"used bearer {v} here"),
    "url_password": (_token(ALNUM, 14), lambda v: f"postgres://admin:{v}@db.internal:5432/app"),
    "env_export": (_token(ALNUM, 16), lambda v: f"export DB_PASSWORD={v}\nexport X=1"),
    "json_assignment": (_token(ALNUM, 16), lambda v: json.dumps({"client_secret": v})),
    "flag": (_token(ALNUM, 16), lambda v: f"tool --api-key {v} --verbose"),
    "dotenv": (_token(ALNUM, 20), lambda v: f"STRIPE_SECRET_KEY='{v}'"),
}

FIELD_SLOTS = [
    ("prompt", "text"),
    ("command", "command"),
    ("command", "output"),
    ("tool", "command"),
    ("file", "diff"),
    ("message",),
    ("error", "message"),
    ("raw", "attributes", "tool_input"),
    ("raw", "payload"),
    ("gen_ai", "input"),
    ("mcp", "tool"),
    ("approval", "reason"),
]


def _plant(event: dict[str, Any], slot: tuple[str, ...], text: str) -> None:
    node = event
    for key in slot[:-1]:
        node = node.setdefault(key, {})
    if slot == ("gen_ai", "input"):
        node["input"] = {"messages": [{"role": "user", "parts": [{"content": text}]}]}
    elif slot == ("raw", "payload"):
        node["payload"] = {"list": ["a", text, {"deep": [text]}]}
    else:
        node[slot[-1]] = text


def _pipeline(field_bytes: int, nested: int, cap: int) -> Any:
    config = load_config(env={})
    config = replace(config, limits=LimitsConfig(field_bytes, nested, cap))
    return build_pipeline(config)


def _survives(value: str, written: bytes, noise: str) -> bool:
    """Whether the value, or for long values its first half, shows in the written line."""
    text = written.decode()
    probes = {value, value[: len(value) // 2]} if len(value) >= 24 else {value}
    return any((p in text or json.dumps(p)[1:-1] in text) and p not in noise for p in probes)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    kind=st.sampled_from(sorted(SECRET_KINDS)),
    slot=st.sampled_from(FIELD_SLOTS),
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    field_bytes=st.integers(64, 6000),
    nested=st.integers(64, 4000),
    cap=st.integers(4096, 70000),
)
def test_planted_secret_never_survives_any_field_any_limit(
    data: st.DataObject,
    kind: str,
    slot: tuple[str, ...],
    before: str,
    after: str,
    field_bytes: int,
    nested: int,
    cap: int,
) -> None:
    """A planted secret of any kind, in any field, is gone from the written line."""
    strategy, render = SECRET_KINDS[kind]
    value = data.draw(strategy)
    event = new_event("command.executed", harness="claude_code")
    _plant(event, slot, f"{before} {render(value)} {after}")
    result = _pipeline(field_bytes, nested, cap).process(event)
    assert result is not None
    written = orjson.dumps(result)
    assert not _survives(value, written, before + after), (kind, written[:400])
    assert result["content"]["redacted"] is True
    assert result["content"]["redaction_count"] >= 1


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(sorted(SECRET_KINDS)), data=st.data(), noise=st.text(max_size=80))
def test_redaction_is_idempotent(kind: str, data: st.DataObject, noise: str) -> None:
    """Redacting already-redacted text changes nothing and counts nothing."""
    strategy, render = SECRET_KINDS[kind]
    text = f"{noise} {render(data.draw(strategy))} {noise}"
    redactor = Redactor()
    once, count = redactor.redact_text(text)
    assert count >= 1
    assert redactor.redact_text(once) == (once, 0)
    assert MARKER in once


FRAGMENTS = [
    "token",
    "password",
    "secret",
    "api_key",
    "=",
    ":",
    '"',
    "'",
    " ",
    "\n",
    "\t",
    "Bearer ",
    "authorization",
    "://",
    "@",
    "user",
    "AKIA",
    "ghp_",
    "sk-",
    "sig=",
    "--",
    "x",
    "7",
    "ABCDEFGH",
    "0123456789",
    "\\",
    "{",
    "}",
    "é",
    "-----BEGIN ",
    "PRIVATE KEY-----",
    "eyJ",
    "hf_",
    "npm_",
    "AIza",
    "xoxb-",
    "glpat-",
    "&",
    "?",
    # Characters JSON escapes or that fold oddly: Unicode spaces, controls, the Kelvin sign,
    # long s and dotless i (Python's Unicode folding would map them onto ASCII letters).
    "\u2003",
    "\xa0",
    "\x0b",
    "\x0c",
    "\x1c",
    "\u212a",
    "\u017f",
    "\u0131",
    "ey",
    "ecret",
    "api_",
]
ENGINES = ["re2", "hyperscan"]
SEPARATORS = [" ", "=", ":", '"', "'", "\t", "\n", "\\", "\u2003", "\xa0", "\x0b", "\x1c", "\x85"]
# A secret name, separators and a value: the shapes assignment and flag rules look for.
ASSIGNMENTS = st.tuples(
    st.sampled_from(["", "--", "-", "export ", "x", "é"]),
    st.sampled_from(["password", "API_KEY", "token", "bearer", "Authorization", "\u212aey"]),
    st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map("".join),
    st.sampled_from(["hunter2xyz", "abcdefghijklmnop12345", "[REDACTED]"]),
).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join), ASSIGNMENTS))
def test_prefilter_never_misses_what_a_rule_would_redact(text: str) -> None:
    """The fast prefilter over serialized JSON flags every string a rule would change."""
    redactor = Redactor()
    _redacted, count = redactor.redact_text(text)
    event = {"k": text, "n": [text], text: text}
    by_key = redactor._walk(json.loads(json.dumps(event)), (), keys=True)
    if count or by_key:
        blob = orjson.dumps(event)
        assert may_hold_secret(blob), text
        for engine in ENGINES:
            assert screen(engine).hit(blob), (engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "--password\u2003hunter2xyz",
        "password\x1c=hunter2xyz",
        "bearer\u2003abcdefghijklmnop",
        "api_\u212aey=hunter2xyz",
    ],
)
def test_prefilter_and_rules_agree_on_exotic_whitespace_and_case(text: str) -> None:
    """Regression: Unicode spaces and folds made a rule match that the prefilter missed.

    Rules now use ASCII semantics, so the event path and the text path agree.
    """
    redactor = Redactor()
    event = {"m": text}
    assert redactor.redact_event(event) == redactor.redact_text(text)[1]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join), max_size=40))
def test_batch_screen_flags_exactly_the_events_a_single_scan_flags(
    engine: str, texts: list[str]
) -> None:
    """Screening a batch at once (one scan, then groups, then events) loses no event."""
    blobs = [orjson.dumps({"m": t}) for t in texts]
    engine_screen = screen(engine)
    assert engine_screen.dirty(blobs) == [engine_screen.hit(b) for b in blobs]


def test_secret_named_keys_redact_whatever_value() -> None:
    """A value under a secret-named key is redacted even when it looks harmless."""
    event = new_event(
        "tool.invoked",
        harness="x",
        raw={
            "attributes": {
                "password": "hunter2",
                "AWS_SECRET_ACCESS_KEY": "abc",
                "x-api-key": "k1",
                "input_tokens": "123",
                "tool_name": "Bash",
            }
        },
    )
    Redact(Redactor())(event)
    attrs = event["raw"]["attributes"]
    assert attrs["password"] == attrs["AWS_SECRET_ACCESS_KEY"] == attrs["x-api-key"] == MARKER
    assert attrs["input_tokens"] == "123" and attrs["tool_name"] == "Bash"
    assert event["content"] == {"redacted": True, "redaction_count": 3}
    assert not is_secret_key("max_tokens") and is_secret_key("GITHUB_TOKEN")


def test_assignment_keeps_key_and_redacts_recurrences() -> None:
    """`key=value` keeps the key; the same value elsewhere in the string goes too."""
    out, count = Redactor().redact_text("TOKEN=abcdef123456 then echo abcdef123456")
    assert out == f"TOKEN={MARKER} then echo {MARKER}"
    assert count == 2


def test_clean_text_is_untouched() -> None:
    """Ordinary agent activity is not mangled by false positives."""
    samples = [
        "echo BEACON_MARKER",
        "input_tokens=1200 output_tokens=40",
        "git commit -m 'token usage report'",
        "https://example.com/path?x=1",
        "ls -la /home/dev/project",
        "The session key idea",
    ]
    for text in samples:
        assert Redactor().redact_text(text) == (text, 0)


def test_user_patterns_and_allowlist() -> None:
    """Config adds patterns; allowlisted values are kept verbatim."""
    config = replace(
        BeaconConfig(),
        redaction=RedactionConfig(True, patterns=[r"corp-[0-9a-f]{8}"], allowlist=["test-key"]),
    )
    pipeline = build_pipeline(config)
    event = pipeline.process(
        new_event(
            "prompt.submitted",
            harness="x",
            prompt={"text": "use corp-deadbeef and api_key=test-key and password=real-one"},
        )
    )
    assert event is not None
    assert event["prompt"]["text"] == (f"use {MARKER} and api_key=test-key and password={MARKER}")


def test_redaction_can_be_disabled() -> None:
    """With redaction off (explicit opt-out), text is written as given."""
    config = replace(BeaconConfig(), redaction=RedactionConfig(enabled=False))
    event = build_pipeline(config).process(
        new_event("prompt.submitted", harness="x", prompt={"text": "password=hunter2"})
    )
    assert event is not None and event["prompt"]["text"] == "password=hunter2"


@pytest.mark.parametrize("prefilter", [True, False])
def test_prefilter_and_full_walk_agree(prefilter: bool) -> None:
    """The stdlib-only walk (hook path) redacts exactly what the prefiltered walk does."""
    secret = base64.b64encode(b"x" * 30).decode()
    event = new_event(
        "command.executed",
        harness="x",
        command={"command": f"export API_TOKEN={secret}"},
        raw={"a": ["Authorization: Basic " + secret]},
    )
    count = Redactor(prefilter=prefilter).redact_event(event)
    assert count == 2
    assert secret not in json.dumps(event)
