"""Fixtures for shipper tests: a log dir with a rotating writer, and an in-memory shipper."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from storage_servers import aws_env, gcs_bucket, gcs_emulator, moto_endpoint, s3_bucket

from shippers._runner import Shipper
from shippers.config import ShipConfig
from shippers.testing import InMemorySink, RotatingLog

__all__ = ["aws_env", "gcs_bucket", "gcs_emulator", "moto_endpoint", "s3_bucket"]  # fixtures


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


@pytest.fixture
def gcs_reader() -> Callable[[Any, str], tuple[list[bytes], list[Any]]]:
    """Read back every line shipped to a GCS bucket (raw bytes, no transcoding)."""

    def read(client: Any, bucket: str) -> tuple[list[bytes], list[Any]]:
        lines: list[bytes] = []
        blobs = list(client.list_blobs(bucket))
        for blob in blobs:
            lines.extend(gzip.decompress(blob.download_as_bytes(raw_download=True)).splitlines())
        return lines, blobs

    return read


@pytest.fixture
def tls_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A self-signed cert for 127.0.0.1, trusted by requests/httpx in this and child processes."""
    from fakes import make_tls_cert

    cert, key = make_tls_cert(tmp_path_factory.mktemp("tls"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.fixture
def logs_ingestion(tls_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Logs Ingestion + token fake, with AZURE_* env pointing at it."""
    from fakes import LogsIngestionServer

    server = LogsIngestionServer(tls=tls_env)
    server.start()
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", server.url)
    monkeypatch.setenv("AZURE_TENANT_ID", server.tenant)
    monkeypatch.setenv("AZURE_CLIENT_ID", server.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", server.client_secret)
    for var in ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.stop()


@pytest.fixture
def hec_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Splunk HEC fake with the token in BEACON_SPLUNK_HEC_TOKEN."""
    from fakes import HECServer

    server = HECServer(token=str(uuid.uuid4()))
    server.start()
    monkeypatch.setenv("BEACON_SPLUNK_HEC_TOKEN", server.token)
    yield server
    server.stop()
