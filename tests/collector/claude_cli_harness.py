"""The real Claude Code CLI (from npm) against a fake Anthropic API, for one scripted turn.

A fake Anthropic Messages API on 127.0.0.1 streams (SSE) first a `tool_use` of Bash
`echo BEACON_MARKER`, then a final text. The CLI is installed once into `.cache/claude-code/`
(git-ignored) and reused. Shared by the collector and the hooks end-to-end tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_harness import REPO
from fake_model_api import FakeModelAPI, serving
from npm_cli import npm_cli

VERSION = os.environ.get("BEACON_TEST_CLAUDE_CODE_VERSION", "2.1.197")
CACHE = REPO / ".cache" / "claude-code" / VERSION
PROMPT = "Run the shell command: echo BEACON_MARKER"
COMMAND = "echo BEACON_MARKER"
FINAL_TEXT = "Done: the command printed BEACON_MARKER."


def claude_binary() -> Path:
    """The cached CLI, installed with npm on first use."""
    return npm_cli("@anthropic-ai/claude-code", VERSION, "claude", CACHE, timeout=600)


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def message_stream(model: str, blocks: list[dict[str, Any]], stop_reason: str, n: int) -> bytes:
    """An Anthropic Messages SSE stream carrying `blocks`."""
    usage = {
        "input_tokens": 12,
        "output_tokens": 1,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    out = [
        _sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": f"msg_test{n:04d}",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": usage,
                },
            },
        )
    ]
    for i, block in enumerate(blocks):
        if block["type"] == "text":
            start: dict[str, Any] = {"type": "text", "text": ""}
            delta: dict[str, Any] = {"type": "text_delta", "text": block["text"]}
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        out.append(
            _sse(
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": start},
            )
        )
        out.append(
            _sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
        )
        out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 20},
            },
        )
    )
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


class FakeAnthropic(FakeModelAPI):
    """Messages API: Bash tool_use while Bash is offered and no result came back, else text."""

    extra_headers = {"request-id": "req_test"}

    def do_POST(self) -> None:
        request = self.request_json()
        if self.route.endswith("/count_tokens"):
            self.reply(200, b'{"input_tokens": 42}')
            return
        if not self.route.endswith("/v1/messages"):
            self.reply(404, b'{"type":"error","error":{"type":"not_found_error","message":"no"}}')
            return
        n = self.next_call()
        messages = request.get("messages") or []
        content = messages[-1].get("content") if messages else None
        answered = isinstance(content, list) and any(
            isinstance(c, dict) and c.get("type") == "tool_result" for c in content
        )
        offers_bash = any(t.get("name") == "Bash" for t in request.get("tools") or [])
        if offers_bash and not answered:
            blocks = [
                {
                    "type": "tool_use",
                    "id": f"toolu_test{n:04d}",
                    "name": "Bash",
                    "input": {"command": COMMAND, "description": "Print beacon marker"},
                }
            ]
            stop = "tool_use"
        else:
            blocks, stop = (
                [{"type": "text", "text": FINAL_TEXT if offers_bash else "ok"}],
                "end_turn",
            )
        model = request.get("model", "claude-test")
        if request.get("stream"):
            self.reply(200, message_stream(model, blocks, stop, n), "text/event-stream")
        else:
            usage = {"input_tokens": 12, "output_tokens": 20}
            body = {
                "id": f"msg_test{n:04d}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": blocks,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            }
            self.reply(200, json.dumps(body).encode())

    def do_GET(self) -> None:
        self.reply(404, b"{}")


@pytest.fixture
def fake_api() -> Iterator[str]:
    with serving(FakeAnthropic) as url:
        yield url


def claude_agent_env(tmp_path: Path, home: Path, fake_api: str) -> dict[str, str]:
    """Env for one `claude -p` with no telemetry of its own: the fake API, no background
    traffic (for tests where Beacon's install or `beacon ci` turns telemetry on)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "ANTHROPIC_BASE_URL": fake_api,
        "ANTHROPIC_API_KEY": "test-key",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


def claude_env(
    tmp_path: Path, home: Path, fake_api: str, collector_http: str, **extra: str
) -> dict[str, str]:
    """Env for one `claude -p`: `claude_agent_env`, and OTLP logs to the collector.

    `extra` adds the test's own variables (metrics exporter, OTLP protocol, spool directory).
    """
    return {
        **claude_agent_env(tmp_path, home, fake_api),
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector_http}",
        "OTEL_LOG_USER_PROMPTS": "1",
        "OTEL_LOG_TOOL_DETAILS": "1",
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
        **extra,
    }


def run_claude_turn(binary: Path, project: Path, env: dict[str, str]) -> None:
    """`claude -p PROMPT` with Bash allowed, in `project`; it must exit 0 and print the marker."""
    result = subprocess.run(
        [
            str(binary),
            "-p",
            PROMPT,
            "--allowedTools",
            "Bash",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "BEACON_MARKER" in result.stdout, result.stdout[-2000:]
