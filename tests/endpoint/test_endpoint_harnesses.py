"""Each harness module alone: what it writes, what it takes back out, what `check` says."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pyjson5
import pytest

from beacon.endpoint.harnesses import HARNESSES, detected, resolve
from beacon.endpoint.harnesses.base import FileEdit
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings
from beacon.errors import ConfigError, UsageError


def edit_of(name: str, layout: Layout, settings: EndpointSettings) -> FileEdit:
    return HARNESSES[name].edits(layout, settings)[0]


def test_resolve_accepts_names_aliases_and_all() -> None:
    """`--harness` takes names, runtime aliases and `all`; unknown names are refused."""
    assert [h.name for h in resolve("codex_cli, claude")] == ["claude", "codex"]
    assert len(resolve("all")) == len(HARNESSES)
    with pytest.raises(UsageError, match="unknown harness 'emacs'"):
        resolve("claude,emacs")


def test_detection_uses_path_and_config_dirs(layout: Layout, empty_bin: Path) -> None:
    """An agent is detected by its executable on PATH or its config directory."""
    assert detected(layout) == []
    (empty_bin / "codex").write_text("#!/bin/sh\n")
    (empty_bin / "codex").chmod(0o755)
    (layout.home / ".gemini").mkdir()
    assert [h.name for h in detected(layout)] == ["codex", "gemini"]


def test_claude_hooks_are_added_once_and_taken_out_alone(
    layout: Layout, settings: EndpointSettings
) -> None:
    """`--hooks`: command hooks for SessionStart/tool events, HTTP hooks for the rest; the
    user's own hook survives; configure twice adds nothing; revert removes only Beacon's."""
    claude = HARNESSES["claude"]
    hooked = replace(settings, hooks=True)
    user = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}}
    current = json.dumps(user).encode()
    edit = edit_of("claude", layout, hooked)
    once = claude.configure(edit, current, hooked)
    assert claude.configure(edit, once, hooked) == once
    doc = json.loads(once)
    start = doc["hooks"]["SessionStart"][0]["hooks"][0]
    assert start["type"] == "command" and "--platform claude" in start["command"]
    assert f"--collector {settings.http_endpoint}" in start["command"]
    stop = doc["hooks"]["Stop"]
    assert stop[0] == user["hooks"]["Stop"][0]
    assert stop[1]["hooks"][0] == {
        "type": "http",
        "url": f"{settings.http_endpoint}/v1/hooks/claude",
        "timeout": 10,
    }
    assert doc["hooks"]["PreToolUse"][0]["matcher"] == "*"
    # Re-installing without --hooks takes Beacon's hooks out again.
    plain = json.loads(claude.configure(edit, once, settings))
    assert plain["hooks"] == user["hooks"]
    reverted = claude.revert(edit, once, current, hooked)
    assert reverted is not None and json.loads(reverted) == user


def test_content_metadata_turns_prompt_capture_off(
    layout: Layout, settings: EndpointSettings
) -> None:
    """`--content metadata`: no prompts or tool details requested from any agent."""
    meta = replace(settings, content="metadata")
    claude = json.loads(HARNESSES["claude"].configure(edit_of("claude", layout, meta), None, meta))
    assert (
        claude["env"]["OTEL_LOG_USER_PROMPTS"] == "0"
        and claude["env"]["OTEL_LOG_TOOL_DETAILS"] == "0"
    )
    codex = tomllib.loads(
        HARNESSES["codex"].configure(edit_of("codex", layout, meta), None, meta).decode()
    )
    assert codex["otel"]["log_user_prompt"] is False
    gemini = json.loads(HARNESSES["gemini"].configure(edit_of("gemini", layout, meta), None, meta))
    assert gemini["telemetry"]["logPrompts"] is False
    vscode = pyjson5.decode(
        HARNESSES["vscode"].configure(edit_of("vscode", layout, meta), None, meta).decode()
    )
    assert vscode["github.copilot.chat.otel.captureContent"] is False
    assert (
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
        not in HARNESSES["copilot"].guidance(meta)[0]
    )


def test_codex_spans_hooks_and_codex_home(tmp_path: Path, settings: EndpointSettings) -> None:
    """`$CODEX_HOME` is honoured; `--include-codex-spans` adds a trace exporter; `--hooks`
    writes hooks.json with Beacon's command hooks."""
    codex_home = tmp_path / "codex-home"
    layout = Layout.detect(env={"HOME": str(tmp_path), "CODEX_HOME": str(codex_home), "PATH": ""})
    full = replace(settings, include_codex_spans=True, hooks=True)
    edits = HARNESSES["codex"].edits(layout, full)
    assert [e.path for e in edits] == [codex_home / "config.toml", codex_home / "hooks.json"]
    config = tomllib.loads(HARNESSES["codex"].configure(edits[0], None, full).decode())
    assert config["otel"]["trace_exporter"] == {
        "otlp-http": {"endpoint": f"{settings.http_endpoint}/v1/traces", "protocol": "binary"}
    }
    hooks = json.loads(HARNESSES["codex"].configure(edits[1], None, full))["hooks"]
    assert list(hooks) == ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"]
    assert "--platform codex" in hooks["Stop"][0]["hooks"][0]["command"]
    assert (
        HARNESSES["codex"].revert(edits[1], json.dumps({"hooks": hooks}).encode(), None, full)
        is None
    )


def test_bad_json_is_refused_with_its_path(layout: Layout, settings: EndpointSettings) -> None:
    """A settings file that is not JSON (or not an object) stops with the file named."""
    edit = edit_of("claude", layout, settings)
    with pytest.raises(ConfigError, match=r"settings\.json: not valid JSON"):
        HARNESSES["claude"].configure(edit, b'{"env": ', settings)
    with pytest.raises(ConfigError, match="expected a JSON object"):
        HARNESSES["gemini"].configure(edit_of("gemini", layout, settings), b"[1, 2]", settings)
    with pytest.raises(ConfigError, match="`env` is not a JSON object"):
        HARNESSES["claude"].configure(edit, b'{"env": "x"}', settings)


def test_vscode_block_is_inserted_and_cut_exactly(
    layout: Layout, settings: EndpointSettings
) -> None:
    """VS Code: a new file gets a valid JSONC object; an existing one keeps every byte around
    Beacon's block, and revert returns the original bytes."""
    vscode = HARNESSES["vscode"]
    edit = edit_of("vscode", layout, settings)
    fresh = vscode.configure(edit, None, settings)
    assert pyjson5.decode(fresh.decode())["github.copilot.chat.otel.exporterType"] == "otlp-http"
    assert vscode.revert(edit, fresh, None, settings) is None
    original = b'\xef\xbb\xbf// hi\n/* c */ {\n\t"a": [1,\n\t\t2],  // keep\n}\n'
    written = vscode.configure(edit, original, settings)
    assert written.startswith(b"\xef\xbb\xbf// hi\n/* c */ {\n\t// >>> beacon endpoint install")
    assert pyjson5.decode(written.decode("utf-8-sig"))["a"] == [1, 2]
    assert vscode.configure(edit, written, settings) == written
    assert vscode.revert(edit, written, original, settings) == original


def test_vscode_refuses_a_conflicting_user_value(
    layout: Layout, settings: EndpointSettings
) -> None:
    """A key the user set to another value is reported, not duplicated or overwritten."""
    current = b'{\n  "github.copilot.chat.otel.enabled": false\n}\n'
    with pytest.raises(
        ConfigError, match=r"already sets github\.copilot\.chat\.otel\.enabled = false"
    ):
        HARNESSES["vscode"].configure(edit_of("vscode", layout, settings), current, settings)


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("claude", None, "missing"),
        ("claude", {"env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "0"}}, "disabled"),
        (
            "claude",
            {
                "env": {
                    "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
                    "OTEL_LOGS_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.corp:4317",
                }
            },
            "misconfigured",
        ),
        ("gemini", {"telemetry": {"enabled": False}}, "disabled"),
        ("gemini", {"telemetry": {"enabled": True, "outfile": "/tmp/x"}}, "misconfigured"),
        ("cursor", {"version": 1, "hooks": {"stop": [{"command": "/opt/x"}]}}, "missing"),
    ],
)
def test_check_reports_each_status(
    layout: Layout, settings: EndpointSettings, name: str, content: object, status: str
) -> None:
    """`check` tells missing, disabled and misconfigured apart (with evidence)."""
    harness = HARNESSES[name]
    edit = edit_of(name, layout, settings)
    if content is not None:
        edit.path.parent.mkdir(parents=True, exist_ok=True)
        edit.path.write_text(json.dumps(content))
    state = harness.check(layout, settings)
    assert state.status == status, state
    assert state.detail


def test_check_is_enabled_after_configure_for_every_file_harness(
    layout: Layout, settings: EndpointSettings
) -> None:
    """Whatever configure writes, check calls enabled; codex with another endpoint is not."""
    for name in ("claude", "codex", "gemini", "cursor", "vscode"):
        harness = HARNESSES[name]
        for edit in harness.edits(layout, settings):
            edit.path.parent.mkdir(parents=True, exist_ok=True)
            edit.path.write_bytes(harness.configure(edit, None, settings))
        assert harness.check(layout, settings).status == "enabled", name
    other = replace(settings, http_port=settings.http_port + 1)
    state = HARNESSES["codex"].check(layout, other)
    assert state.status == "misconfigured" and "expected" in state.detail


def test_copilot_is_guidance_only(layout: Layout, settings: EndpointSettings) -> None:
    """Copilot CLI: no file edits; guidance names the variables; check reads the env."""
    copilot = HARNESSES["copilot"]
    assert copilot.edits(layout, settings) == []
    text = copilot.guidance(settings)[0]
    assert f"COPILOT_OTEL_ENDPOINT={settings.http_endpoint}" in text
    assert copilot.check(layout, settings).status == "missing"
    env = {
        **layout.env,
        "COPILOT_OTEL_ENABLED": "true",
        "COPILOT_OTEL_ENDPOINT": settings.http_endpoint,
    }
    assert copilot.check(replace(layout, env=env), settings).status == "enabled"
