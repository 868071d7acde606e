"""`beacon ship` CLI: status, /metrics, SIGTERM flush, --once progress bar, config, docs."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from fakes import HECServer

import shippers
import shippers.testing
from shippers.cli import register
from shippers.config import _SINK_KEYS, _TOP_KEYS, ENV_VARS
from shippers.testing import RotatingLog, make_event

ROOT = Path(__file__).resolve().parents[2]


def _ship(*args: str, timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shippers", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def _hec_command(tmp_path: Path, log_dir: Path, hec_server: HECServer) -> list[str]:
    """`python -m shippers` shipping `log_dir` to the fake HEC, state under `tmp_path`."""
    return [
        sys.executable,
        "-m",
        "shippers",
        "--log-dir",
        str(log_dir),
        "--state-dir",
        str(tmp_path / "state"),
        "--sink",
        "splunk-hec",
        "--hec-url",
        hec_server.url,
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_status_json_reports_offset_lag_and_counters(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """After a run, status shows counters; new lines appear as lag in bytes and seconds."""
    for i in range(5):
        runtime_log.append(make_event(i))
    state = str(tmp_path / "state")
    common = ["--log-dir", str(log_dir), "--state-dir", state]
    run = _ship(
        *common,
        "--sink",
        "splunk-hec",
        "--hec-url",
        hec_server.url,
        "--streams",
        "runtime",
        "--once",
    )
    assert run.returncode == 0, run.stderr
    runtime_log.append(make_event(5))
    time.sleep(0.05)
    status = _ship("status", *common, "--json")
    assert status.returncode == 0, status.stderr
    report = {s["stream"]: s for s in json.loads(status.stdout)["streams"]}
    rt = report["runtime"]
    assert rt["counters"]["lines"] == 5 and rt["counters"]["batches"] >= 1
    assert rt["lag_bytes"] == len(runtime_log.path.read_bytes()) - rt["offset"] > 0
    assert rt["lag_seconds"] > 0
    assert rt["last_success"] and rt["last_error"] is None and rt["pending"] is None
    assert report["inventory"]["counters"] == {}
    text = _ship("status", *common)
    assert "runtime:" in text.stdout and "lag:" in text.stdout


def test_metrics_and_sigterm_flush(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """Continuous mode serves /metrics on loopback; SIGTERM flushes the open batch, exits 0."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            *_hec_command(tmp_path, log_dir, hec_server),
            "--batch-max-age",
            "600",
            "--shutdown-deadline",
            "5",
            "--metrics-address",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert 'beacon_ship_lines_total{stream="runtime",sink="splunk_hec"} 0' in body
        for i in range(7):
            runtime_log.append(make_event(i))
        time.sleep(0.5)
        assert hec_server.events == []  # the batch is open, far from its age limit
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() - started < 5
        assert [e["event"]["seq"] for e in hec_server.events] == list(range(7))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_metrics_refuse_non_loopback_addresses(tmp_path: Path, log_dir: Path) -> None:
    """A metrics address off loopback is a config error (exit 2) naming the key."""
    run = _ship(
        "--log-dir",
        str(log_dir),
        "--state-dir",
        str(tmp_path / "s"),
        "--sink",
        "s3",
        "--bucket",
        "b",
        "--metrics-address",
        "0.0.0.0:9465",
    )
    assert run.returncode == 2
    assert "metrics_address" in run.stderr and "loopback" in run.stderr


def test_once_on_a_terminal_draws_a_progress_bar(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """`--once` with stderr on a TTY prints a progress bar ending at 100 %."""
    for i in range(30):
        runtime_log.append(make_event(i, pad=200))
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [
            *_hec_command(tmp_path, log_dir, hec_server),
            "--batch-max-bytes",
            "2048",
            "--once",
        ],
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
    )
    os.close(child_fd)
    out = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(main_fd)
    assert proc.wait(30) == 0
    assert b"shipping [" in out and b"100.0%" in out


def test_config_file_sets_sink_options_and_rejects_secrets(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, hec_server: HECServer
) -> None:
    """`[ship]` and `[ship.splunk_hec]` drive a run; a token in the file is refused."""
    runtime_log.append(make_event(0))
    cfg = tmp_path / "beacon.toml"
    cfg.write_text(
        f'[ship]\nsink = "splunk-hec"\nlog_dir = "{log_dir}"\nstate_dir = "{tmp_path / "st"}"\n'
        f'streams = ["runtime"]\n[ship.splunk_hec]\nurl = "{hec_server.url}"\n'
        'sourcetype = "custom:type"\n'
    )
    run = _ship("--config", str(cfg), "--once")
    assert run.returncode == 0, run.stderr
    assert hec_server.events[0]["sourcetype"] == "custom:type"
    cfg.write_text(cfg.read_text() + 'token = "abc"\n')
    bad = _ship("--config", str(cfg), "--once")
    assert bad.returncode == 2 and "credentials come from env" in bad.stderr
    cfg.write_text('[ship]\nsink = "s3"\nbatch_max_bytez = 5\n')
    typo = _ship("--config", str(cfg), "--once")
    assert typo.returncode == 2 and "ship.batch_max_bytez: unknown key" in typo.stderr


def test_public_surface_resolves() -> None:
    """Every name in `__all__` of the package and of `shippers.testing` exists."""
    for name in shippers.__all__:
        assert getattr(shippers, name) is not None
    for name in shippers.testing.__all__:
        assert getattr(shippers.testing, name) is not None


def test_every_flag_key_and_env_var_is_documented() -> None:
    """docs/shipper.md names every `beacon ship` flag, TOML key and env var."""
    doc = (ROOT / "docs" / "shipper.md").read_text()
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    register(sub)
    ship = sub.choices["ship"]
    flags = {o for a in ship._actions for o in a.option_strings if o.startswith("--")}
    flags -= {"--help"}
    missing = [f for f in sorted(flags) if f not in doc]
    missing += [k for k in _TOP_KEYS if f"`{k}`" not in doc]
    missing += [f"{t}.{k}" for t, keys in _SINK_KEYS.items() for k in keys if f"`{k}`" not in doc]
    missing += [v for v in ENV_VARS.values() if v not in doc]
    missing += [
        v
        for v in ("BEACON_SPLUNK_HEC_TOKEN", "STORAGE_EMULATOR_HOST", "AZURE_AUTHORITY_HOST")
        if v not in doc
    ]
    assert not missing, f"undocumented in docs/shipper.md: {missing}"
    assert re.search(r"application/gzip", doc)
