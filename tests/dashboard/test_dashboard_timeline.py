"""A session as a readable timeline: grouped calls, hidden plumbing, gaps, errors, order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beacon.audit.query import Match, Position
from beacon.audit.sessions import summarize
from beacon.dashboard.timeline import build, message_text


def event(n: int, second: float, action: str, **fields: Any) -> dict[str, Any]:
    minute, sec = divmod(second, 60)
    return {
        "timestamp": f"2026-12-01T10:{int(minute):02d}:{sec:06.3f}Z",
        "event": {"action": action, "id": f"e{n}", **fields.pop("meta", {})},
        "harness": {"name": "claude_code"},
        "session": {"id": "s1"},
        "severity": fields.pop("severity", "info"),
        **fields,
    }


def timeline_of(events: list[dict[str, Any]], everything: bool = False) -> dict[str, Any]:
    matches = [
        Match(e, b"{}", Path("runtime.jsonl"), Position((1, 2), 10 * n))
        for n, e in enumerate(events)
    ]
    (summary,) = summarize(events)
    return build(summary, matches, everything=everything)


CALL = {"gen_ai": {"tool": {"name": "Bash", "call": {"id": "toolu_1"}}}}
EVENTS = [
    event(0, 0.0, "hook.started", message="Hook SessionStart started"),
    event(1, 0.5, "prompt.submitted", prompt={"text": "List the files"}),
    event(
        2,
        1.0,
        "model.request",
        model="m1",
        gen_ai={"usage": {"input_tokens": 12, "output_tokens": 20, "cost_usd": 0.01}},
    ),
    event(
        3,
        1.5,
        "approval.allowed",
        approval={"decision": "accept", "reason": "config"},
        tool={"name": "Bash", "command": "ls"},
        **CALL,
    ),
    event(
        4,
        2.0,
        "command.executed",
        command={"command": "ls", "exit_code": 0, "duration_ms": 40},
        **CALL,
    ),
    event(
        5,
        2.1,
        "command.executed",
        command={"command": "ls", "output": "README.md"},
        meta={"duplicate_of": "e4", "source": "hook.http"},
        **CALL,
    ),
    event(6, 2.2, "session.activity", message="claude_code.tool", **CALL),
    event(
        7,
        100.0,
        "command.executed",
        command={"command": "make", "exit_code": 2},
        gen_ai={"tool": {"name": "Bash", "call": {"id": "toolu_2"}}},
    ),
    event(
        8,
        101.0,
        "agent.response",
        gen_ai={
            "output": {
                "messages": [{"role": "assistant", "content": [{"type": "text", "text": "Done."}]}]
            }
        },
    ),
]


def test_entries_come_in_order_with_calls_grouped() -> None:
    data = timeline_of(EVENTS)
    kinds = [e["kind"] for e in data["entries"]]
    assert kinds == ["prompt", "model", "call", "call", "response"]
    call = data["entries"][2]
    assert call["title"] == "Bash" and call["code"] == "ls"
    assert call["output"] == "README.md"  # from the duplicate: the hook saw the output
    assert [s["action"] for s in call["steps"]] == ["approval.allowed", "command.executed"]
    assert {"text": "approval: accept", "tone": "ok"} in call["badges"]
    assert {"text": "exit 0", "tone": "ok"} in call["badges"]
    assert data["entries"][1]["usage"]["input_tokens"] == 12
    assert data["entries"][4]["text"] == "Done."


def test_plumbing_and_duplicates_are_hidden_and_counted() -> None:
    data = timeline_of(EVENTS)
    assert data["hidden"] == {"plumbing": 2, "duplicates": 1}
    actions = [s["action"] for e in data["entries"] for s in e["steps"]]
    assert "session.activity" not in actions and "hook.started" not in actions
    everything = timeline_of(EVENTS, everything=True)
    assert everything["entries"][0]["title"] == "Hook started"
    steps = [s for e in everything["entries"] for s in e["steps"]]
    assert any(s["duplicate"] for s in steps)


def test_gaps_offsets_and_errors() -> None:
    data = timeline_of(EVENTS)
    failed = data["entries"][3]
    assert failed["error"] and {"text": "exit 2", "tone": "bad"} in failed["badges"]
    assert failed["gap_seconds"] is not None and failed["gap_seconds"] >= 97
    assert all(e["gap_seconds"] is None for e in data["entries"][:3])
    assert data["entries"][0]["offset_seconds"] == 0.5
    assert data["errors"] == 1


def test_each_entry_links_to_its_stored_event() -> None:
    data = timeline_of(EVENTS)
    assert data["entries"][0]["at"] == "1.2.10"
    assert data["entries"][2]["steps"][1]["at"] == "1.2.40"


def test_message_text_reads_every_message_shape() -> None:
    assert (
        message_text([{"content": "a"}, {"content": [{"text": "b"}, {"content": "c"}]}])
        == "a\n\nb\n\nc"
    )
    assert message_text([{"parts": [{"content": "d"}]}]) == "d"
    assert message_text("not a list") == ""
