"""Buildkite: `BUILDKITE_*` agent environment variables."""

from __future__ import annotations

from beacon.ci.providers.base import Env, Fields, compact, digits, first, is_true

NAME = "buildkite"


def detect(env: Env) -> bool:
    """Running inside a Buildkite job."""
    return is_true(env.get("BUILDKITE", ""))


def metadata(env: Env) -> tuple[Fields, Fields]:
    """(`run`, `ci`): the build is the run; a retried job is the next attempt."""
    retries = first(env, "BUILDKITE_RETRY_COUNT")
    attempt = str(int(retries) + 1) if retries.isdigit() else ""
    pr_number = digits(first(env, "BUILDKITE_PULL_REQUEST"))  # "false" when not a PR
    build_url, job_id = first(env, "BUILDKITE_BUILD_URL"), first(env, "BUILDKITE_JOB_ID")
    run = compact(
        {
            "provider": NAME,
            "run_id": first(env, "BUILDKITE_BUILD_NUMBER", "BUILDKITE_BUILD_ID"),
            "run_attempt": attempt,
            "workflow": first(env, "BUILDKITE_PIPELINE_SLUG"),
            "job": first(env, "BUILDKITE_STEP_KEY", "BUILDKITE_LABEL"),
            "event_name": first(env, "BUILDKITE_SOURCE"),
            "commit": first(env, "BUILDKITE_COMMIT"),
            "repository": first(env, "BUILDKITE_REPO"),
            "branch": first(env, "BUILDKITE_BRANCH"),
            "pr_number": pr_number,
            "actor": first(env, "BUILDKITE_BUILD_CREATOR", "BUILDKITE_BUILD_AUTHOR"),
        }
    )
    ci = compact(
        {
            "url": f"{build_url}#{job_id}" if build_url and job_id else build_url,
            "job_id": job_id,
            "ref": first(env, "BUILDKITE_TAG"),
            "base_branch": first(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH") if pr_number else "",
            "runner_name": first(env, "BUILDKITE_AGENT_NAME"),
        }
    )
    return run, ci
