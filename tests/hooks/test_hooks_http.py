"""HTTP hook intake of `beacon run`: replay, replies, cross-path dedupe, spool ingestion."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from collector_harness import RunningCollector, start_collector
from hook_harness import FIXTURES, recorded_payloads

from beacon.hooks.spool import spool_payload

pytestmark = pytest.mark.network
RECORDED = recorded_payloads()
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """An HTTP client with a bounded timeout."""
    with httpx.Client(timeout=10) as http:
        yield http


def test_every_recorded_payload_through_http_intake(
    hooks_collector: RunningCollector, client: httpx.Client
) -> None:
    """Each payload: 200 with the no-op reply, one `hook.http` event per payload, same facts."""
    hooks_collector.mark()
    for platform, name, body in RECORDED:
        response = client.post(
            hooks_collector.url(f"/v1/hooks/{platform}"), content=body, headers=JSON
        )
        assert response.status_code == 200, name
        notify = b"agent-turn-complete" in body
        assert response.content == (b"" if notify else b"{}"), name
    events = hooks_collector.new_events(len(RECORDED))
    assert len(events) == len(RECORDED)
    assert {e["event"]["source"] for e in events} == {"hook.http"}
    assert "telemetry.unclassified" not in {e["event"]["action"] for e in events}
    for (_, name, body), event in zip(RECORDED, events, strict=True):
        assert event["raw"]["payload"] == json.loads(body), name
    prompts = {e["prompt"]["text"] for e in events if "prompt" in e}
    assert prompts == {"Run the shell command: echo BEACON_MARKER"}
    harnesses = {e["harness"]["name"] for e in events}
    assert harnesses == {"claude_code", "codex_cli", "gemini_cli"}


def test_replies_and_unknown_runtime(
    hooks_collector: RunningCollector, client: httpx.Client
) -> None:
    """Cursor gets its permission reply; garbage still 200; an unknown runtime is 404."""
    url = hooks_collector.url
    cursor = client.post(
        url("/v1/hooks/cursor"), json={"hook_event_name": "preToolUse", "conversation_id": "c"}
    )
    assert (cursor.status_code, cursor.json()) == (200, {"permission": "allow"})
    garbage = client.post(url("/v1/hooks/claude?event=Stop"), content=b"\xff{", headers=JSON)
    assert (garbage.status_code, garbage.json()) == (200, {})
    assert client.post(url("/v1/hooks/vim"), json={}).status_code == 404
    metrics = client.get(url("/metrics")).text
    assert 'signal="hooks",code="404"' in metrics


def test_same_tool_call_over_otlp_and_hooks_is_marked_duplicate(
    tmp_path: Path, client: httpx.Client
) -> None:
    """OTLP `tool_result`, HTTP hook and command hook of one call: one event, two duplicates."""
    collector = start_collector(
        tmp_path / "logs", env={"BEACON_SPOOL_DIR": str(tmp_path / "spool")}
    )
    try:
        run = FIXTURES / "claude-code-2.1.197" / "json1"
        otlp = (run / "otlp" / "0002-logs.json").read_bytes()
        assert client.post(collector.url("/v1/logs"), content=otlp, headers=JSON).status_code == 200
        hook = (run / "hooks" / "http" / "0003-PostToolUse.json").read_bytes()
        assert (
            client.post(collector.url("/v1/hooks/claude"), content=hook, headers=JSON).status_code
            == 200
        )
        command_hook = {**JSON, "X-Beacon-Hook-Source": "command"}
        assert (
            client.post(
                collector.url("/v1/hooks/claude"), content=hook, headers=command_hook
            ).status_code
            == 200
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            calls = [e for e in collector.events() if e["event"]["action"] == "command.executed"]
            if len(calls) == 3:
                break
            time.sleep(0.05)
    finally:
        assert collector.stop() == 0
    calls = [e for e in collector.events() if e["event"]["action"] == "command.executed"]
    assert [c["event"]["source"] for c in calls] == [
        "otlp.logs",
        "hook.http",
        "hook.command",
    ]
    first = calls[0]
    assert "duplicate_of" not in first["event"]
    assert [c["event"].get("duplicate_of") for c in calls[1:]] == [first["event"]["id"]] * 2
    assert {c["gen_ai"]["tool"]["call"]["id"] for c in calls} == {"toolu_fake0001"}
    assert calls[1]["command"]["output"] == "BEACON_MARKER"  # the hook adds what OTLP lacks


def test_spool_is_ingested_once_on_start_and_periodically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spooled before start and while running: each payload becomes exactly one event."""
    spool = tmp_path / "spool"
    monkeypatch.setenv("BEACON_SPOOL_DIR", str(spool))
    bodies = [b for p, n, b in RECORDED if p == "claude" and "json1/hooks/command" in n]
    for body in bodies[:3]:
        spool_payload("claude", body)
    collector = start_collector(tmp_path / "logs", env={"BEACON_SPOOL_DIR": str(spool)})
    try:
        assert len(collector.new_events(3)) == 3  # ingested at start
        for body in bodies[3:]:
            spool_payload("claude", body)
        collector.new_events(len(bodies), timeout=15)  # the periodic round
        time.sleep(0.5)
    finally:
        assert collector.stop() == 0
    events = collector.events()
    assert len(events) == len(bodies)
    assert sorted(json.dumps(e["raw"]["payload"]) for e in events) == sorted(
        json.dumps(json.loads(b)) for b in bodies
    )
    assert list(spool.iterdir()) == []
