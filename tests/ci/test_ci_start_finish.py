"""`beacon ci start` / `finish` around agents launched by other steps."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ci_harness import CIJob, agent_command

from beacon.ci.start import process_alive

pytestmark = pytest.mark.network


def _later_step(job: CIJob, *args: str) -> subprocess.CompletedProcess[str]:
    """A later step of the job: its environment includes what `$GITHUB_ENV` collected."""
    env = {**job.env, **job.github_env()}
    return subprocess.run(agent_command(*args), env=env, capture_output=True, text=True, timeout=60)


def test_start_then_third_party_agent_then_finish(job: CIJob) -> None:
    """`start` hands the agent environment to later steps through `$GITHUB_ENV`; an agent in
    a later step is captured; `finish` stops the collector, validates and reports."""
    started = job.beacon("ci", "start")
    assert started.returncode == 0, started.stderr
    handed = job.github_env()
    assert handed["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://127.0.0.1:")
    assert handed["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert handed["CODEX_HOME"] == str(job.base_dir / "codex-home")
    assert handed["BEACON_CI_STATE_PATH"] == str(job.base_dir / "state.json")
    state_path = job.base_dir / "state.json"
    assert stat.S_IMODE(state_path.stat().st_mode) == 0o600
    state = json.loads(state_path.read_text())
    pid = state["collector"]["pid"]
    assert process_alive(pid)
    assert job.outputs()["state-path"] == str(state_path)

    assert _later_step(job, "--prompts", "3").returncode == 0

    finished = job.beacon("ci", "finish", "--min-events", "3")
    assert finished.returncode == 0, finished.stderr
    deadline = time.monotonic() + 10
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(pid)
    summary = job.summary()
    assert summary["mode"] == "start-finish" and summary["validation"]["event_count"] == 4
    assert summary["collector"]["status"] == "stopped"
    assert job.outputs()["events"] == "4"
    prompts = [e for e in job.events() if e["event"]["action"] == "prompt.submitted"]
    assert len(prompts) == 3 and all(e["run"]["run_id"] == "4242" for e in prompts)
    assert all(e["ci"]["session_id"] == state["session_id"] for e in prompts)


def test_exports_for_other_ci_systems(tmp_path: Path, plain_env: dict[str, str]) -> None:
    """Outside GitHub, `eval "$(beacon ci start)"` configures the shell for the agent."""
    job = CIJob(tmp_path, {**plain_env, "CI": "true", "BEACON_CI_BASE_DIR": str(tmp_path / "b")})
    beacon = f"{sys.executable} -m beacon.cli"
    agent = " ".join(agent_command("--prompts", "1"))
    script = f'eval "$({beacon} ci start --harness claude)" && {agent} && {beacon} ci finish'
    result = subprocess.run(
        ["bash", "-c", script],
        env=job.env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["validation"]["event_count"] == 1  # claude_code only: the span is generic
    assert summary["run"] == {"provider": "ci", "ephemeral": True}


def test_start_refuses_a_second_collector_and_finish_needs_a_start(job: CIJob) -> None:
    """Two `start`s in one directory: the second fails while the first runs. `finish`
    without `start` fails naming the missing state."""
    lonely = job.beacon("ci", "finish")
    assert lonely.returncode == 1 and "beacon ci start" in lonely.stderr
    assert job.beacon("ci", "start").returncode == 0
    again = job.beacon("ci", "start")
    assert again.returncode == 1 and "already running" in again.stderr
    assert job.beacon("ci", "finish", "--require-telemetry", "false").returncode == 0


def test_finish_without_telemetry_fails_unless_not_required(job: CIJob) -> None:
    """No agent ever sent anything: 1, or 0 with `--require-telemetry false`; a repeated
    finish reports again."""
    assert job.beacon("ci", "start", "--harness", "codex").returncode == 0
    failed = job.beacon("ci", "finish")
    assert failed.returncode == 1 and "event_count" in failed.stderr
    assert "event(s) of codex" in failed.stderr  # start's choice of harness still counts
    assert job.beacon("ci", "finish", "--require-telemetry", "false").returncode == 0


def test_finish_after_the_collector_died(job: CIJob) -> None:
    """A collector killed mid-job: `finish` says so and still validates what was written."""
    assert job.beacon("ci", "start").returncode == 0
    assert _later_step(job, "--prompts", "2").returncode == 0
    pid = json.loads((job.base_dir / "state.json").read_text())["collector"]["pid"]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    finished = job.beacon("ci", "finish", "--min-events", "2")
    assert finished.returncode == 0, finished.stderr
    assert "had already exited" in finished.stderr
    assert job.summary()["validation"]["event_count"] >= 2
