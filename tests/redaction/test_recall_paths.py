"""Recall on every ingest path: every catalog kind in every context comes out redacted.

Each path gets all cases at once, through its public entry point: one OTLP/HTTP request to
`beacon run` with three records per case (Claude Code `tool_result` and `user_prompt`, Codex
`tool_result`: the text in JSON-string attributes, mapped fields and raw), Claude Code
`PostToolUse` hook payloads POSTed to `/v1/hooks/claude`, and the same payloads through
`beacon-hooks` with no collector running. Failures are collected per kind and context, so
a leak names what leaked where.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from collector_harness import RunningCollector
from recall_cases import Case, all_cases, case_text_of, leaks_in, whole_leaks_in

from beacon.pipeline.redact import MARKER

pytestmark = pytest.mark.network
CASES = all_cases()
HOOKS_BIN = Path(sys.executable).parent / "beacon-hooks"
DOWN = "http://127.0.0.1:9"  # discard port: connection refused, so beacon-hooks writes itself
PAYLOAD_TEXT_BYTES = 12_000  # case text per hook payload: the event stays under the size cap


def _attribute(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _record(attributes: dict[str, str], body: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "timeUnixNano": "1795312267608000000",
        "attributes": [_attribute(k, v) for k, v in attributes.items()],
    }
    if body is not None:
        record["body"] = {"stringValue": body}
    return record


def _otlp_request(cases: list[Case]) -> dict[str, Any]:
    """Claude Code and Codex shaped log records, three per case, `session.id` = case-N."""
    claude: list[dict[str, Any]] = []
    codex: list[dict[str, Any]] = []
    for n, case in enumerate(cases):
        session, text = f"case-{n}", case.text
        claude.append(
            _record(
                {
                    "event.name": "tool_result",
                    "session.id": session,
                    "tool_name": "Bash",
                    "tool_use_id": f"toolu_{n}",
                    "success": "true",
                    "tool_parameters": json.dumps({"full_command": text}),
                    "tool_input": json.dumps({"command": text}),
                },
                "claude_code.tool_result",
            )
        )
        claude.append(
            _record(
                {
                    "event.name": "user_prompt",
                    "session.id": session,
                    "prompt.id": f"prompt-{n}",
                    "prompt": text,
                },
                "claude_code.user_prompt",
            )
        )
        codex.append(
            _record(
                {
                    "event.name": "codex.tool_result",
                    "conversation.id": session,
                    "tool_name": "exec_command",
                    "call_id": f"call_{n}",
                    "success": "true",
                    "arguments": json.dumps({"cmd": text}),
                    "output": text,
                }
            )
        )
    resource = [("claude-code", claude), ("codex_exec", codex)]
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [_attribute("service.name", name)]},
                "scopeLogs": [{"logRecords": records}],
            }
            for name, records in resource
        ]
    }


def _mapped_text(event: dict[str, Any]) -> str:
    """The mapped field that carries the planted text (command or prompt)."""
    if "prompt" in event:
        return str(event["prompt"].get("text", ""))
    return str(event.get("command", {}).get("command", ""))


def test_every_kind_in_every_context_is_redacted_over_otlp(
    redaction_collector: RunningCollector,
) -> None:
    """One OTLP request, 3 records per case: raw and mapped fields come out redacted."""
    redaction_collector.mark()
    with httpx.Client(timeout=60) as client:
        response = client.post(redaction_collector.url("/v1/logs"), json=_otlp_request(CASES))
    assert response.status_code == 200
    events = redaction_collector.new_events(3 * len(CASES), timeout=120)
    assert len(events) == 3 * len(CASES)
    by_case: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        by_case.setdefault(int(event["session"]["id"].removeprefix("case-")), []).append(event)
    failures: list[str] = []
    for n, case in enumerate(CASES):
        found = by_case.get(n, [])
        if len(found) != 3:
            failures.append(f"{case.label}: {len(found)} events, not 3")
        for event in found:
            where = f"otlp {event['harness']['name']} {event['event']['action']}"
            failures += [f"{where}: {leak}" for leak in leaks_in(case, case_text_of(event))]
            if MARKER not in _mapped_text(event):
                failures.append(f"{where}: {case.label}: mapped field not redacted")
            if "truncations" in event.get("content", {}):
                failures.append(f"{where}: {case.label}: truncated, recall not shown")
    assert failures == []


def _hook_payloads(cases: list[Case]) -> list[tuple[bytes, dict[str, int]]]:
    """`PostToolUse` payloads with one `tool_input` field per case: (body, field -> case)."""
    payloads: list[tuple[bytes, dict[str, int]]] = []
    fields: dict[str, str] = {}
    owners: dict[str, int] = {}
    size = 0

    def flush() -> None:
        nonlocal fields, owners, size
        body = {
            "session_id": f"redaction-{len(payloads)}",
            "cwd": "/home/dev/project",
            "hook_event_name": "PostToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "./deploy.sh", **fields},
            "tool_response": {"stdout": "done", "stderr": ""},
            "tool_use_id": f"toolu_redaction_{len(payloads)}",
        }
        payloads.append((json.dumps(body).encode(), owners))
        fields, owners, size = {}, {}, 0

    for n, case in enumerate(cases):
        if size + len(case.text) > PAYLOAD_TEXT_BYTES:
            flush()
        fields[f"case_{n}"] = case.text
        owners[f"case_{n}"] = n
        size += len(case.text)
    flush()
    return payloads


def _hook_failures(
    path: str, events: list[dict[str, Any]], payloads: list[tuple[bytes, dict[str, int]]]
) -> list[str]:
    """Per case: its field in raw and in the mapped tool arguments, redacted, nothing left."""
    failures: list[str] = []
    if len(events) != len(payloads):
        return [f"{path}: {len(events)} events for {len(payloads)} payloads"]
    for event, (_, owners) in zip(events, payloads, strict=True):
        raw = event["raw"]["payload"]["tool_input"]
        mapped = event["gen_ai"]["tool"]["call"]["arguments"]
        if "truncations" in event.get("content", {}) or "degraded" in event.get("content", {}):
            failures.append(f"{path}: payload {event['session']['id']} cut: recall not shown")
        for field, n in owners.items():
            case = CASES[n]
            for where, fields in (("raw", raw), ("mapped", mapped)):
                value = fields.get(field)
                if not isinstance(value, str) or MARKER not in value:
                    failures.append(f"{path} {where}: {case.label}: {value!r:.80} not redacted")
                    continue
                failures += [f"{path} {where}: {leak}" for leak in leaks_in(case, value)]
        text = case_text_of(event)  # nothing leaked into another field either
        for n in owners.values():
            failures += [f"{path} event: {leak}" for leak in whole_leaks_in(CASES[n], text)]
    return failures


def test_every_kind_in_every_context_is_redacted_over_http_hooks(
    redaction_collector: RunningCollector,
) -> None:
    """Hook payloads POSTed to `/v1/hooks/claude`: every planted field comes out redacted."""
    payloads = _hook_payloads(CASES)
    redaction_collector.mark()
    with httpx.Client(timeout=60) as client:
        for body, _ in payloads:
            response = client.post(
                redaction_collector.url("/v1/hooks/claude"),
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 200
    events = redaction_collector.new_events(len(payloads), timeout=60)
    events.sort(key=lambda e: int(e["session"]["id"].removeprefix("redaction-")))
    assert _hook_failures("http hook", events, payloads) == []


def test_every_kind_in_every_context_is_redacted_by_beacon_hooks_locally(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """`beacon-hooks` with no collector: its stdlib pipeline redacts every planted field."""
    payloads = _hook_payloads(CASES)
    logs = tmp_path / "logs"
    for body, _ in payloads:
        done = subprocess.run(
            [str(HOOKS_BIN), "--platform", "claude", "--collector", DOWN, "--log-dir", str(logs)],
            input=body,
            capture_output=True,
            env=hook_env,
            timeout=60,
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, b"{}\n", b"")
    lines = (logs / "runtime.jsonl").read_bytes().splitlines()
    events = [json.loads(line) for line in lines]
    assert {e["event"]["source"] for e in events} == {"hook.command"}
    assert _hook_failures("beacon-hooks", events, payloads) == []
