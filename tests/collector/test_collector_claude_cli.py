"""The real Claude Code CLI (from npm) sends its telemetry to `beacon run` for one scripted turn.

The fake Anthropic API and the cached CLI install live in claude_cli_harness (shared with the
hooks test). Skips only when npm is absent; a failing install is a failure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from claude_cli_harness import (
    COMMAND,
    PROMPT,
    claude_binary,
    claude_env,
    fake_api,
    run_claude_turn,
)
from collector_harness import RunningCollector, start_collector

pytestmark = [pytest.mark.slow, pytest.mark.network]
__all__ = ["fake_api"]  # the fixture, imported for pytest


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
    env = claude_env(
        tmp_path,
        home,
        fake_api,
        collector.http,
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_METRIC_EXPORT_INTERVAL="1000",
    )
    try:
        run_claude_turn(binary, project, env)
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
