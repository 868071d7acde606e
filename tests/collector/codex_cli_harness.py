"""The real Codex CLI (from npm) against a fake OpenAI Responses API, for one scripted turn.

A fake Responses API on 127.0.0.1 streams (SSE) first a shell function call running
`echo BEACON_MARKER`, then, once the call's output comes back, a final message. The CLI is
installed once into `.cache/codex/<version>/` (git-ignored) and reused. Everything else a
test needs to drive `codex exec` offline lives here too: the user-level `config.toml`
(model provider pointing at the fake API, analytics, updates and every feature that
contacts public hosts turned off) and the environment. Telemetry (`[otel]`) is the
caller's business: endpoint tests let `beacon endpoint install` write it, CI tests their
own. Shared by the endpoint and CI end-to-end tests; modelled on
`../shared/tools/agent-recorder` (runtimes/codex.py, fake_models.py).
"""

from __future__ import annotations

import gzip
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
from collector_harness import REPO

VERSION = os.environ.get("BEACON_TEST_CODEX_VERSION", "0.169.0")
CACHE = REPO / ".cache" / "codex" / VERSION
PROMPT = "Run the shell command: echo BEACON_MARKER"
COMMAND = "echo BEACON_MARKER"
FINAL_TEXT = "Done: the command printed BEACON_MARKER."
# With any of these on, Codex contacts public hosts (plugin sync, app/model discovery, updates).
FEATURES_OFF = (
    "plugins",
    "remote_plugin",
    "plugin_sharing",
    "apps",
    "tool_suggest",
    "api_key_model_discovery",
    "skill_mcp_dependency_install",
    "unbounded_connection_retries",
    "in_app_updates",
)


def codex_binary() -> Path:
    """The cached CLI, installed with npm on first use."""
    binary = CACHE / "node_modules" / ".bin" / "codex"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot install @openai/codex for this test")
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
            f"@openai/codex@{VERSION}",
        ],
        check=True,
        timeout=900,
    )
    assert binary.exists(), f"npm install did not produce {binary}"
    return binary


def _sse(events: list[tuple[str, dict[str, Any]]]) -> bytes:
    out = []
    for n, (kind, data) in enumerate(events):
        payload = dict(data, type=kind, sequence_number=n)
        out.append(f"event: {kind}\ndata: {json.dumps(payload)}\n\n")
    return "".join(out).encode()


def _message(n: int, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_test{n}",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _function_call(n: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_test{n}",
        "call_id": f"call_test{n:04d}",
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


def response_items(request: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """A shell call while no tool output came back, else the closing message."""
    inputs = request.get("input") or []
    answered = any(
        isinstance(item, dict)
        and item.get("type")
        in ("function_call_output", "local_shell_call_output", "custom_tool_call_output")
        for item in inputs
    )
    if answered:
        return [_message(n, FINAL_TEXT)]
    names = {
        t.get("name") or (t.get("function") or {}).get("name") or t.get("type")
        for t in request.get("tools") or []
        if isinstance(t, dict)
    }
    if "shell_command" in names:
        return [_function_call(n, "shell_command", {"command": COMMAND})]
    if "exec_command" in names:
        return [_function_call(n, "exec_command", {"cmd": COMMAND})]
    if "shell" in names:
        return [_function_call(n, "shell", {"command": ["bash", "-lc", COMMAND]})]
    return [_message(n, "no shell tool offered")]


def response_stream(model: str, items: list[dict[str, Any]], n: int) -> bytes:
    """A Responses API SSE stream carrying `items`."""
    base = {
        "id": f"resp_test{n:04d}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "in_progress",
        "output": [],
    }
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": base}),
        ("response.in_progress", {"response": base}),
    ]
    for i, item in enumerate(items):
        events.append(("response.output_item.added", {"output_index": i, "item": item}))
        if item["type"] == "message":
            text = item["content"][0]["text"]
            where = {"item_id": item["id"], "output_index": i, "content_index": 0}
            events.append(("response.output_text.delta", {**where, "delta": text}))
            events.append(("response.output_text.done", {**where, "text": text}))
        events.append(("response.output_item.done", {"output_index": i, "item": item}))
    usage = {
        "input_tokens": 30,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 10,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 40,
    }
    done = dict(base, status="completed", output=items, usage=usage)
    events.append(("response.completed", {"response": done}))
    return _sse(events)


class FakeResponses(BaseHTTPRequestHandler):
    """`POST /v1/responses` (SSE); `GET .../models` an empty list; anything else 404."""

    calls = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req_test")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0].endswith("/models"):
            self._reply(200, b'{"object": "list", "data": [], "models": []}')
        else:
            self._reply(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        if not self.path.split("?", 1)[0].endswith("/responses"):
            self._reply(404, b'{"error": {"type": "not_found", "message": "fake API"}}')
            return
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        with FakeResponses.lock:
            FakeResponses.calls += 1
            n = FakeResponses.calls
        items = response_items(request, n)
        stream = response_stream(request.get("model", "gpt-test"), items, n)
        self._reply(200, stream, "text/event-stream")


@pytest.fixture
def fake_openai() -> Iterator[str]:
    """The fake Responses API; yields its base URL (`http://127.0.0.1:<port>/v1`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeResponses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def user_config(fake_api: str) -> str:
    """A user's own `config.toml`: the fake model provider and no public-host traffic.
    Comments included, so tests can check they survive edits."""
    features = "\n".join(f"{name} = false" for name in FEATURES_OFF)
    return f"""# The user's Codex settings (test double of a real ~/.codex/config.toml)
model = "gpt-5.5-fake"  # any name: the fake API answers all
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[model_providers.fake]
name = "FakeLoopback"
base_url = {json.dumps(fake_api)}
env_key = "FAKE_OPENAI_KEY"
wire_api = "responses"
request_max_retries = 1
stream_max_retries = 1
supports_websockets = false

[analytics]
enabled = false

# all off: otherwise Codex looks up public hosts
[features]
{features}

[feedback]
enabled = false
"""


def codex_env(
    home: Path, tmp: Path, codex_home: Path | None = None, **extra: str
) -> dict[str, str]:
    """Env for one `codex exec`: a temporary HOME, the fake API key, no `OTEL_*` variables."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "TERM": "dumb",
        "FAKE_OPENAI_KEY": "test-key",
        "RUST_LOG": "warn",
        **extra,
    }
    if codex_home is not None:
        env["CODEX_HOME"] = str(codex_home)
    return env


def run_codex_turn(
    binary: Path, project: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    """`codex exec [EXTRA] PROMPT` in `project`; it must exit 0 and print the marker.

    Pass `--dangerously-bypass-hook-trust` in `extra` for `codex exec` to run hooks."""
    result = subprocess.run(
        [
            str(binary),
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--json",
            *extra,
            PROMPT,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    assert "BEACON_MARKER" in result.stdout, result.stdout[-2000:]
    return result
