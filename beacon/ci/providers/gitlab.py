"""GitLab CI/CD: `CI_*` and `GITLAB_*` predefined variables."""

from __future__ import annotations

from beacon.ci.providers.base import Env, Fields, compact, digits, first, is_true

NAME = "gitlab_ci"


def detect(env: Env) -> bool:
    """Running inside a GitLab CI job."""
    return is_true(env.get("GITLAB_CI", ""))


def metadata(env: Env) -> tuple[Fields, Fields]:
    """(`run`, `ci`): the pipeline is the run; merge requests fill `pr`/`pr_number`."""
    mr_number = digits(first(env, "CI_MERGE_REQUEST_IID"))
    run = compact(
        {
            "provider": NAME,
            "run_id": first(env, "CI_PIPELINE_ID"),
            "workflow": first(env, "CI_PIPELINE_NAME", "CI_CONFIG_PATH"),
            "job": first(env, "CI_JOB_NAME"),
            "event_name": first(env, "CI_PIPELINE_SOURCE"),
            "commit": first(env, "CI_COMMIT_SHA"),
            "repository": first(env, "CI_PROJECT_PATH"),
            "branch": first(
                env,
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
                "CI_COMMIT_BRANCH",
                "CI_COMMIT_REF_NAME",
            ),
            "pr": first(env, "CI_MERGE_REQUEST_REF_PATH") if mr_number else "",
            "pr_number": mr_number,
            "actor": first(env, "GITLAB_USER_LOGIN"),
        }
    )
    ci = compact(
        {
            "url": first(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
            "job_id": first(env, "CI_JOB_ID"),
            "ref": first(env, "CI_COMMIT_REF_NAME"),
            "base_branch": first(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            "repository_id": first(env, "CI_PROJECT_ID"),
            "actor_id": first(env, "GITLAB_USER_ID"),
            "runner_name": first(env, "CI_RUNNER_DESCRIPTION"),
            "runner_arch": first(env, "CI_RUNNER_EXECUTABLE_ARCH"),
        }
    )
    return run, ci
