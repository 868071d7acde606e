"""GitHub Actions: `GITHUB_*` and `RUNNER_*` variables (upstream.md §7 for `run`)."""

from __future__ import annotations

from beacon.ci.providers.base import Env, Fields, compact, digits, first, is_true

NAME = "github_actions"
PR_EVENTS = ("pull_request", "pull_request_target")


def detect(env: Env) -> bool:
    """Running inside a GitHub Actions job."""
    return is_true(env.get("GITHUB_ACTIONS", ""))


def metadata(env: Env) -> tuple[Fields, Fields]:
    """(`run`, `ci`) for this job. `pr`/`pr_number` only on pull-request events."""
    event = first(env, "GITHUB_EVENT_NAME")
    ref = first(env, "GITHUB_REF")
    pr = pr_number = ""
    if event in PR_EVENTS and ref.startswith("refs/pull/"):
        number = digits(ref.split("/")[2])
        if number:
            pr, pr_number = ref, number
    run_id, attempt = first(env, "GITHUB_RUN_ID"), first(env, "GITHUB_RUN_ATTEMPT")
    repository = first(env, "GITHUB_REPOSITORY")
    server = first(env, "GITHUB_SERVER_URL") or "https://github.com"
    url = ""
    if repository and run_id:
        url = f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"
        if attempt:
            url += f"/attempts/{attempt}"
    runner_environment = first(env, "RUNNER_ENVIRONMENT")
    run = compact(
        {
            "provider": NAME,
            "run_id": run_id,
            "run_attempt": attempt,
            "workflow": first(env, "GITHUB_WORKFLOW"),
            "job": first(env, "GITHUB_JOB"),
            "event_name": event,
            "commit": first(env, "GITHUB_SHA"),
            "repository": repository,
            "branch": first(env, "GITHUB_HEAD_REF", "GITHUB_REF_NAME"),
            "pr": pr,
            "pr_number": pr_number,
            "actor": first(env, "GITHUB_ACTOR"),
            # GitHub-hosted runners are fresh VMs; a self-hosted one may be reused.
            "ephemeral": runner_environment != "self-hosted",
        }
    )
    ci = compact(
        {
            "url": url,
            "ref": ref,
            "base_branch": first(env, "GITHUB_BASE_REF"),
            "workflow_ref": first(env, "GITHUB_WORKFLOW_REF"),
            "triggering_actor": first(env, "GITHUB_TRIGGERING_ACTOR"),
            "repository_id": first(env, "GITHUB_REPOSITORY_ID"),
            "actor_id": first(env, "GITHUB_ACTOR_ID"),
            "runner_name": first(env, "RUNNER_NAME"),
            "runner_os": first(env, "RUNNER_OS"),
            "runner_arch": first(env, "RUNNER_ARCH"),
            "runner_environment": runner_environment,
        }
    )
    return run, ci
