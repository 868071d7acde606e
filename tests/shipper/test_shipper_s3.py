"""S3 sink against moto in server mode: layout, headers, errors, outage recovery."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shippers._runner import Shipper
from shippers.config import S3Options, ShipConfig
from shippers.testing import RotatingLog, make_event

Seqs = Callable[[list[bytes]], list[int]]
Reader = Callable[[Any, str], tuple[list[bytes], list[dict[str, Any]]]]

pytestmark = pytest.mark.network


def _cfg(tmp_path: Path, log_dir: Path, bucket: str, endpoint: str, **kw: Any) -> ShipConfig:
    options: dict[str, Any] = {
        "sink": "s3",
        "log_dir": log_dir,
        "state_dir": tmp_path / "state",
        "host": "host-1",
        "batch_max_bytes": 4096,
        "batch_max_age": 0.1,
        "poll_interval": 0.02,
        "retry_initial": 0.05,
        "retry_max": 0.2,
        "s3": S3Options(bucket=bucket, prefix="beacon", endpoint_url=endpoint, region="us-east-1"),
    }
    options.update(kw)
    return ShipConfig(**options)


def test_objects_follow_the_layout_with_gzip_ndjson_headers(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    s3_bucket: tuple[Any, str],
    moto_endpoint: str,
    s3_reader: Reader,
    seqs: Seqs,
) -> None:
    """Both streams land under their own Hive-style prefix as gzip NDJSON objects."""
    client, bucket = s3_bucket
    inventory = RotatingLog(log_dir / "inventory_state.jsonl")
    for i in range(50):
        runtime_log.append(make_event(i, pad=100))
    for i in range(1000, 1005):
        inventory.append(make_event(i, action="inventory.snapshot"))
    assert Shipper(_cfg(tmp_path, log_dir, bucket, moto_endpoint)).run(once=True) == 0
    lines, heads = s3_reader(client, bucket)
    assert sorted(seqs(lines)) == [*range(50), *range(1000, 1005)]
    pattern = (
        r"^beacon/(runtime|inventory)/date=\d{4}-\d{2}-\d{2}/host-1-[0-9a-f]{16}-\d{12}-\d{12}"
        r"\.jsonl\.gz$"
    )
    assert all(__import__("re").match(pattern, h["Key"]) for h in heads)
    assert {h["Key"].split("/")[1] for h in heads} == {"runtime", "inventory"}
    assert all(h["ContentType"] == "application/x-ndjson" for h in heads)
    assert all(h["ContentEncoding"] == "gzip" for h in heads)


def test_missing_bucket_stops_the_stream_with_a_clear_error(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    moto_endpoint: str,
    aws_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 404 NoSuchBucket is not retried: the stream stops and says why."""
    runtime_log.append(make_event(0))
    cfg = _cfg(tmp_path, log_dir, "no-such-bucket-here", moto_endpoint, streams=("runtime",))
    assert Shipper(cfg).run(once=True) == 1
    err = capsys.readouterr().err
    assert "404" in err and "NoSuchBucket" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_destination_down_then_up_loses_nothing(
    tmp_path: Path,
    log_dir: Path,
    runtime_log: RotatingLog,
    aws_env: dict[str, str],
    s3_reader: Reader,
    seqs: Seqs,
) -> None:
    """Connection refused is retried until the server appears; every line then arrives once."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    for i in range(30):
        runtime_log.append(make_event(i))
    shipper = Shipper(_cfg(tmp_path, log_dir, "late-bucket", endpoint, streams=("runtime",)))
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(shipper.run(once=True)))
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive()
    assert shipper.streams[0].state.counters["retries"] >= 2
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="late-bucket")
        thread.join(30)
        assert result == [0]
        lines, _ = s3_reader(client, "late-bucket")
        assert sorted(seqs(lines)) == list(range(30))  # S3 lists by key, not by time
    finally:
        server.stop()
