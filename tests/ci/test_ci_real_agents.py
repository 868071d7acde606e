"""Acceptance: `beacon ci exec` around the real Claude Code, Codex and Gemini CLIs (npm), each
against a fake model API on loopback, in a simulated GitHub Actions job. One command gives
a validated runtime.jsonl with run metadata and the agent's exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ci_harness import CIJob
from claude_cli_harness import COMMAND as CLAUDE_COMMAND
from claude_cli_harness import PROMPT as CLAUDE_PROMPT
from claude_cli_harness import claude_agent_env, claude_binary, fake_api
from codex_cli_harness import COMMAND as CODEX_COMMAND
from codex_cli_harness import PROMPT as CODEX_PROMPT
from codex_cli_harness import codex_binary, codex_env, fake_openai, user_config
from gemini_cli_harness import COMMAND as GEMINI_COMMAND
from gemini_cli_harness import PROMPT as GEMINI_PROMPT
from gemini_cli_harness import (
    fake_gemini,
    gemini_argv,
    gemini_binary,
    gemini_env,
    write_user_settings,
)

pytestmark = [pytest.mark.slow, pytest.mark.network]
__all__ = ["fake_api", "fake_gemini", "fake_openai"]  # fixtures, imported for pytest


def _by_action(events: list[dict[str, Any]], harness: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["harness"]["name"] == harness:
            found.setdefault(event["event"]["action"], []).append(event)
    return found


def _assert_run_metadata(job: CIJob, events: list[dict[str, Any]], harness: str) -> None:
    session = job.summary()["session_id"]
    mine = [e for e in events if e["harness"]["name"] == harness]
    assert mine
    for event in mine:
        assert event["origin"] == "ci"
        assert event["run"]["provider"] == "github_actions"
        assert event["run"]["run_id"] == "4242" and event["run"]["pr_number"] == "17"
        assert event["ci"]["session_id"] == session


def test_claude_code_turn_in_one_command(job: CIJob, fake_api: str) -> None:
    """`beacon ci exec -- claude -p …`: no OTEL variables in the job, Beacon sets them; the
    prompt and the Bash command are captured, validation passes, exit code 0."""
    binary = claude_binary()
    project = job.tmp / "project"
    project.mkdir()
    job.env.update(claude_agent_env(job.tmp / "tmp", Path(job.env["HOME"]), fake_api))
    claude = [str(binary), "-p", CLAUDE_PROMPT, "--allowedTools", "Bash"]
    result = job.beacon(
        "ci", "exec", "--harness", "claude", "--min-events", "3", "--", *claude, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "BEACON_MARKER" in result.stdout  # the agent's own output, untouched
    events = job.events()
    by_action = _by_action(events, "claude_code")
    assert by_action["prompt.submitted"][0]["prompt"]["text"] == CLAUDE_PROMPT
    assert by_action["command.executed"][0]["command"]["command"] == CLAUDE_COMMAND
    _assert_run_metadata(job, events, "claude_code")
    summary = job.summary()
    assert summary["validation"]["status"] == "ok"
    assert summary["validation"]["by_harness"]["claude_code"] >= 3
    assert job.outputs()["events"] == str(summary["validation"]["event_count"])


def test_codex_exec_turn_in_one_command(job: CIJob, fake_openai: str) -> None:
    """`beacon ci exec -- codex exec …` with the user's own `~/.codex/config.toml` (model
    provider = the fake API): Codex keeps its provider, telemetry goes to Beacon through a
    temporary CODEX_HOME, and the user's file is untouched."""
    binary = codex_binary()
    home = Path(job.env["HOME"])
    user_home = home / ".codex"
    user_home.mkdir()
    config = user_config(fake_openai)
    (user_home / "config.toml").write_text(config)
    (user_home / "AGENTS.md").write_text("Keep answers short.\n")
    project = job.tmp / "project"
    project.mkdir()
    job.env.update(codex_env(home, job.tmp / "tmp"))
    codex = [
        str(binary),
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        CODEX_PROMPT,
    ]
    result = job.beacon("ci", "exec", "--harness", "codex", "--", *codex, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    events = job.events()
    by_action = _by_action(events, "codex_cli")
    assert by_action["prompt.submitted"][0]["prompt"]["text"] == CODEX_PROMPT
    assert CODEX_COMMAND in by_action["command.executed"][0]["command"]["command"]
    _assert_run_metadata(job, events, "codex_cli")
    assert job.summary()["validation"]["status"] == "ok"
    codex_home = Path(job.outputs()["codex-home"])
    assert codex_home == job.base_dir / "codex-home"
    assert list((codex_home / "sessions").rglob("*.jsonl"))  # Codex wrote its session here
    assert (user_home / "config.toml").read_text() == config
    assert sorted(p.name for p in user_home.iterdir()) == ["AGENTS.md", "config.toml"]


def test_gemini_turn_in_one_command(job: CIJob, fake_gemini: str) -> None:
    """`beacon ci exec -- gemini -p …`: the user's settings.json has no telemetry; Beacon's
    `GEMINI_TELEMETRY_*` variables send OTLP over gRPC to its collector; the file is untouched."""
    binary = gemini_binary()
    home = Path(job.env["HOME"])
    original = write_user_settings(home)
    project = job.tmp / "project"
    project.mkdir()
    job.env.update(gemini_env(home, job.tmp / "tmp", fake_gemini))
    result = job.beacon(
        "ci", "exec", "--harness", "gemini", "--", *gemini_argv(binary), timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "BEACON_MARKER" in result.stdout
    events = job.events()
    by_action = _by_action(events, "gemini_cli")
    assert by_action["prompt.submitted"][0]["prompt"]["text"] == GEMINI_PROMPT
    assert GEMINI_COMMAND in by_action["command.executed"][0]["command"]["command"]
    assert {e["event"]["source"] for e in events if e["harness"]["name"] == "gemini_cli"} <= {
        "otlp.logs",
        "otlp.metrics",
        "otlp.traces",
    }
    _assert_run_metadata(job, events, "gemini_cli")
    assert job.summary()["validation"]["status"] == "ok"
    assert (home / ".gemini" / "settings.json").read_bytes() == original


def test_agent_failure_code_is_propagated(job: CIJob) -> None:
    """A real agent that fails before sending anything (Codex rejects an unknown flag with
    exit 2): Beacon exits 2, the agent's code, not 1 for the missing telemetry."""
    binary = codex_binary()
    home = Path(job.env["HOME"])
    job.env.update(codex_env(home, job.tmp / "tmp"))
    codex = [str(binary), "exec", "--no-such-flag", "hi"]
    result = job.beacon("ci", "exec", "--harness", "codex", "--", *codex, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    summary = job.summary()
    assert summary["child"]["exit_code"] == 2 and summary["validation"]["status"] == "fail"
