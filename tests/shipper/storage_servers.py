"""Local object-storage servers for tests: a moto S3 server and the GCS emulator.

Shared by the shipper and CI tests (import the fixtures into a conftest). Both bind
127.0.0.1 on a free port, one per xdist worker, and every test gets a fresh bucket.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest


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
