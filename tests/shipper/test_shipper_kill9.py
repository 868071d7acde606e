"""Fault tests in real processes: `kill -9` of `python -m shippers` at random moments while
the writer appends and rotates. Object stores must hold every line exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shippers.testing import RotatingLog, make_event

Seqs = Callable[[list[bytes]], list[int]]
Reader = Callable[[Any, str], tuple[list[bytes], list[dict[str, Any]]]]

pytestmark = [pytest.mark.slow, pytest.mark.network]

TRIALS = 20
SMALL_TRIALS = 5


class Writer:
    """Appends to both streams at a steady rate in a thread, rotating like the collector.

    Small files rotate often (the point of the test), and many archives keep every line
    on disk until shipped even when a loaded machine starts the shipper slowly: lines that
    rotate out of the last archive are lost by design (and counted), which is not what
    this test is about.
    """

    def __init__(self, log_dir: Path, rate: float = 250.0) -> None:
        self.runtime = RotatingLog(log_dir / "runtime.jsonl", rotate_bytes=48 * 1024, keep=60)
        self.inventory = RotatingLog(
            log_dir / "inventory_state.jsonl", rotate_bytes=16 * 1024, keep=60
        )
        self.rate = rate
        self.written: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            log = self.inventory if seq % 10 == 0 else self.runtime
            log.append(make_event(seq, pad=random.randint(20, 300)))
            self.written.append(seq)
            seq += 1
            self.stop.wait(1.0 / self.rate)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _ship_cmd(log_dir: Path, state_dir: Path, sink_args: list[str], once: bool) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "shippers",
        "--log-dir",
        str(log_dir),
        "--state-dir",
        str(state_dir),
        "--batch-max-bytes",
        "16384",
        "--batch-max-age",
        "0.2",
        "--metrics-address",
        "off",
        *sink_args,
    ]
    return [*cmd, "--once"] if once else cmd


def _kill_trials(log_dir: Path, state_dir: Path, sink_args: list[str], trials: int) -> int:
    """Run the shipper `trials` times, each killed with SIGKILL at a random moment."""
    rng = random.Random(os.getpid())
    killed_mid_batch = 0
    for _ in range(trials):
        proc = subprocess.Popen(
            _ship_cmd(log_dir, state_dir, sink_args, once=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.5, 1.5))
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        checkpoint = state_dir / "runtime.checkpoint.json"
        if checkpoint.exists() and b'"pending": {' in checkpoint.read_bytes():
            killed_mid_batch += 1
    return killed_mid_batch


def _drain(log_dir: Path, state_dir: Path, sink_args: list[str]) -> None:
    done = subprocess.run(
        _ship_cmd(log_dir, state_dir, sink_args, once=True),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()


def _s3_args(bucket: str, endpoint: str) -> list[str]:
    """`beacon ship` flags for the moto S3 bucket."""
    return ["--sink", "s3", "--bucket", bucket, "--endpoint-url", endpoint, "--region", "us-east-1"]


def test_kill9_during_rotation_s3_exactly_once(
    tmp_path: Path,
    log_dir: Path,
    s3_bucket: tuple[Any, str],
    moto_endpoint: str,
    s3_reader: Reader,
    seqs: Seqs,
) -> None:
    """20 SIGKILLs at random moments: every line in S3 exactly once, none lost."""
    client, bucket = s3_bucket
    state_dir = tmp_path / "state"
    sink_args = _s3_args(bucket, moto_endpoint)
    with Writer(log_dir) as writer:
        _kill_trials(log_dir, state_dir, sink_args, TRIALS)
    _drain(log_dir, state_dir, sink_args)
    shipped = seqs(s3_reader(client, bucket)[0])
    assert writer.runtime.rotations >= 5
    assert len(shipped) == len(set(shipped)), "duplicates in S3"
    assert sorted(shipped) == sorted(writer.written), "lines missing from S3"


def test_kill9_during_rotation_gcs_exactly_once(
    tmp_path: Path,
    log_dir: Path,
    gcs_bucket: tuple[Any, str],
    gcs_reader: Callable[[Any, str], tuple[list[bytes], list[Any]]],
    seqs: Seqs,
) -> None:
    """SIGKILLs against the GCS emulator: every line exactly once."""
    client, bucket = gcs_bucket
    state_dir = tmp_path / "state"
    sink_args = ["--sink", "gcs", "--bucket", bucket]
    with Writer(log_dir) as writer:
        _kill_trials(log_dir, state_dir, sink_args, SMALL_TRIALS)
    _drain(log_dir, state_dir, sink_args)
    shipped = seqs(gcs_reader(client, bucket)[0])
    assert len(shipped) == len(set(shipped)), "duplicates in GCS"
    assert sorted(shipped) == sorted(writer.written), "lines missing from GCS"


def test_kill9_during_rotation_file_exactly_once(tmp_path: Path, log_dir: Path, seqs: Seqs) -> None:
    """SIGKILLs against the file sink: every line exactly once, no temp file left behind."""
    import gzip

    root = tmp_path / "share"
    root.mkdir()
    state_dir = tmp_path / "state"
    sink_args = ["--sink", "file", "--root", str(root)]
    with Writer(log_dir) as writer:
        _kill_trials(log_dir, state_dir, sink_args, TRIALS)
    _drain(log_dir, state_dir, sink_args)
    bodies = [p.read_bytes() for p in root.glob("*/date=*/*.jsonl.gz")]
    shipped = seqs([line for body in bodies for line in gzip.decompress(body).splitlines()])
    assert writer.runtime.rotations >= 5
    assert len(shipped) == len(set(shipped)), "duplicates in the file sink"
    assert sorted(shipped) == sorted(writer.written), "lines missing from the file sink"
    assert list((root / ".beacon-staging").iterdir()) == [], "stale temp files"


def test_kill9_splunk_hec_at_least_once(tmp_path: Path, log_dir: Path, hec_server: Any) -> None:
    """SIGKILLs against the HEC fake: every line at least once, duplicates stay few."""
    state_dir = tmp_path / "state"
    sink_args = ["--sink", "splunk-hec", "--hec-url", hec_server.url]
    with Writer(log_dir) as writer:
        _kill_trials(log_dir, state_dir, sink_args, SMALL_TRIALS)
    _drain(log_dir, state_dir, sink_args)
    shipped = [e["event"]["seq"] for e in hec_server.events]
    assert set(shipped) == set(writer.written), "lines missing from HEC"
    duplicates = len(shipped) - len(set(shipped))
    assert duplicates <= SMALL_TRIALS * 200, "duplicates beyond the pending batches"


def test_kill9_sentinel_at_least_once(tmp_path: Path, log_dir: Path, logs_ingestion: Any) -> None:
    """SIGKILLs against the Logs Ingestion fake: every line at least once."""
    state_dir = tmp_path / "state"
    sink_args = [
        "--sink",
        "sentinel",
        "--dce-endpoint",
        logs_ingestion.url,
        "--dcr-id",
        logs_ingestion.dcr_id,
    ]
    with Writer(log_dir) as writer:
        _kill_trials(log_dir, state_dir, sink_args, SMALL_TRIALS)
    _drain(log_dir, state_dir, sink_args)
    rows = [r for rs in logs_ingestion.rows.values() for r in rs]
    assert {r["Event"]["seq"] for r in rows} == set(writer.written)


def test_full_rotation_cycle_while_stopped_real_process(
    tmp_path: Path,
    log_dir: Path,
    s3_bucket: tuple[Any, str],
    moto_endpoint: str,
    s3_reader: Reader,
    seqs: Seqs,
) -> None:
    """Stop (SIGTERM), rotate through all five archives, restart: every line once."""
    client, bucket = s3_bucket
    state_dir = tmp_path / "state"
    sink_args = [*_s3_args(bucket, moto_endpoint), "--streams", "runtime"]
    log = RotatingLog(log_dir / "runtime.jsonl", rotate_bytes=8192, keep=5)
    written = []
    for seq in range(20):
        log.append(make_event(seq, pad=100))
        written.append(seq)
    proc = subprocess.Popen(
        _ship_cmd(log_dir, state_dir, sink_args, once=False), stderr=subprocess.PIPE
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    start_rotations = log.rotations
    seq = 20
    while log.rotations < start_rotations + 5:
        log.append(make_event(seq, pad=100))
        written.append(seq)
        seq += 1
    _drain(log_dir, state_dir, sink_args)
    shipped = seqs(s3_reader(client, bucket)[0])
    assert sorted(shipped) == written and len(shipped) == len(set(shipped))
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "shippers",
            "status",
            "--json",
            "--log-dir",
            str(log_dir),
            "--state-dir",
            str(state_dir),
            "--streams",
            "runtime",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    counters = __import__("json").loads(status.stdout)["streams"][0]["counters"]
    assert counters["bytes_lost"] == 0 and counters["files_lost"] == 0
