"""The real Claude Code CLI with Beacon's command and HTTP hooks and OTLP, for one turn.

Reuses the collector tests' fake Anthropic API, CLI install and env (claude_cli_harness).
Hooks are configured the way docs/hooks.md says: command hooks (`beacon-hooks`) for
SessionStart and the tool events, HTTP hooks for the rest and, on purpose, for PostToolUse
too, so the one Bash call arrives three times (OTLP `tool_result`, HTTP hook, command hook)
and must be counted once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from claude_cli_harness import COMMAND, claude_binary, claude_env, fake_api, run_claude_turn
from collector_harness import start_collector
from hook_harness import HOOKS_BIN

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
    env = claude_env(
        tmp_path,
        home,
        fake_api,
        collector.http,
        BEACON_SPOOL_DIR=str(spool),
        BEACON_INVENTORY_ON_HOOK="0",  # the fallback log dir must stay unused
        OTEL_METRICS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
    )
    try:
        run_claude_turn(binary, project, env)
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
