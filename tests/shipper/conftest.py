"""Fixtures for shipper tests: a log dir with a rotating writer, and an in-memory shipper."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shippers._runner import Shipper
from shippers.config import ShipConfig
from shippers.testing import InMemorySink, RotatingLog


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def runtime_log(log_dir: Path) -> RotatingLog:
    return RotatingLog(log_dir / "runtime.jsonl", rotate_bytes=4096, keep=5)


ShipOnce = Callable[..., Shipper]


@pytest.fixture
def ship_once(tmp_path: Path, log_dir: Path) -> ShipOnce:
    """Run `--once` over the runtime stream into the given sink; returns the Shipper."""

    def run(sink: InMemorySink, **overrides: object) -> Shipper:
        options: dict[str, object] = {
            "sink": "s3",
            "log_dir": log_dir,
            "state_dir": tmp_path / "state",
            "streams": ("runtime",),
            "batch_max_bytes": 2048,
            "max_line_bytes": 1024,
            "poll_interval": 0.01,
            "retry_initial": 0.01,
            "retry_max": 0.05,
        }
        options.update(overrides)
        shipper = Shipper(ShipConfig(**options), sink=sink)  # type: ignore[arg-type]
        shipper.run(once=True)
        return shipper

    return run


def _seqs(lines: list[bytes]) -> list[int]:
    out = []
    for line in lines:
        try:
            out.append(json.loads(line)["seq"])
        except (ValueError, KeyError):
            continue
    return out


@pytest.fixture
def seqs() -> Callable[[list[bytes]], list[int]]:
    """The `seq` of every shipped line that has one."""
    return _seqs


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (one per xdist worker)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy AWS credentials, for this process and for shipper subprocesses."""
    values = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return values


@pytest.fixture
def s3_bucket(moto_endpoint: str, aws_env: dict[str, str]) -> Iterator[tuple[Any, str]]:
    """(boto3 client, fresh bucket name) on the moto server."""
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"beacon-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield client, name


def s3_lines(client: Any, bucket: str) -> tuple[list[bytes], list[dict[str, Any]]]:
    """All lines of all objects in a bucket, plus each object's head."""
    lines: list[bytes] = []
    heads = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            got = client.get_object(Bucket=bucket, Key=obj["Key"])
            heads.append(
                {
                    "Key": obj["Key"],
                    "ContentType": got["ContentType"],
                    "ContentEncoding": got.get("ContentEncoding"),
                }
            )
            lines.extend(gzip.decompress(got["Body"].read()).splitlines())
    return lines, heads


@pytest.fixture
def s3_reader() -> Callable[[Any, str], tuple[list[bytes], list[dict[str, Any]]]]:
    """Read back every line shipped to a bucket."""
    return s3_lines
