"""CircleCI: `CIRCLE_*` built-in environment variables."""

from __future__ import annotations

from beacon.ci.providers.base import Env, Fields, compact, digits, first, is_true

NAME = "circleci"


def detect(env: Env) -> bool:
    """Running inside a CircleCI job."""
    return is_true(env.get("CIRCLECI", ""))


def metadata(env: Env) -> tuple[Fields, Fields]:
    """(`run`, `ci`): the workflow is the run; `pr` is the pull request's URL."""
    pr_url = first(env, "CIRCLE_PULL_REQUEST")
    pr_number = digits(first(env, "CIRCLE_PR_NUMBER")) or digits(pr_url.rstrip("/").split("/")[-1])
    owner, name = first(env, "CIRCLE_PROJECT_USERNAME"), first(env, "CIRCLE_PROJECT_REPONAME")
    repository = f"{owner}/{name}" if owner and name else first(env, "CIRCLE_REPOSITORY_URL")
    run = compact(
        {
            "provider": NAME,
            "run_id": first(env, "CIRCLE_WORKFLOW_ID"),
            "job": first(env, "CIRCLE_JOB"),
            "commit": first(env, "CIRCLE_SHA1"),
            "repository": repository,
            "branch": first(env, "CIRCLE_BRANCH"),
            "pr": pr_url,
            "pr_number": pr_number,
            "actor": first(env, "CIRCLE_USERNAME"),
        }
    )
    ci = compact(
        {
            "url": first(env, "CIRCLE_BUILD_URL"),
            "job_id": first(env, "CIRCLE_WORKFLOW_JOB_ID", "CIRCLE_BUILD_NUM"),
            "ref": first(env, "CIRCLE_TAG"),
        }
    )
    return run, ci
