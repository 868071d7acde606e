"""Hook mappers: every recorded payload maps to schema-valid events that keep what it said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hook_harness import recorded_payloads

from beacon.pipeline.enrich import Enrich
from beacon.runtimes.hooks import harness_of, map_hook, noop_reply
from beacon.runtimes.hooks.payload import SOURCE_HTTP, HookInput, hook_input
from beacon.schema import load_json_schema

VALIDATOR = jsonschema.Draft202012Validator(load_json_schema())
RECORDED = recorded_payloads()


def _map(platform: str, body: bytes, source: str = "hook.command") -> list[dict[str, Any]]:
    events = map_hook(hook_input(harness_of(platform) or platform, body, source=source))
    enrich = Enrich("test-host")
    return [enrich(e) for e in events]


def _strings(events: list[dict[str, Any]], *path: str) -> set[str]:
    found = set()
    for event in events:
        node: Any = event
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            found.add(node)
    return found


def test_every_recorded_payload_is_recorded() -> None:
    """The fixture copy holds Claude Code, Codex and Gemini CLI payloads (guards the glob)."""
    platforms = {platform for platform, _, _ in RECORDED}
    assert platforms == {"claude", "codex", "gemini"}
    assert len(RECORDED) >= 50


@pytest.mark.parametrize(("platform", "name", "body"), RECORDED, ids=[n for _, n, _ in RECORDED])
def test_recorded_payload_maps_without_losing_tool_command_path_or_prompt(
    platform: str, name: str, body: bytes
) -> None:
    """Schema-valid events, with the payload's prompt, command, tool call id and file path."""
    payload = json.loads(body)
    events = _map(platform, body)
    assert events, name
    for event in events:
        errors = [e.message for e in VALIDATOR.iter_errors(event)]
        assert not errors, (name, errors)
        assert event["event"]["source"] == "hook.command"
        assert event["event"]["action"] != "telemetry.unclassified"
        assert event["raw"]["payload"] == payload
    session = payload.get("session_id") or payload.get("thread-id")
    assert _strings(events, "session", "id") == {session}
    prompt = payload.get("prompt") if payload.get("hook_event_name") != "AfterAgent" else None
    if isinstance(prompt, str):
        assert prompt in _strings(events, "prompt", "text")
    tool_input = payload.get("tool_input") or {}
    if "command" in tool_input:
        assert tool_input["command"] in _strings(events, "command", "command")
    if "file_path" in tool_input:
        assert tool_input["file_path"] in _strings(events, "tool", "path")
    if "tool_use_id" in payload:
        assert payload["tool_use_id"] in _strings(events, "gen_ai", "tool", "call", "id")
    for call in payload.get("tool_calls") or []:
        ids = {c["call"]["id"] for e in events for c in e["gen_ai"]["tool"]["calls"]}
        assert call["tool_use_id"] in ids


def test_claude_post_tool_use_matches_the_otlp_tool_result_shape() -> None:
    """Same action and call id as the OTLP `tool_result`, plus output and duration."""
    body = next(
        b for p, n, b in RECORDED if n.startswith("claude-code-2.1.197/json1/hooks/http/0003")
    )
    (event,) = _map("claude", body, SOURCE_HTTP)
    assert event["event"]["action"] == "command.executed"
    assert event["event"]["source"] == "hook.http"
    assert event["gen_ai"]["tool"]["call"]["id"] == "toolu_fake0001"
    assert event["command"] == {
        "command": "echo BEACON_MARKER",
        "duration_ms": 58,
        "output": "BEACON_MARKER",
    }
    assert event["session"]["working_directory"] == "/home/dev/project"


def test_gemini_event_time_is_the_payload_timestamp() -> None:
    """Gemini CLI stamps every payload; the event keeps that time."""
    body = next(b for p, n, b in RECORDED if "AfterTool" in n)
    (event,) = _map("gemini", body)
    assert event["timestamp"] == "2026-11-22T01:55:07.373Z"
    assert event["command"]["output"] == "BEACON_MARKER"


CLAUDE_COMMON = {"session_id": "s-1", "cwd": "/repo", "transcript_path": "/t.jsonl"}


@pytest.mark.parametrize(
    ("payload", "action", "check"),
    [
        (
            {
                "hook_event_name": "PostToolUseFailure",
                "tool_name": "Bash",
                "tool_use_id": "t1",
                "tool_input": {"command": "false"},
                "error": "Exit code 1\nboom",
            },
            "command.executed",
            lambda e: e["command"]["exit_code"] == 1 and e["tool"]["error"].startswith("Exit"),
        ),
        (
            {
                "hook_event_name": "PostToolUse",
                "tool_name": "Edit",
                "tool_use_id": "t2",
                "tool_input": {
                    "file_path": "/repo/a.py",
                    "old_string": "x = 1",
                    "new_string": "x = 2",
                },
                "tool_response": {},
            },
            "file.modified",
            lambda e: (
                e["file"]["path"] == "/repo/a.py"
                and e["file"]["language"] == "py"
                and e["file"]["diff"] == "-x = 1\n+x = 2\n"
                and e["file"]["diff_bytes"] == 14
                and len(e["file"]["diff_hash"]) == 64
            ),
        ),
        (
            {
                "hook_event_name": "PostToolUse",
                "tool_name": "Read",
                "tool_use_id": "t3",
                "tool_input": {"file_path": "/repo/b.md"},
            },
            "file.read",
            lambda e: e["file"] == {"path": "/repo/b.md", "operation": "read", "language": "md"},
        ),
        (
            {
                "hook_event_name": "PostToolUse",
                "tool_name": "mcp__github__create_issue",
                "tool_use_id": "t4",
                "tool_input": {"title": "x"},
                "tool_response": "ok",
            },
            "mcp.tool_invoked",
            lambda e: e["mcp"] == {"server": "github", "tool": "create_issue"},
        ),
        (
            {
                "hook_event_name": "PermissionRequest",
                "tool_name": "Bash",
                "tool_input": {"command": "rm -rf build"},
            },
            "approval.requested",
            lambda e: (
                e["approval"] == {"required": True, "decision": "requested"}
                and e["command"]["command"] == "rm -rf build"
            ),
        ),
        (
            {"hook_event_name": "StopFailure", "error": "rate_limit", "error_details": "429"},
            "model.error",
            lambda e: e["error"] == {"type": "rate_limit", "message": "429"},
        ),
        (
            {
                "hook_event_name": "SubagentStop",
                "agent_id": "a1",
                "agent_type": "Explore",
                "last_assistant_message": "done",
            },
            "subagent.stopped",
            lambda e: e["gen_ai"]["agent"] == {"id": "a1", "name": "Explore"},
        ),
        (
            {"hook_event_name": "Notification", "message": "Claude needs your permission"},
            "agent.notification",
            lambda e: e["message"] == "Claude needs your permission",
        ),
        (
            {"hook_event_name": "PreCompact", "trigger": "auto"},
            "session.compacting",
            lambda e: "auto" in e["message"],
        ),
        (
            {"hook_event_name": "CwdChanged", "old_cwd": "/a", "new_cwd": "/b"},
            "session.event",
            lambda e: e["raw"]["payload"]["new_cwd"] == "/b",
        ),
    ],
)
def test_claude_events_beyond_the_recording(
    payload: dict[str, Any], action: str, check: Any
) -> None:
    """Documented Claude Code events map to their actions with their fields."""
    (event,) = _map("claude", json.dumps({**CLAUDE_COMMON, **payload}).encode())
    assert event["event"]["action"] == action
    assert not [e.message for e in VALIDATOR.iter_errors(event)]
    assert check(event)


CURSOR_COMMON = {
    "conversation_id": "c-1",
    "generation_id": "g-7",
    "model": "claude-sonnet-4-5",
    "cursor_version": "2.0.77",
    "workspace_roots": ["/home/dev/app"],
    "user_email": None,
}
# Composed from Cursor's hook docs (reference/runtimes.md §4); no recording exists yet.
CURSOR_CASES: list[tuple[dict[str, Any], str, bytes]] = [
    (
        {"hook_event_name": "beforeSubmitPrompt", "prompt": "fix it", "attachments": []},
        "prompt.submitted",
        b'{"continue": true}',
    ),
    (
        {"hook_event_name": "beforeShellExecution", "command": "npm test", "cwd": "/home/dev/app"},
        "tool.invoked",
        b'{"permission": "allow"}',
    ),
    (
        {
            "hook_event_name": "afterShellExecution",
            "command": "npm test",
            "output": "3 passed",
            "duration": 812,
        },
        "command.executed",
        b"{}",
    ),
    (
        {
            "hook_event_name": "beforeMCPExecution",
            "tool_name": "create_issue",
            "tool_input": '{"title": "x"}',
            "url": "https://api.example/mcp",
        },
        "tool.invoked",
        b'{"permission": "allow"}',
    ),
    (
        {
            "hook_event_name": "afterMCPExecution",
            "tool_name": "create_issue",
            "tool_input": '{"title": "x"}',
            "result_json": '{"ok": true}',
            "duration": 40,
            "command": "npx server",
        },
        "mcp.tool_invoked",
        b"{}",
    ),
    (
        {"hook_event_name": "beforeReadFile", "file_path": "/home/dev/app/a.ts", "content": "x"},
        "file.read",
        b'{"permission": "allow"}',
    ),
    (
        {
            "hook_event_name": "afterFileEdit",
            "file_path": "/home/dev/app/a.ts",
            "edits": [{"old_string": "a", "new_string": "b"}],
        },
        "file.modified",
        b"{}",
    ),
    ({"hook_event_name": "stop", "status": "completed", "loop_count": 0}, "tool.completed", b"{}"),
    (
        {
            "hook_event_name": "preToolUse",
            "tool_name": "Shell",
            "tool_use_id": "tu-1",
            "tool_input": {"command": "ls"},
            "cwd": "/home/dev/app",
        },
        "tool.invoked",
        b'{"permission": "allow"}',
    ),
    (
        {
            "hook_event_name": "postToolUse",
            "tool_name": "Write",
            "tool_use_id": "tu-2",
            "tool_input": {"file_path": "/home/dev/app/n.go", "content": "package n\n"},
            "tool_output": "ok",
            "duration": 5,
        },
        "file.modified",
        b"{}",
    ),
    (
        {
            "hook_event_name": "postToolUseFailure",
            "tool_name": "Shell",
            "tool_use_id": "tu-3",
            "tool_input": {"command": "make"},
            "error_message": "timed out",
            "failure_type": "timeout",
        },
        "command.executed",
        b"{}",
    ),
    (
        {
            "hook_event_name": "postToolUse",
            "tool_name": "MCP:search",
            "tool_use_id": "tu-4",
            "tool_input": {"q": "x"},
            "tool_output": "[]",
        },
        "mcp.tool_invoked",
        b"{}",
    ),
    (
        {"hook_event_name": "subagentStart", "subagent_id": "sa-1", "subagent_type": "explore"},
        "subagent.started",
        b"{}",
    ),
    (
        {
            "hook_event_name": "subagentStop",
            "subagent_id": "sa-1",
            "subagent_type": "explore",
            "final_status": "completed",
        },
        "subagent.stopped",
        b"{}",
    ),
    (
        {"hook_event_name": "sessionStart", "session_id": "c-1", "composer_mode": "agent"},
        "session.started",
        b"{}",
    ),
    ({"hook_event_name": "sessionEnd"}, "session.ended", b"{}"),
    (
        {"hook_event_name": "afterAgentThought", "text": "thinking...", "duration_ms": 9},
        "agent.reasoning",
        b"{}",
    ),
]


@pytest.mark.parametrize(
    ("payload", "action", "reply"),
    CURSOR_CASES,
    ids=[c[0]["hook_event_name"] for c in CURSOR_CASES],
)
def test_cursor_events_map_and_reply(payload: dict[str, Any], action: str, reply: bytes) -> None:
    """Cursor 1.x/2.x events: action, conversation as session, version, and the no-op reply."""
    (event,) = _map("cursor", json.dumps({**CURSOR_COMMON, **payload}).encode())
    assert event["event"]["action"] == action
    assert not [e.message for e in VALIDATOR.iter_errors(event)]
    assert event["harness"] == {"name": "cursor", "version": "2.0.77"}
    assert event["session"]["id"] == "c-1"
    assert noop_reply("cursor", payload["hook_event_name"]) == reply
    if "command" in payload and action != "mcp.tool_invoked":
        assert event["command"]["command"] == payload["command"]
    if "file_path" in payload:
        assert event["file"]["path"] == payload["file_path"]
    if "tool_use_id" in payload:
        assert event["gen_ai"]["tool"]["call"]["id"] == payload["tool_use_id"]


def test_cursor_shell_output_duration_and_edit_diff() -> None:
    """afterShellExecution keeps output and duration; afterFileEdit hashes its edits."""
    shell = _map("cursor", json.dumps({**CURSOR_COMMON, **CURSOR_CASES[2][0]}).encode())[0]
    assert shell["command"] == {"command": "npm test", "duration_ms": 812, "output": "3 passed"}
    edit = _map("cursor", json.dumps({**CURSOR_COMMON, **CURSOR_CASES[6][0]}).encode())[0]
    assert edit["file"]["diff"] == "-a\n+b\n" and edit["file"]["diff_bytes"] == 6


def test_cursor_running_claude_hooks_is_attributed_to_cursor(tmp_path: Path) -> None:
    """A Cursor payload sent to the Claude platform is Cursor's, and skipped when Beacon's
    own Cursor hooks are installed in the workspace (counted once)."""
    root = tmp_path / "app"
    payload = {
        **CURSOR_COMMON,
        "workspace_roots": [str(root)],
        "hook_event_name": "PostToolUse",
        "tool_name": "Shell",
        "tool_use_id": "tu-9",
        "tool_input": {"command": "ls"},
    }
    (event,) = _map("claude", json.dumps(payload).encode())
    assert event["harness"]["name"] == "cursor"
    assert event["event"]["action"] == "command.executed"
    (root / ".cursor").mkdir(parents=True)
    (root / ".cursor" / "hooks.json").write_text(
        '{"version": 1, "hooks": {"postToolUse": [{"command": "beacon-hooks --platform cursor"}]}}'
    )
    assert _map("claude", json.dumps(payload).encode()) == []


@pytest.mark.parametrize(
    ("platform", "body", "reason"),
    [
        ("claude", b"not json {", "invalid JSON"),
        ("claude", b"[1, 2]", "not a JSON object"),
        ("vim", b'{"hook_event_name": "x"}', "unknown platform"),
    ],
)
def test_unmappable_payloads_are_kept_as_unclassified(
    platform: str, body: bytes, reason: str
) -> None:
    """Garbage, non-objects and unknown platforms become low-severity unclassified events."""
    (event,) = _map(platform, body)
    assert event["event"]["action"] == "telemetry.unclassified"
    assert event["severity"] == "low"
    assert reason in event["raw"]["error"]
    assert not [e.message for e in VALIDATOR.iter_errors(event)]


def test_non_finite_numbers_and_lone_surrogates_stay_valid_json() -> None:
    """`1e999` stays a string and `\\ud800` becomes `?`, so the line is valid UTF-8 JSON."""
    body = (
        b'{"hook_event_name": "UserPromptSubmit", "session_id": "s",'
        b' "prompt": "a\\ud800b", "n": 1e999}'
    )
    hook = hook_input("claude_code", body)
    assert isinstance(hook, HookInput) and hook.error is None
    assert hook.payload["n"] == "1e999"
    (event,) = map_hook(hook)
    assert event["prompt"]["text"] == "a?b"
    json.dumps(event, allow_nan=False).encode("utf-8")


@pytest.mark.parametrize(
    ("harness", "event", "reply"),
    [
        ("claude_code", "PreToolUse", b"{}"),
        ("codex_cli", "Stop", b"{}"),
        ("codex_cli", "agent-turn-complete", b""),
        ("gemini_cli", "BeforeTool", b"{}"),
        ("cursor", "beforeSubmitPrompt", b'{"continue": true}'),
        ("cursor", "preToolUse", b'{"permission": "allow"}'),
        (None, "", b"{}"),
    ],
)
def test_noop_replies(harness: str | None, event: str, reply: bytes) -> None:
    """Each runtime gets the reply that changes nothing."""
    assert noop_reply(harness, event) == reply
