"""`beacon ci exec -- CMD` around a real OpenTelemetry SDK program: capture, exit codes,
signals, artifacts and GitHub outputs, in a simulated GitHub Actions job."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ci_harness import CIJob, agent_command, read_events

pytestmark = pytest.mark.network


def test_exec_captures_events_with_run_metadata(job: CIJob) -> None:
    """The agent's events land in `$RUNNER_TEMP/beacon/runtime.jsonl` with `run`, `ci` and
    `origin: ci`, secrets redacted; outputs, job summary and summary.json agree."""
    result = job.beacon("ci", "exec", "--", *agent_command("--prompts", "2"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # Beacon never writes to the agent's stdout
    events = job.events()
    prompts = [e for e in events if e["event"]["action"] == "prompt.submitted"]
    assert len(prompts) == 2
    summary = job.summary()
    session = summary["session_id"]
    for event in events:
        assert event["origin"] == "ci"
        assert event["run"]["run_id"] == "4242" and event["run"]["pr_number"] == "17"
        assert event["ci"]["session_id"] == session
    assert "sk-ant-api03" not in job.log_path.read_text()
    assert prompts[0]["prompt"]["text"].startswith("CI prompt with a key [REDACTED]")
    actions = [e["event"]["action"] for e in events]
    assert actions[0] == "ci.run_started" and actions[-1] == "ci.run_completed"
    assert events[-1]["command"]["exit_code"] == 0
    assert summary["validation"]["status"] == "ok"
    assert summary["validation"]["event_count"] == 3  # two prompts and the span
    assert summary["child"]["exit_code"] == 0 and summary["exit_code"] == 0
    outputs = job.outputs()
    assert outputs["events"] == "3" and outputs["log-path"] == str(job.log_path)
    assert outputs["codex-home"] == str(job.base_dir / "codex-home")
    assert "| validation | `ok` |" in Path(job.env["GITHUB_STEP_SUMMARY"]).read_text()
    for path in (job.log_path, job.base_dir / "summary.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(job.base_dir.stat().st_mode) == 0o700
    assert (job.base_dir / "spool").is_dir()


@pytest.mark.parametrize(
    ("agent_args", "flags", "expected"),
    [
        (("--prompts", "1", "--exit", "3"), (), 3),  # the agent failed: its code
        (("--prompts", "0"), (), 1),  # it succeeded without telemetry: 1
        (("--prompts", "0"), ("--require-telemetry", "false"), 0),  # not required: its code
        (("--prompts", "0", "--exit", "5"), (), 5),  # both failed: the agent's code wins
        (("--prompts", "1"), ("--min-events", "5"), 1),  # too few events
    ],
)
def test_exit_codes(
    job: CIJob, agent_args: tuple[str, ...], flags: tuple[str, ...], expected: int
) -> None:
    """The agent's exit code is authoritative; validation decides only when it succeeded."""
    result = job.beacon("ci", "exec", *flags, "--", *agent_command(*agent_args))
    assert result.returncode == expected, result.stderr
    assert job.summary()["exit_code"] == expected


def test_command_not_found_exits_127(job: CIJob) -> None:
    """A missing program is reported like a shell does."""
    result = job.beacon("ci", "exec", "--require-telemetry", "false", "--", "no-such-agent-cli")
    assert result.returncode == 127
    assert "command not found: no-such-agent-cli" in result.stderr


def test_usage_errors(job: CIJob) -> None:
    """No command, or a log path that is not runtime.jsonl, are usage errors (exit 2)."""
    assert job.beacon("ci", "exec").returncode == 2
    wrong = job.beacon("ci", "exec", "--log-path", str(job.tmp / "x.jsonl"), "--", "true")
    assert wrong.returncode == 2 and "runtime.jsonl" in wrong.stderr


def test_log_path_places_every_artifact(job: CIJob) -> None:
    """`--log-path DIR/runtime.jsonl` puts the log, spool and summary in DIR."""
    log = job.tmp / "artifacts" / "runtime.jsonl"
    result = job.beacon("ci", "exec", "--log-path", str(log), "--", *agent_command())
    assert result.returncode == 0, result.stderr
    assert log.exists() and (log.parent / "summary.json").exists()
    assert not job.log_path.exists()


def test_sessions_sharing_a_directory_validate_only_their_own_events(job: CIJob) -> None:
    """A second `exec` in the same job appends to the same log, but an agent that sent
    nothing fails even though the first session's events are there."""
    assert job.beacon("ci", "exec", "--", *agent_command("--prompts", "2")).returncode == 0
    second = job.beacon("ci", "exec", "--", *agent_command("--prompts", "0"))
    assert second.returncode == 1
    assert job.summary()["validation"]["event_count"] == 0
    sessions = {e["ci"]["session_id"] for e in job.events()}
    assert len(sessions) == 2


def test_the_agent_does_not_see_upload_credentials(job: CIJob) -> None:
    """With `--upload`, cloud credentials stay with Beacon; the OTLP settings reach the agent.
    An upload that cannot happen is reported without failing the step, unless required."""
    job.env.update(AWS_ACCESS_KEY_ID="AKIA-test", AWS_SECRET_ACCESS_KEY="secret-test")
    probe = (
        "import os; print(os.environ.get('AWS_SECRET_ACCESS_KEY'), "
        "os.environ['OTEL_EXPORTER_OTLP_ENDPOINT'], os.environ['BEACON_CI_SESSION_ID'])"
    )
    flags = ("--require-telemetry", "false", "--upload", "s3")
    result = job.beacon("ci", "exec", *flags, "--", sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    secret, endpoint, session = result.stdout.split()
    assert secret == "None" and endpoint.startswith("http://127.0.0.1:")
    assert session == job.summary()["session_id"]
    (upload,) = job.summary()["uploads"]
    assert upload["status"] == "failed" and "BEACON_CI_S3_BUCKET" in upload["error"]
    required = job.beacon(
        "ci", "exec", *flags, "--require-upload", "true", "--", sys.executable, "-c", "pass"
    )
    assert required.returncode == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_are_forwarded_to_the_agent(job: CIJob, sig: signal.Signals) -> None:
    """SIGTERM/SIGINT to Beacon reach the agent; Beacon still stops the collector cleanly,
    keeps what the agent sent and exits with the agent's code."""
    marker = job.tmp / "signal-marker"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "ci",
            "exec",
            "--",
            *agent_command("--prompts", "1", "--wait-signal", str(marker)),
        ],
        env=job.env,
        cwd=job.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{marker}.ready").exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        assert Path(f"{marker}.ready").exists()
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert marker.read_text() == sig.name
    assert process.returncode == 128 + sig, stderr
    assert job.summary()["validation"]["event_count"] >= 1
    assert job.summary()["child"]["exit_code"] == 128 + sig


def test_outside_ci_events_carry_only_the_session(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    """Run locally (no CI variables): artifacts under the system temp dir, no `run`."""
    job = CIJob(tmp_path, plain_env)
    result = job.beacon("ci", "exec", "--harness", "claude", "--", *agent_command())
    assert result.returncode == 0, result.stderr
    log = Path(plain_env["TMPDIR"]) / "beacon" / "runtime.jsonl"
    events = [e for e in read_events(log) if e["harness"]["name"] == "claude_code"]
    assert events and all("run" not in e and e["origin"] == "ci" for e in events)
