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

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_harness import REPO
from fake_model_api import FakeModelAPI, serving
from npm_cli import npm_cli

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
    return npm_cli("@openai/codex", VERSION, "codex", CACHE, timeout=900)


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


class FakeResponses(FakeModelAPI):
    """`POST /v1/responses` (SSE); `GET .../models` an empty list; anything else 404."""

    extra_headers = {"x-request-id": "req_test"}

    def do_GET(self) -> None:
        if self.route.endswith("/models"):
            self.reply(200, b'{"object": "list", "data": [], "models": []}')
        else:
            self.reply(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        request = self.request_json()
        if not self.route.endswith("/responses"):
            self.reply(404, b'{"error": {"type": "not_found", "message": "fake API"}}')
            return
        n = self.next_call()
        items = response_items(request, n)
        stream = response_stream(request.get("model", "gpt-test"), items, n)
        self.reply(200, stream, "text/event-stream")


@pytest.fixture
def fake_openai() -> Iterator[str]:
    """The fake Responses API; yields its base URL (`http://127.0.0.1:<port>/v1`)."""
    with serving(FakeResponses) as url:
        yield f"{url}/v1"


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
