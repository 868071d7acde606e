"""Uploads of a CI session's log to S3 (moto server) and GCS (the emulator)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Any

import pytest
from ci_harness import CIJob, agent_command

from beacon.ci.exec import exec_command
from beacon.ci.outcome import Options
from beacon.ci.providers import detect_run
from beacon.ci.upload import session_lines, upload_session

pytestmark = pytest.mark.network
KEY = re.compile(
    r"^ci-audit/runtime/date=\d{4}-\d{2}-\d{2}/"
    r"ci-github_actions-octo-org_agent-repo-4242-(?P<attempt>\d)-review-(?P<session>[0-9a-f-]{36})"
    r"\.jsonl\.gz$"
)


def _run(job: CIJob, *uploads: str, **options: Any) -> Any:
    """`beacon ci exec --upload …` in this process (the SDKs read credentials from os.environ)."""
    ending = exec_command(
        agent_command("--prompts", "2"),
        Options(harnesses=("otel",), uploads=uploads, **options),
        job.env,
        io.StringIO(),
    )
    return ending


def _s3_objects(client: Any, bucket: str) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        obj["Key"]: gzip.decompress(client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        for obj in listing
    }


def test_upload_to_s3_one_object_per_attempt(
    job: CIJob, s3_bucket: tuple[Any, str], moto_endpoint: str, aws_env: dict[str, str]
) -> None:
    """The session's lines, gzip NDJSON, at the shipper's layout under a key naming the run
    and attempt; a re-run attempt adds an object instead of overwriting."""
    client, bucket = s3_bucket
    job.env.update(aws_env, BEACON_CI_S3_BUCKET=bucket, BEACON_CI_S3_PREFIX="/ci-audit/")
    job.env["AWS_ENDPOINT_URL"] = moto_endpoint
    first = _run(job, "s3")
    assert first.exit_code == 0
    (upload,) = first.summary["uploads"]
    assert upload["status"] == "ok", upload
    objects = _s3_objects(client, bucket)
    (key,) = objects
    match = KEY.match(key)
    assert match and match["attempt"] == "1" and match["session"] == first.summary["session_id"]
    assert upload["destination"] == f"s3://{bucket}/{key}"
    log_lines = [
        line
        for line in job.log_path.read_bytes().splitlines()
        if first.summary["session_id"].encode() in line
    ]
    assert objects[key].splitlines() == log_lines
    assert b"ci.run_completed" in objects[key]  # the marker goes up with the events

    job.env["GITHUB_RUN_ATTEMPT"] = "2"
    second = _run(job, "s3")
    assert second.summary["uploads"][0]["status"] == "ok"
    attempts = sorted(KEY.match(k)["attempt"] for k in _s3_objects(client, bucket))  # type: ignore[index]
    assert attempts == ["1", "2"]


def test_retrying_a_session_upload_writes_the_same_key(
    job: CIJob, s3_bucket: tuple[Any, str], moto_endpoint: str, aws_env: dict[str, str]
) -> None:
    """The key depends only on the run and session: uploading again replaces, not adds."""
    client, bucket = s3_bucket
    job.env.update(aws_env, BEACON_CI_S3_BUCKET=bucket, AWS_ENDPOINT_URL=moto_endpoint)
    ending = _run(job, "s3")
    summary = ending.summary
    run = detect_run(job.env, summary["session_id"])
    again = upload_session(
        ["s3"], job.log_path, run, summary["session_id"], summary["started_at"], job.env
    )
    assert again[0].key == summary["uploads"][0]["key"].removeprefix("beacon/")
    assert len(_s3_objects(client, bucket)) == 1


def test_upload_to_gcs_emulator(job: CIJob, gcs_bucket: tuple[Any, str]) -> None:
    """Same layout in GCS; objects are stored gzip without transcoding."""
    client, bucket = gcs_bucket
    job.env.update(BEACON_CI_GCS_BUCKET=bucket, BEACON_CI_GCS_PREFIX="ci-audit")
    ending = _run(job, "gcs")
    (upload,) = ending.summary["uploads"]
    assert upload["status"] == "ok", upload
    (blob,) = list(client.list_blobs(bucket))
    assert KEY.match(blob.name)
    lines = gzip.decompress(blob.download_as_bytes(raw_download=True)).splitlines()
    data, count, _ = session_lines(job.log_path, ending.summary["session_id"])
    assert lines == data.splitlines() and count == len(lines) == upload["lines"]


def test_upload_failure_is_reported_and_fails_only_when_required(
    job: CIJob, moto_endpoint: str, aws_env: dict[str, str]
) -> None:
    """A bucket that does not exist: `failed` in the summary, exit 0 unless required."""
    job.env.update(aws_env, BEACON_CI_S3_BUCKET="no-such-bucket", AWS_ENDPOINT_URL=moto_endpoint)
    relaxed = _run(job, "s3")
    assert relaxed.exit_code == 0
    (upload,) = relaxed.summary["uploads"]
    assert upload["status"] == "failed" and "NoSuchBucket" in upload["error"]
    strict = _run(job, "s3", require_upload=True)
    assert strict.exit_code == 1


def test_only_the_sessions_own_lines_go_up(tmp_path: Path) -> None:
    """Lines of another session sharing the log, and torn lines, are not uploaded."""
    log = tmp_path / "runtime.jsonl"
    log.write_bytes(
        b'{"timestamp":"2026-05-01T00:00:00.000Z","ci":{"session_id":"a"},"n":1}\n'
        b'{"timestamp":"2026-05-02T00:00:00.000Z","ci":{"session_id":"b"},"n":2}\n'
        b'{"ci":{"session_id":"a"},"n":3, "torn\n'
        b'{"timestamp":"2026-05-03T00:00:00.000Z","ci":{"session_id":"a"},"n":4}\n'
    )
    data, count, first = session_lines(log, "a")
    assert count == 2 and first == "2026-05-01T00:00:00.000Z"
    assert [line[-6:] for line in data.splitlines()] == [b'"n":1}', b'"n":4}']


def test_uploaded_objects_read_as_fleet_tables(
    job: CIJob,
    tmp_path: Path,
    s3_bucket: tuple[Any, str],
    moto_endpoint: str,
    aws_env: dict[str, str],
) -> None:
    """The S3 object, copied to a local root as is, reads through the DuckDB fleet pack
    (`vector-configs/sql/duckdb/tables.sql`) with its `run` and `ci` columns."""
    import duckdb

    from beacon.forwarding.renderers.sql import statements, substitute

    client, bucket = s3_bucket
    job.env.update(aws_env, BEACON_CI_S3_BUCKET=bucket, BEACON_CI_S3_PREFIX="fleet")
    job.env["AWS_ENDPOINT_URL"] = moto_endpoint
    ending = _run(job, "s3")
    (key,) = [obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]]
    local = tmp_path / "mirror" / key
    local.parent.mkdir(parents=True)
    local.write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    tables = (
        Path(__file__).resolve().parents[2] / "vector-configs/sql/duckdb/tables.sql"
    ).read_text()
    con = duckdb.connect()
    root = {"BEACON_DATA_ROOT": str(tmp_path / "mirror" / "fleet")}
    runtime = [s for s in statements(substitute(tables, root)) if "beacon_runtime AS" in s]
    con.execute(runtime[0])  # CI uploads only the runtime stream
    rows = con.execute(
        "SELECT ci.session_id, run.run_id, run.run_attempt, run.pr_number, origin, count(*)"
        " FROM beacon_runtime WHERE harness.name = 'claude_code' GROUP BY ALL"
    ).fetchall()
    assert rows == [(ending.summary["session_id"], "4242", "1", "17", "ci", 2)]
