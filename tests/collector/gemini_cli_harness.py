"""The real Gemini CLI (from npm) against a fake Gemini API, for one scripted turn.

A fake `generateContent` / `streamGenerateContent` API on 127.0.0.1 answers a request that
offers `run_shell_command` with a call of it (`echo BEACON_MARKER`), the request carrying
its result with a final text, and the CLI's side requests (model routing, next-speaker
checks: a JSON schema in `generationConfig`) with a filled-in object. The CLI is installed
once into `.cache/gemini-cli/` (git-ignored) and reused. Shared by the endpoint and CI
end-to-end tests.
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

VERSION = os.environ.get("BEACON_TEST_GEMINI_CLI_VERSION", "0.61.0")
CACHE = REPO / ".cache" / "gemini-cli" / VERSION
PROMPT = "Run the shell command: echo BEACON_MARKER"
COMMAND = "echo BEACON_MARKER"
FINAL_TEXT = "Done: the command printed BEACON_MARKER."
SHELL_TOOL = "run_shell_command"
# What the CLI needs in ~/.gemini/settings.json to run headless against an API key.
USER_SETTINGS: dict[str, Any] = {
    "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
    "privacy": {"usageStatisticsEnabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}


def gemini_binary() -> Path:
    """The cached CLI, installed with npm on first use."""
    return npm_cli("@google/gemini-cli", VERSION, "gemini", CACHE, timeout=900)


def _fill(key: str, spec: dict[str, Any]) -> Any:
    if key == "model_choice":
        return "flash"
    if key == "next_speaker":
        return "user"
    kind = str(spec.get("type", "")).lower()
    if kind == "boolean":
        return False
    if kind in ("number", "integer"):
        return spec.get("minimum", 1)
    return "test"


def reply_parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's parts for one request (see the module docstring)."""
    tools = [
        declaration.get("name")
        for tool in request.get("tools") or []
        for declaration in tool.get("functionDeclarations") or []
    ]
    contents = request.get("contents") or []
    parts = (contents[-1] if contents else {}).get("parts") or []
    config = request.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema") or {}
    properties = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
    if any("functionResponse" in part for part in parts):
        return [{"text": FINAL_TEXT}]
    if SHELL_TOOL in tools:
        call = {"name": SHELL_TOOL, "args": {"command": COMMAND, "description": "Print marker"}}
        return [{"functionCall": call}]
    if properties:
        return [{"text": json.dumps({k: _fill(k, v or {}) for k, v in properties.items()})}]
    return [{"text": "ok"}]


class FakeGemini(FakeModelAPI):
    """`models/<m>:generateContent`, `:streamGenerateContent` (SSE) and `:countTokens`."""

    def do_POST(self) -> None:
        request = self.request_json()
        if self.route.endswith(":countTokens"):
            self.reply(200, b'{"totalTokens": 20}')
            return
        if not self.route.endswith((":generateContent", ":streamGenerateContent")):
            self.reply(404, b'{"error": {"code": 404, "message": "no", "status": "NOT_FOUND"}}')
            return
        n = self.next_call()
        response = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": reply_parts(request)},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 20,
                "candidatesTokenCount": 5,
                "totalTokenCount": 25,
            },
            "modelVersion": "gemini-test",
            "responseId": f"resp_test{n}",
        }
        if self.route.endswith(":streamGenerateContent"):
            body = ("data: " + json.dumps(response) + "\r\n\r\n").encode()
            self.reply(200, body, "text/event-stream")
        else:
            self.reply(200, json.dumps(response).encode())

    def do_GET(self) -> None:
        self.reply(404, b"{}")


@pytest.fixture
def fake_gemini() -> Iterator[str]:
    with serving(FakeGemini) as url:
        yield url


def write_user_settings(home: Path, extra: dict[str, Any] | None = None) -> bytes:
    """`~/.gemini/settings.json` as a user of the API-key login has it; returns its bytes."""
    path = home / ".gemini" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps({**USER_SETTINGS, **(extra or {})}, indent=2) + "\n").encode()
    path.write_bytes(data)
    return data


def gemini_env(home: Path, tmp_path: Path, fake_api: str) -> dict[str, str]:
    """Env for one `gemini -p`: the fake API and a dummy key; no telemetry variables."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_api,
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "NO_COLOR": "1",
    }


def gemini_argv(binary: Path) -> list[str]:
    """`gemini -p PROMPT` with tools approved, as a headless CI job runs it."""
    return [str(binary), "-p", PROMPT, "--yolo", "--output-format", "stream-json"]


def run_gemini_turn(binary: Path, project: Path, env: dict[str, str]) -> str:
    """One turn in `project`; it must exit 0 and print the marker. Returns its stdout."""
    result = subprocess.run(
        gemini_argv(binary), cwd=project, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    assert "BEACON_MARKER" in result.stdout, result.stdout[-2000:]
    return result.stdout
