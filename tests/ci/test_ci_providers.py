"""Run metadata per CI provider: upstream's `run` fields, 1.1's `ci` fields, on every event."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from ci_harness import github_variables

from beacon.ci.providers import detect_run
from beacon.config import load_config
from beacon.pipeline import build_pipeline
from beacon.schema.event import new_event
from beacon.schema.model import EVENT_FIELDS

SESSION = "01a2b3c4-0000-7000-8000-000000000000"


def _schema_children(name: str) -> set[str]:
    (field,) = [f for f in EVENT_FIELDS if f.name == name]
    return {child.name for child in field.children}


def test_github_pull_request_fills_every_run_and_ci_field() -> None:
    """A pull_request job: upstream's fields with `pr`/`pr_number`, head branch, run URL."""
    meta = detect_run(github_variables(run_id="77", attempt="3"), SESSION)
    assert meta.run == {
        "provider": "github_actions",
        "run_id": "77",
        "run_attempt": "3",
        "workflow": "agent review",
        "job": "review",
        "event_name": "pull_request",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "repository": "octo-org/agent-repo",
        "branch": "feature/agents",
        "pr": "refs/pull/17/merge",
        "pr_number": "17",
        "actor": "octocat",
        "ephemeral": True,
    }
    assert meta.ci["session_id"] == SESSION
    assert meta.ci["url"] == "https://github.com/octo-org/agent-repo/actions/runs/77/attempts/3"
    assert meta.ci["base_branch"] == "main"
    assert meta.ci["workflow_ref"].endswith("review.yml@refs/pull/17/merge")
    assert meta.ci["runner_environment"] == "github-hosted"


@pytest.mark.parametrize(
    ("event", "ref", "expect_pr"),
    [
        ("push", "refs/heads/main", False),
        ("pull_request_target", "refs/pull/5/merge", True),
        ("pull_request", "refs/pull/not-a-number/merge", False),
        ("workflow_dispatch", "refs/pull/5/merge", False),
    ],
)
def test_github_pr_fields_only_for_numbered_pull_request_events(
    event: str, ref: str, expect_pr: bool
) -> None:
    """`pr`/`pr_number` appear only for pull_request(_target) events with a numeric ref."""
    env = {**github_variables(), "GITHUB_EVENT_NAME": event, "GITHUB_REF": ref}
    env.pop("GITHUB_HEAD_REF")
    run = detect_run(env, SESSION).run
    assert ("pr_number" in run) is expect_pr
    assert run["branch"] == "17/merge"  # GITHUB_REF_NAME when there is no head ref


def test_github_self_hosted_runner_is_not_ephemeral() -> None:
    """Only GitHub-hosted runners are known to be fresh machines."""
    env = {**github_variables(), "RUNNER_ENVIRONMENT": "self-hosted"}
    assert detect_run(env, SESSION).run["ephemeral"] is False


def test_gitlab_merge_request_pipeline() -> None:
    """GitLab: pipeline id as run id, merge request iid as PR number, job URL and id."""
    env = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_ID": "5501",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_JOB_NAME": "agent",
        "CI_JOB_ID": "99001",
        "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/99001",
        "CI_COMMIT_SHA": "abc123",
        "CI_COMMIT_REF_NAME": "feature",
        "CI_PROJECT_PATH": "g/p",
        "CI_MERGE_REQUEST_IID": "12",
        "CI_MERGE_REQUEST_REF_PATH": "refs/merge-requests/12/head",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "GITLAB_USER_LOGIN": "dev",
    }
    meta = detect_run(env, SESSION)
    assert meta.run == {
        "provider": "gitlab_ci",
        "run_id": "5501",
        "job": "agent",
        "event_name": "merge_request_event",
        "commit": "abc123",
        "repository": "g/p",
        "branch": "feature",
        "pr": "refs/merge-requests/12/head",
        "pr_number": "12",
        "actor": "dev",
    }
    assert meta.ci["job_id"] == "99001" and meta.ci["base_branch"] == "main"


def test_buildkite_retry_is_the_next_attempt() -> None:
    """Buildkite: build number, retry count + 1 as attempt, PR number unless `false`."""
    env = {
        "BUILDKITE": "true",
        "BUILDKITE_BUILD_NUMBER": "310",
        "BUILDKITE_RETRY_COUNT": "1",
        "BUILDKITE_PIPELINE_SLUG": "agents",
        "BUILDKITE_STEP_KEY": "review",
        "BUILDKITE_PULL_REQUEST": "false",
        "BUILDKITE_BUILD_URL": "https://buildkite.com/o/agents/builds/310",
        "BUILDKITE_JOB_ID": "job-uuid",
    }
    meta = detect_run(env, SESSION)
    assert meta.run["run_attempt"] == "2" and meta.run["run_id"] == "310"
    assert "pr_number" not in meta.run
    assert meta.ci["url"] == "https://buildkite.com/o/agents/builds/310#job-uuid"


def test_circleci_pr_number_from_the_pull_request_url() -> None:
    """CircleCI: the PR number is the last part of `CIRCLE_PULL_REQUEST`."""
    env = {
        "CIRCLECI": "true",
        "CIRCLE_WORKFLOW_ID": "wf-1",
        "CIRCLE_JOB": "agent",
        "CIRCLE_PROJECT_USERNAME": "octo",
        "CIRCLE_PROJECT_REPONAME": "repo",
        "CIRCLE_PULL_REQUEST": "https://github.com/octo/repo/pull/31",
    }
    run = detect_run(env, SESSION).run
    assert run["repository"] == "octo/repo" and run["pr_number"] == "31"


def test_generic_ci_fallback_and_outside_ci() -> None:
    """`CI=true` alone: provider `ci`, ephemeral; outside CI: no `run`, only the session."""
    generic = detect_run({"CI": "true"}, SESSION)
    assert generic.run == {"provider": "ci", "ephemeral": True}
    outside = detect_run({"HOME": "/tmp"}, SESSION)
    assert outside.run == {} and outside.ci == {"session_id": SESSION}
    assert outside.context() == {"ci": {"session_id": SESSION}}


def test_every_provider_field_is_in_the_schema() -> None:
    """No provider writes a `run` or `ci` key the schema does not define."""
    run_keys, ci_keys = _schema_children("run"), _schema_children("ci")
    envs: list[dict[str, str]] = [github_variables(), {"CI": "1"}]
    for env in envs:
        meta = detect_run(env, SESSION)
        assert set(meta.run) <= run_keys
        assert set(meta.ci) <= ci_keys
        assert all(isinstance(v, str) for k, v in meta.run.items() if k != "ephemeral")


def test_events_carry_the_run_context_and_validate() -> None:
    """The pipeline stamps `run`, `ci` and `origin: ci`; the event passes the JSON Schema."""
    meta = detect_run(github_variables(), SESSION)
    config = load_config(env={"BEACON_ORIGIN": "ci"})
    pipeline = build_pipeline(config, context=meta.context())
    first = pipeline.process(new_event("prompt.submitted", harness="claude_code"))
    second = pipeline.process(new_event("command.executed", harness="codex_cli"))
    assert first is not None and second is not None
    assert first["origin"] == "ci" and first["run"] == meta.run and first["ci"] == meta.ci
    assert first["run"] is not second["run"]  # each event owns its copy
    text = resources.files("beacon.schema").joinpath("event.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator(schema).validate(first)
