"""Deterministic sample events for both streams, built with the schema's own `new_event`.

Packs ship them as `sample-event.jsonl`; smoke tests send the first runtime line. Fixed ids
and timestamps keep the checked-in reference output free of drift.
"""

from __future__ import annotations

import json
from typing import Any

from beacon.schema.event import new_event

_ENDPOINT = {"hostname": "dev-laptop-01", "os": "linux", "agent_version": "0.1.0"}
_USER = {"name": "alice"}
_SESSION = {
    "id": "5b0e6f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
    "working_directory": "/home/alice/src/app",
}
_HARNESS = "claude_code"


def _event(
    action: str, seq: int, stamp: str, harness_version: str = "2.1.197", **fields: Any
) -> dict[str, Any]:
    """One sample event with a fixed `event.id` / `created` so regenerated packs are identical."""
    event = new_event(action, harness=_HARNESS, timestamp=stamp, **fields)
    event["event"]["id"] = f"0197b1f0-7c3e-7a10-8000-{seq:012d}"
    event["event"]["created"] = stamp
    event["harness"]["version"] = harness_version
    event["endpoint"] = dict(_ENDPOINT)
    event["user"] = dict(_USER)
    return event


def runtime_events() -> list[dict[str, Any]]:
    """A short session: start, prompt, a shell command, an MCP call."""
    return [
        _event(
            "session.started",
            1,
            "2026-05-11T22:21:00.123Z",
            session=dict(_SESSION),
            message="Session started",
        ),
        _event(
            "prompt.submitted",
            2,
            "2026-05-11T22:21:04.500Z",
            session=dict(_SESSION),
            prompt={"text": "Run the test suite and fix what fails"},
            content={"retention": "redacted", "included": True, "redacted": False},
        ),
        _event(
            "command.executed",
            3,
            "2026-05-11T22:21:09.010Z",
            session=dict(_SESSION),
            tool={"name": "Bash"},
            command={"command": "pytest -q tests/", "exit_code": 0},
        ),
        _event(
            "mcp.tool_invoked",
            4,
            "2026-05-11T22:21:12.777Z",
            session=dict(_SESSION),
            tool={"name": "mcp__github__list_issues"},
            mcp={"server": "github", "tool": "list_issues"},
        ),
    ]


def inventory_events() -> list[dict[str, Any]]:
    """A heartbeat and a snapshot, as the inventory stream writes them."""
    return [
        _event("inventory.heartbeat", 101, "2026-05-11T22:20:00.000Z", message="heartbeat"),
        _event(
            "inventory.snapshot",
            102,
            "2026-05-11T22:20:00.250Z",
            message="inventory snapshot",
            raw={"mcp_servers": [{"name": "github", "transport": "stdio"}], "skills": 3},
        ),
    ]


def sample_events(streams: tuple[str, ...] = ("runtime", "inventory")) -> list[dict[str, Any]]:
    """Samples of the selected streams, runtime first."""
    out: list[dict[str, Any]] = []
    if "runtime" in streams:
        out.extend(runtime_events())
    if "inventory" in streams:
        out.extend(inventory_events())
    return out


def sample_jsonl(streams: tuple[str, ...] = ("runtime", "inventory")) -> str:
    """`sample-event.jsonl`: one compact JSON event per line, as Beacon's writer emits them."""
    return "".join(
        json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n"
        for e in sample_events(streams)
    )
