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


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """gcp-storage-emulator on 127.0.0.1 (in memory); yields its base URL."""
    from gcp_storage_emulator.server import create_server

    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    port = server._api._httpd.server_address[1]
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """(google-cloud-storage client, fresh bucket name) against the emulator."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    name = f"beacon-{uuid.uuid4().hex[:12]}"
    client.create_bucket(name)
    return client, name


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
