"""The real Claude Code CLI with Beacon's command and HTTP hooks and OTLP, for one turn.

Reuses the collector test's fake Anthropic API and CLI install. Hooks are configured the
way docs/hooks.md says: command hooks (`beacon-hooks`) for SessionStart and the tool
events, HTTP hooks for the rest and, on purpose, for PostToolUse too, so the one Bash call
arrives three times (OTLP `tool_result`, HTTP hook, command hook) and must be counted once.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from collector_harness import start_collector
from conftest import HOOKS_BIN
from test_collector_claude_cli import COMMAND, PROMPT, claude_binary, fake_api

pytestmark = [pytest.mark.slow, pytest.mark.network]
__all__ = ["fake_api"]  # the fixture, imported for pytest


def _settings(collector_http: str, log_dir: Path) -> dict[str, Any]:
    command = (
        f"{HOOKS_BIN} --platform claude --collector http://{collector_http} --log-dir {log_dir}"
    )
    url = f"http://{collector_http}/v1/hooks/claude"
    cmd = {"type": "command", "command": command, "timeout": 10}
    http = {"type": "http", "url": url, "timeout": 10}
    return {
        "hooks": {
            "SessionStart": [{"hooks": [cmd]}],
            "PreToolUse": [{"matcher": "*", "hooks": [cmd]}],
            "PostToolUse": [{"matcher": "*", "hooks": [cmd, http]}],
            "UserPromptSubmit": [{"hooks": [http]}],
            "Stop": [{"hooks": [http]}],
        }
    }


def test_real_claude_code_hooks_arrive_and_tool_call_is_counted_once(
    tmp_path: Path, fake_api: str
) -> None:
    """Hook events from both hook types appear; the Bash call has one unmarked event."""
    binary = claude_binary()
    spool = tmp_path / "spool"
    collector = start_collector(tmp_path / "logs", env={"BEACON_SPOOL_DIR": str(spool)})
    home, project = tmp_path / "home", tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    home.mkdir()
    settings = _settings(collector.http, tmp_path / "fallback-logs")
    (project / ".claude" / "settings.json").write_text(json.dumps(settings))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
        "BEACON_SPOOL_DIR": str(spool),
        "ANTHROPIC_BASE_URL": fake_api,
        "ANTHROPIC_API_KEY": "test-key",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.http}",
        "OTEL_LOG_USER_PROMPTS": "1",
        "OTEL_LOG_TOOL_DETAILS": "1",
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
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
        while time.monotonic() < deadline:
            calls = [e for e in collector.events() if e["event"]["action"] == "command.executed"]
            if len(calls) >= 3:
                break
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        assert collector.stop() == 0
    events = collector.events()
    by_source: dict[str, set[str]] = {}
    for event in events:
        by_source.setdefault(event["event"]["source"], set()).add(event["event"]["action"])
    assert {"session.started", "tool.invoked", "command.executed"} <= by_source["hook.command"]
    assert {"prompt.submitted", "command.executed", "tool.completed"} <= by_source["hook.http"]
    assert "command.executed" in by_source["otlp.logs"]
    calls = [e for e in events if e["event"]["action"] == "command.executed"]
    assert len(calls) == 3
    assert {c["command"]["command"] for c in calls} == {COMMAND}
    assert len({c["gen_ai"]["tool"]["call"]["id"] for c in calls}) == 1
    originals = [c for c in calls if "duplicate_of" not in c["event"]]
    assert len(originals) == 1
    assert {c["event"]["duplicate_of"] for c in calls if c is not originals[0]} == {
        originals[0]["event"]["id"]
    }
    prompts = [e for e in events if e["event"]["action"] == "prompt.submitted"]
    assert len({p["prompt"]["id"] for p in prompts}) == 1  # one prompt, seen on two paths
    assert len([p for p in prompts if "duplicate_of" not in p["event"]]) == 1
    assert {e["harness"]["name"] for e in events} == {"claude_code"}
    assert len({e["session"]["id"] for e in events if "session" in e}) == 1
    assert not (tmp_path / "fallback-logs").exists()  # every hook reached the collector
    assert not spool.exists() or list(spool.iterdir()) == []
