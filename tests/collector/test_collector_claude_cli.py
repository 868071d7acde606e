"""The real Claude Code CLI (from npm) sends its telemetry to `beacon run` for one scripted turn.

A fake Anthropic Messages API on 127.0.0.1 streams (SSE) first a `tool_use` of Bash
`echo BEACON_MARKER`, then a final text. The CLI is installed once into `.cache/claude-code/`
(git-ignored) and reused. Skips only when npm is absent; a failing install is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from collector_harness import REPO, RunningCollector, start_collector

pytestmark = [pytest.mark.slow, pytest.mark.network]

VERSION = os.environ.get("BEACON_TEST_CLAUDE_CODE_VERSION", "2.1.197")
CACHE = REPO / ".cache" / "claude-code" / VERSION
PROMPT = "Run the shell command: echo BEACON_MARKER"
COMMAND = "echo BEACON_MARKER"
FINAL_TEXT = "Done: the command printed BEACON_MARKER."


def claude_binary() -> Path:
    """The cached CLI, installed with npm on first use."""
    binary = CACHE / "node_modules" / ".bin" / "claude"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install @anthropic-ai/claude-code for this test")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(CACHE),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"@anthropic-ai/claude-code@{VERSION}",
        ],
        check=True,
        timeout=600,
    )
    assert binary.exists(), f"npm install did not produce {binary}"
    return binary


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


class FakeAnthropic(BaseHTTPRequestHandler):
    """Messages API: Bash tool_use while Bash is offered and no result came back, else text."""

    calls = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("request-id", "req_test")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?", 1)[0]
        if path.endswith("/count_tokens"):
            self._reply(200, b'{"input_tokens": 42}')
            return
        if not path.endswith("/v1/messages"):
            self._reply(404, b'{"type":"error","error":{"type":"not_found_error","message":"no"}}')
            return
        with FakeAnthropic.lock:
            FakeAnthropic.calls += 1
            n = FakeAnthropic.calls
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
            self._reply(200, message_stream(model, blocks, stop, n), "text/event-stream")
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
            self._reply(200, json.dumps(body).encode())

    def do_GET(self) -> None:
        self._reply(404, b"{}")


@pytest.fixture
def fake_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAnthropic)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_real_claude_code_turn_arrives_as_prompt_approval_and_command(
    tmp_path: Path, fake_api: str
) -> None:
    """One `claude -p` turn: prompt.submitted, approval.allowed and the Bash command.executed."""
    binary = claude_binary()
    collector: RunningCollector = start_collector(tmp_path / "logs")
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir()
    project.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "ANTHROPIC_BASE_URL": fake_api,
        "ANTHROPIC_API_KEY": "test-key",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.http}",
        "OTEL_LOG_USER_PROMPTS": "1",
        "OTEL_LOG_TOOL_DETAILS": "1",
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    }
    try:
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
        assert "BEACON_MARKER" in result.stdout
        deadline = time.monotonic() + 30
        events: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            events = collector.events()
            if any(e["event"]["action"] == "command.executed" for e in events) and any(
                e["event"]["action"] == "prompt.submitted" for e in events
            ):
                break
            time.sleep(0.2)
    finally:
        assert collector.stop() == 0
    events = collector.events()
    by_action: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_action.setdefault(event["event"]["action"], []).append(event)
    assert {e["harness"]["name"] for e in events} == {"claude_code"}
    assert by_action["prompt.submitted"][0]["prompt"]["text"] == PROMPT
    approval = by_action["approval.allowed"][0]
    assert approval["tool"]["name"] == "Bash" and approval["approval"]["decision"] == "accept"
    command = by_action["command.executed"][0]
    assert command["command"]["command"] == COMMAND
    assert command["gen_ai"]["tool"]["call"]["id"].startswith("toolu_test")
    session_ids = {e["session"]["id"] for e in events if "session" in e}
    assert len(session_ids) == 1
