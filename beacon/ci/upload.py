"""Hand a CI session's log to object storage with the shipper's sinks and object layout.

One gzip NDJSON object per session and destination, at the shipper's layout
`<prefix>/runtime/date=YYYY-MM-DD/<name>.jsonl.gz`, so the fleet tables read CI logs
beside endpoint logs. The name is derived from the provider, repository, run id, run
attempt, job and the session id: a re-run attempt never overwrites an earlier one, and
retrying the same session writes the same object. Only lines of this session go up
(`ci.session_id`), even when several sessions share the log. Credentials come from the SDK
chains (in GitHub Actions, OIDC-federated ones); a failure is reported, not raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from beacon.ci.providers import RunMetadata
from beacon.ci.validate import log_files, read_lines
from beacon.errors import BeaconError, UsageError

TARGETS = ("s3", "gcs")
BUCKET_ENV = {"s3": "BEACON_CI_S3_BUCKET", "gcs": "BEACON_CI_GCS_BUCKET"}
PREFIX_ENV = {"s3": "BEACON_CI_S3_PREFIX", "gcs": "BEACON_CI_GCS_PREFIX"}
DEFAULT_PREFIX = "beacon"
DEADLINE_SECONDS = 120.0
"""Retries of one upload stop after this long; the job should not hang on an outage."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Upload:
    """The outcome of one destination: `ok`, `failed` or `skipped`."""

    target: str
    status: str
    destination: str = ""
    key: str = ""
    lines: int = 0
    bytes: int = 0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def parse_targets(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """Destinations from `--upload s3,gcs` (repeatable); unknown names are a usage error."""
    if not values:
        return ()
    if isinstance(values, str):
        values = [values]
    targets: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name or name in ("none", "false"):
                continue
            if name not in TARGETS:
                raise UsageError(f"--upload: unknown destination {part.strip()!r} (use s3, gcs)")
            if name not in targets:
                targets.append(name)
    return tuple(targets)


def session_lines(log_path: Path, session_id: str) -> tuple[bytes, int, str]:
    """(NDJSON of the session's lines in log order, line count, first event timestamp)."""
    chosen: list[bytes] = []
    first = ""
    for _, line in read_lines(log_files(log_path)):
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        ci = event.get("ci") if isinstance(event, dict) else None
        if isinstance(ci, dict) and ci.get("session_id") == session_id:
            chosen.append(line)
            if not first and isinstance(event.get("timestamp"), str):
                first = event["timestamp"]
    data = b"".join(line + b"\n" for line in chosen)
    return data, len(chosen), first


def object_name(run: RunMetadata, session_id: str) -> str:
    """`ci-<provider>-<repository>-<run id>-<attempt>-<job>-<session>` (known parts only)."""
    fields = run.run
    parts = [
        fields.get("provider"),
        fields.get("repository"),
        fields.get("run_id"),
        fields.get("run_attempt"),
        fields.get("job"),
        session_id,
    ]
    safe = [_UNSAFE.sub("_", str(part)).strip("_") for part in parts if part]
    return "-".join(["ci", *[part for part in safe if part]])


def object_key(run: RunMetadata, session_id: str, first_timestamp: str, fallback: str) -> str:
    """The key below the prefix: `runtime/date=YYYY-MM-DD/<name>.jsonl.gz`, dated by the
    session's first event (as the shipper dates a batch), so a retry finds the same key."""
    date = (first_timestamp or fallback)[:10]
    return f"runtime/date={date}/{object_name(run, session_id)}.jsonl.gz"


def upload_session(
    targets: Iterable[str],
    log_path: Path,
    run: RunMetadata,
    session_id: str,
    started_at: str,
    env: Mapping[str, str],
    *,
    deadline: float = DEADLINE_SECONDS,
) -> list[Upload]:
    """Upload the session's lines to each target; one `Upload` outcome per target."""
    targets = list(targets)
    if not targets:
        return []
    data, count, first = session_lines(log_path, session_id)
    key = object_key(run, session_id, first, started_at)
    results = []
    for target in targets:
        if not count:
            results.append(Upload(target, "skipped", error="no events of this session"))
            continue
        results.append(_upload_one(target, log_path, key, data, count, session_id, env, deadline))
    return results


def _upload_one(
    target: str,
    log_path: Path,
    key: str,
    data: bytes,
    count: int,
    session_id: str,
    env: Mapping[str, str],
    deadline: float,
) -> Upload:
    bucket = env.get(BUCKET_ENV[target], "")
    if not bucket:
        return Upload(target, "failed", error=f"{BUCKET_ENV[target]} is not set")
    prefix = env.get(PREFIX_ENV[target], "").strip("/") or DEFAULT_PREFIX
    try:
        from shippers import Batch, RetryPolicy, ShipConfig, Shutdown
        from shippers.config import GCSOptions, S3Options
        from shippers.sinks import build_sink

        config = ShipConfig(
            sink=target,
            log_dir=log_path.parent,
            state_dir=log_path.parent / "upload",
            metrics_address=None,
            s3=S3Options(
                bucket=bucket,
                prefix=prefix,
                region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
                endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
            ),
            gcs=GCSOptions(
                bucket=bucket, prefix=prefix, project=env.get("GOOGLE_CLOUD_PROJECT") or None
            ),
        )
        sink = build_sink(config)
    except ImportError as exc:
        return Upload(target, "failed", error=f"install agent-beacon[{target}]: {exc}")
    except BeaconError as exc:
        return Upload(target, "failed", error=str(exc))
    shutdown = Shutdown()
    shutdown.request(deadline)  # retry transient failures, but only until the deadline
    batch = Batch("runtime", session_id, 0, len(data), key, data, count)
    destination = f"{sink.destination.rstrip('/')}/{key}"
    try:
        sink.send(batch, RetryPolicy(shutdown, initial=0.5, maximum=10.0))
    except BeaconError as exc:  # PermanentError, GaveUp
        return Upload(target, "failed", destination, key, count, len(data), str(exc))
    except Exception as exc:  # an SDK failure the sink did not classify
        return Upload(target, "failed", destination, key, count, len(data), repr(exc))
    finally:
        sink.close()
    return Upload(target, "ok", destination, key, count, len(data))
