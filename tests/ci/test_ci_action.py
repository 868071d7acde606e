"""The GitHub Action: `action.yml` and the example workflows validate against GitHub's
schemas (check-jsonschema's built-in copies, offline), and the action's steps, run
locally, capture an agent in exec mode and in start/finish mode."""

from __future__ import annotations

import glob
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from action_runner import run_action
from ci_harness import SDK_AGENT, CIJob, agent_command, parse_command_file

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
EXAMPLES = sorted((REPO / "examples" / "github-actions").glob("*.yml"))
CHECK = Path(sys.executable).parent / "check-jsonschema"


def _check(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_action_validates_against_the_github_actions_schema() -> None:
    """`action.yml` is a valid action metadata file."""
    result = _check("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_examples_validate_against_the_github_workflows_schema(tmp_path: Path) -> None:
    """Every example workflow is a valid workflow file; the checker does reject bad ones."""
    assert len(EXAMPLES) >= 3
    result = _check("vendor.github-workflows", *EXAMPLES)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "broken-workflow.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: nope\n")
    assert _check("vendor.github-workflows", bad).returncode != 0


def test_action_inputs_and_step_references_are_consistent() -> None:
    """Every `inputs.X` used is declared and every declared input used; every
    `steps.ID.outputs` names a step; the examples use only declared inputs."""
    spec = yaml.safe_load(ACTION.read_text())
    text = ACTION.read_text()
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used == set(spec["inputs"])
    ids = {step.get("id") for step in spec["runs"]["steps"]}
    assert set(re.findall(r"steps\.([\w-]+)\.outputs", text)) <= ids
    assert {"log-path", "events", "codex-home"} <= set(spec["outputs"])
    for example in EXAMPLES:
        workflow = yaml.safe_load(example.read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).endswith("/agent-beacon@main"):
                    assert set(step.get("with", {})) <= set(spec["inputs"]), example.name


def test_action_inputs_reach_bash_only_through_the_environment() -> None:
    """No `${{ }}` inside a `run:` script: inputs cannot inject shell code."""
    spec = yaml.safe_load(ACTION.read_text())
    for step in spec["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


@pytest.fixture
def action_job(job: CIJob) -> CIJob:
    """A job where the action's install step finds Beacon installed (this test venv)."""
    (Path(job.env["RUNNER_TEMP"]) / "beacon-venv").symlink_to(Path(sys.prefix))
    Path(job.env["GITHUB_ENV"]).write_text("")
    return job


@pytest.mark.network
def test_action_exec_mode_runs_the_command_and_sets_outputs(action_job: CIJob) -> None:
    """mode exec: the command runs under Beacon exactly as written (bash, not the action,
    expands it); outputs and the artifact paths point at the session's files."""
    agent = f"{sys.executable} {SDK_AGENT} --prompts 2"
    command = f"{agent} && echo \"home=$HOME\" 'literal=$HOME' > marker.txt"
    run = run_action(
        ACTION, {"command": command, "harnesses": "claude"}, action_job.env, action_job.tmp
    )
    assert run.exit_code == 0, run.stderr
    assert run.ran == ["python", "install", "exec"]
    home = action_job.env["HOME"]  # the command reaches bash verbatim: bash expands it
    assert (action_job.tmp / "marker.txt").read_text() == f"home={home} literal=$HOME\n"
    assert run.outputs["events"] == "2" and run.outputs["status"] == "ok"
    assert run.outputs["log-path"] == str(action_job.log_path)
    assert run.outputs["codex-home"] == ""  # claude only: no Codex home
    ((_, with_),) = [u for u in run.used if "upload-artifact" in u[0]]
    assert with_["name"] == "beacon-runtime-log"
    (action_job.base_dir / "runtime.jsonl.1").write_text("")  # a rotated archive goes along
    files = {p.rstrip("/") for line in with_["path"].split() for p in glob.glob(line)}
    assert files == {
        str(action_job.log_path),
        str(action_job.base_dir / "runtime.jsonl.1"),
        str(action_job.base_dir / "summary.json"),
        str(action_job.base_dir / "spool"),
    }


@pytest.mark.network
def test_action_exec_mode_fails_with_the_commands_code_but_keeps_the_artifact(
    action_job: CIJob,
) -> None:
    """A failing command fails the step with its code; the artifact step still runs."""
    command = " ".join(agent_command("--prompts", "1", "--exit", "7"))
    run = run_action(ACTION, {"command": command}, action_job.env, action_job.tmp)
    assert run.exit_code == 7
    assert any("upload-artifact" in uses for uses, _ in run.used)


@pytest.mark.network
def test_action_start_then_agent_then_finish(action_job: CIJob) -> None:
    """mode start hands the environment to later steps; finish validates their agent."""
    start = run_action(ACTION, {"mode": "start"}, action_job.env, action_job.tmp)
    assert start.exit_code == 0, start.stderr
    assert start.outputs["state-path"] == str(action_job.base_dir / "state.json")
    assert not [u for u, _ in start.used if "upload-artifact" in u]
    later = {**action_job.env, **parse_command_file(Path(action_job.env["GITHUB_ENV"]))}
    agent = subprocess.run(agent_command("--prompts", "3"), env=later, timeout=60)
    assert agent.returncode == 0
    finish = run_action(
        ACTION, {"mode": "finish", "min-events": "3"}, action_job.env, action_job.tmp
    )
    assert finish.exit_code == 0, finish.stderr
    assert finish.outputs["events"] == "4"
    ((_, with_),) = [u for u in finish.used if "upload-artifact" in u[0]]
    assert str(action_job.base_dir) in with_["path"]  # from BEACON_CI_BASE_DIR in $GITHUB_ENV


def test_action_rejects_an_unknown_mode_and_a_missing_command(action_job: CIJob) -> None:
    """A typo in `mode` or exec without `command` fails early with exit 2."""
    bad_mode = run_action(ACTION, {"mode": "exce"}, action_job.env, action_job.tmp)
    assert bad_mode.exit_code == 2 and "::error::mode must be" in bad_mode.stdout
    no_command = run_action(ACTION, {}, action_job.env, action_job.tmp)
    assert no_command.exit_code == 2 and "needs the command" in no_command.stdout
