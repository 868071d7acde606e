"""GCS sink against gcp-storage-emulator with google-cloud-storage."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shippers._runner import Shipper
from shippers.config import GCSOptions, ShipConfig
from shippers.testing import InMemorySink, RotatingLog, make_event

pytestmark = pytest.mark.network
Seqs = Callable[[list[bytes]], list[int]]
Reader = Callable[[Any, str], tuple[list[bytes], list[Any]]]


def _cfg(tmp_path: Path, log_dir: Path, bucket: str) -> ShipConfig:
    return ShipConfig(
        sink="gcs",
        log_dir=log_dir,
        state_dir=tmp_path / "state",
        host="host-1",
        batch_max_bytes=4096,
        poll_interval=0.02,
        retry_initial=0.02,
        retry_max=0.1,
        gcs=GCSOptions(bucket=bucket, prefix="beacon"),
    )


def test_objects_are_raw_gzip_without_transcoding(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    gcs_bucket: tuple[Any, str],
    gcs_reader: Reader,
    seqs: Seqs,
) -> None:
    """Objects use the shared layout, `application/gzip`, and no Content-Encoding."""
    client, bucket = gcs_bucket
    for i in range(60):
        runtime_log.append(make_event(i, pad=100))
    assert Shipper(_cfg(tmp_path, log_dir, bucket)).run(once=True) == 0
    lines, blobs = gcs_reader(client, bucket)
    assert sorted(seqs(lines)) == list(range(60))
    pattern = (
        r"^beacon/runtime/date=\d{4}-\d{2}-\d{2}/host-1-[0-9a-f]{16}-\d{12}-\d{12}\.jsonl\.gz$"
    )
    assert all(re.match(pattern, b.name) for b in blobs)
    assert all(b.content_type == "application/gzip" for b in blobs)
    assert all(not b.content_encoding for b in blobs)


def test_gcs_keys_match_the_in_memory_reference(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    gcs_bucket: tuple[Any, str],
) -> None:
    """Keys depend only on stream, host, file identity and range: same as any other sink."""
    client, bucket = gcs_bucket
    for i in range(30):
        runtime_log.append(make_event(i, pad=100))
    assert Shipper(_cfg(tmp_path, log_dir, bucket)).run(once=True) == 0
    reference = InMemorySink()
    Shipper(_cfg(tmp_path / "ref", log_dir, bucket), sink=reference).run(once=True)
    names = sorted(b.name.removeprefix("beacon/") for b in client.list_blobs(bucket))
    assert names == sorted(reference.objects)
