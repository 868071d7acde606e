"""Schema 1.1: vocabulary, event construction, the shipped JSON Schema and its docs."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from beacon.config import load_config
from beacon.pipeline import build_pipeline
from beacon.schema import (
    Action,
    format_timestamp,
    load_json_schema,
    new_event,
    new_event_id,
    parse_timestamp,
    stream_of,
)
from beacon.schema.actions import ACTION_CATEGORY, Category, Stream, category_of
from beacon.schema.model import EVENT_FIELDS, json_schema, markdown_reference

ROOT = Path(__file__).resolve().parents[2]

# Every action and category the upstream 1.0 writer emits (upstream.md §1.2).
UPSTREAM_ACTIONS = [
    "session.started",
    "session.ended",
    "session.activity",
    "session.status",
    "session.error",
    "session.compacting",
    "session.compacted",
    "session.event",
    "session.created",
    "session.deleted",
    "session.idle",
    "prompt.submitted",
    "tool.invoked",
    "tool.completed",
    "tool.failed",
    "command.executed",
    "command.invoked",
    "file.read",
    "file.modified",
    "file.created",
    "mcp.tool_invoked",
    "mcp.connection",
    "approval.requested",
    "approval.allowed",
    "approval.denied",
    "policy.blocked",
    "subagent.started",
    "subagent.stopped",
    "agent.reasoning",
    "agent.response",
    "agent.message",
    "model.retry",
    "token.usage",
    "cost.usage",
    "metric.observed",
    "trace.unclassified",
    "agent.detected",
    "telemetry.enabled",
    "telemetry.disabled",
    "telemetry.misconfigured",
    "inventory.heartbeat",
    "inventory.snapshot",
    "installation.updated",
    "endpoint.health_failed",
    "endpoint.tamper_detected",
    "endpoint.validation",
]
UPSTREAM_TOP_LEVEL = [
    "timestamp",
    "vendor",
    "product",
    "schema_version",
    "event",
    "severity",
    "endpoint",
    "user",
    "harness",
    "origin",
    "error",
    "run",
    "session",
    "trace",
    "jsonrpc",
    "network",
    "rpc",
    "server",
    "tool",
    "file",
    "command",
    "mcp",
    "approval",
    "policy",
    "prompt",
    "content",
    "destination",
    "health",
    "gen_ai",
    "model",
    "repository",
    "branch",
    "message",
    "raw",
    "field_truncated",
]


def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_json_schema())


def test_vocabulary_contains_every_upstream_action() -> None:
    """Schema 1.1 is a superset: each upstream 1.0 action is in the closed vocabulary."""
    ours = {a.value for a in Action}
    assert set(UPSTREAM_ACTIONS) <= ours


def test_upstream_categories_are_kept_for_upstream_prefixes() -> None:
    """Upstream's prefix→category inference gives the same category for its actions."""
    expected = {
        "prompt": "prompt",
        "command": "command",
        "file": "file",
        "mcp": "mcp",
        "approval": "approval",
        "policy": "approval",
        "session": "session",
        "metric": "metric",
        "tool": "tool",
    }
    for action in UPSTREAM_ACTIONS:
        prefix = action.split(".")[0]
        if prefix in expected:
            assert category_of(action) == expected[prefix], action


def test_every_action_has_a_category_and_a_stream() -> None:
    """The vocabulary is typed: each action maps to a category and exactly one stream."""
    for action in Action:
        assert isinstance(ACTION_CATEGORY[action], Category)
    assert stream_of("inventory.heartbeat") is Stream.INVENTORY
    assert stream_of("command.executed") is Stream.RUNTIME


def test_schema_top_level_is_superset_of_upstream_fields() -> None:
    """Every upstream 1.0 top-level key keeps its name in 1.1."""
    assert set(UPSTREAM_TOP_LEVEL) <= set(load_json_schema()["properties"])


def test_shipped_json_schema_matches_the_model() -> None:
    """The packaged schema file is exactly what the field model generates."""
    assert load_json_schema() == json_schema()
    Draft202012Validator.check_schema(load_json_schema())


def test_docs_field_reference_is_in_sync() -> None:
    """docs/event-schema.md is the generated reference, and names every field."""
    text = (ROOT / "docs" / "event-schema.md").read_text(encoding="utf-8")
    assert text == markdown_reference()
    for field in EVENT_FIELDS:
        assert f"`{field.name}`" in text


def test_timestamps_are_utc_with_milliseconds() -> None:
    """Timestamps are RFC 3339 UTC with exactly three fractional digits."""
    value = format_timestamp(1_700_000_000_123_456_789)
    assert value == "2023-11-14T22:13:20.123Z"
    assert parse_timestamp(value).microsecond == 123000
    assert re.fullmatch(load_json_schema()["properties"]["timestamp"]["pattern"], value)


def test_event_ids_are_unique_uuid7() -> None:
    """Event ids are unique and UUIDv7-shaped, so they sort by creation time."""
    ids = [new_event_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i)
        for i in ids
    )
    assert ids == sorted(ids)  # monotonic within a process, across milliseconds too
    millis = int(ids[-1].replace("-", "")[:12], 16)
    assert abs(millis - time.time_ns() // 1_000_000) < 60_000


@pytest.mark.parametrize("start", [0, (1 << 48) - 3, (1 << 73) - 3, 0x1234_5678_9ABC_DEF0_123])
def test_event_ids_count_up_from_a_random_start(
    start: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a millisecond, ids are the random start plus one each, in batches and carries."""
    from beacon.schema import event as event_module

    monkeypatch.setattr(event_module, "_id_state", event_module._NO_IDS)
    monkeypatch.setattr(event_module, "_random_start", lambda: start)
    monkeypatch.setattr(event_module.time, "time_ns", lambda: 1_700_000_000_123_456_789)
    ids = [*event_module.new_event_ids(3), new_event_id(), *event_module.new_event_ids(2)]
    for offset, text in enumerate(ids):
        value = uuid.UUID(text).int
        assert value >> 80 == 1_700_000_000_123  # unix_ts_ms
        assert (value >> 76) & 0xF == 7 and (value >> 62) & 0x3 == 0b10  # version, variant
        seq = ((value >> 64) & 0xFFF) << 62 | (value & ((1 << 62) - 1))
        assert seq == start + offset
    assert ids == sorted(ids)


def test_forked_child_never_repeats_parent_event_ids() -> None:
    """After fork the child reseeds: its ids in the same millisecond differ from the parent's."""
    read, write = os.pipe()
    new_event_id()  # the parent has a current millisecond state the child would inherit
    pid = os.fork()
    if pid == 0:
        os.write(write, "\n".join(new_event_id() for _ in range(200)).encode())
        os._exit(0)
    os.close(write)
    parent = {new_event_id() for _ in range(200)}
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    assert len(child) == 200 and not parent & child


@pytest.mark.parametrize("action", [a.value for a in Action])
def test_every_action_yields_a_valid_event(action: str) -> None:
    """An event of any action, after the pipeline, validates against the schema."""
    event = build_pipeline(load_config(env={})).process(new_event(action, harness="claude_code"))
    assert event is not None
    _validator().validate(event)


def test_schema_rejects_unknown_action_and_unknown_keys() -> None:
    """The vocabulary and the typed objects are closed."""
    event = build_pipeline(load_config(env={})).process(new_event("tool.invoked", harness="x"))
    assert event is not None
    validator = _validator()
    bad_action = json.loads(json.dumps(event))
    bad_action["event"]["action"] = "tool.exploded"
    assert not validator.is_valid(bad_action)
    bad_key = json.loads(json.dumps(event))
    bad_key["command"] = {"commandline": "ls"}
    assert not validator.is_valid(bad_key)
    open_raw = json.loads(json.dumps(event))
    open_raw["raw"] = {"anything": {"goes": [1, 2]}}
    assert validator.is_valid(open_raw)
