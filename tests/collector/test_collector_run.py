"""`beacon run` as a process: startup line and time, loopback rule, clean shutdown."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from collector_harness import FIXTURES, REPO, start_collector

pytestmark = pytest.mark.network

CODEX_PB = FIXTURES / "codex-0.169.0/binary1/otlp/0002-logs.pb"  # 23 records, 23 events


def test_listening_line_names_both_chosen_ports(tmp_path: Path) -> None:
    """Port 0 picks free ports, printed on one line (start-up time: benchmarks/collector.py)."""
    running = start_collector(tmp_path / "logs")
    try:
        assert re.fullmatch(r"127\.0\.0\.1:\d+", running.grpc)
        assert re.fullmatch(r"127\.0\.0\.1:\d+", running.http)
        assert not running.grpc.endswith(":0") and running.grpc != running.http
    finally:
        assert running.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_after_load_loses_no_accepted_event(tmp_path: Path, sig: int) -> None:
    """Send, then signal at once: exit 0, and every accepted event is on disk."""
    running = start_collector(tmp_path / "logs")
    body = CODEX_PB.read_bytes()

    def send(_: int) -> int:
        with httpx.Client(timeout=20) as client:
            ok = 0
            for _ in range(10):
                response = client.post(
                    running.url("/v1/logs"),
                    content=body,
                    headers={"Content-Type": "application/x-protobuf"},
                )
                ok += response.status_code == 200
            return ok

    with ThreadPoolExecutor(4) as pool:
        accepted_requests = sum(pool.map(send, range(4)))
    code = running.stop(sig)
    assert code == 0, running.process.stderr.read() if running.process.stderr else ""
    assert accepted_requests == 40
    assert len(running.events()) == accepted_requests * 23


def test_non_loopback_address_needs_allow_remote(tmp_path: Path) -> None:
    """Binding 0.0.0.0 is refused (exit 2, naming --allow-remote) unless the flag is given."""
    cmd = [
        sys.executable,
        "-m",
        "beacon.cli",
        "run",
        "--log-dir",
        str(tmp_path),
        "--otlp-grpc",
        "127.0.0.1:0",
    ]
    refused = subprocess.run(
        [*cmd, "--otlp-http", "0.0.0.0:0"], capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert refused.returncode == 2
    assert "--allow-remote" in refused.stderr
    running = start_collector(tmp_path / "logs", "--otlp-http", "0.0.0.0:0", "--allow-remote")
    try:
        assert running.http.startswith("0.0.0.0:")
    finally:
        assert running.stop() == 0


def test_help_lists_every_flag_and_is_fast() -> None:
    """`beacon run --help` documents the flags; no heavy imports at parse time."""
    result = subprocess.run(
        [sys.executable, "-m", "beacon.cli", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )
    assert result.returncode == 0
    for flag in (
        "--config",
        "--log-dir",
        "--otlp-grpc",
        "--otlp-http",
        "--include-codex-spans",
        "--include-runtime-metrics",
        "--allow-remote",
    ):
        assert flag in result.stdout
    probe = (
        "import sys, beacon.cli; beacon.cli.build_parser(); "
        "print('grpc' in sys.modules, 'aiohttp' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert out.stdout.split() == ["False", "False"]


def test_include_codex_spans_flag_keeps_codex_spans(tmp_path: Path) -> None:
    """With --include-codex-spans the Codex trace request produces trace.unclassified events."""
    spans = FIXTURES / "codex-0.169.0/binary1/otlp/0001-traces.pb"
    running = start_collector(tmp_path / "logs", "--include-codex-spans")
    try:
        with httpx.Client(timeout=20) as client:
            response = client.post(
                running.url("/v1/traces"),
                content=spans.read_bytes(),
                headers={"Content-Type": "application/x-protobuf"},
            )
        assert response.status_code == 200
        events = running.new_events(1)
        assert events and {e["event"]["action"] for e in events} == {"trace.unclassified"}
    finally:
        running.stop()


def test_config_file_sets_listeners_log_dir_and_flags(tmp_path: Path) -> None:
    """`--config beacon.toml` is honoured; command-line flags override it."""
    config = tmp_path / "beacon.toml"
    config.write_text(
        "[collector]\n"
        'otlp_grpc = "127.0.0.1:0"\n'
        'otlp_http = "127.0.0.1:0"\n'
        "include_codex_spans = true\n"
        "[writer]\n"
        f'log_dir = "{tmp_path / "from-config"}"\n'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "beacon.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        http_addr = dict(item.split("=", 1) for item in line.split()[1:])["otlp-http"]
        spans = (FIXTURES / "codex-0.169.0/binary1/otlp/0001-traces.pb").read_bytes()
        response = httpx.post(
            f"http://{http_addr}/v1/traces",
            content=spans,
            headers={"Content-Type": "application/x-protobuf"},
            timeout=20,
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    written = (tmp_path / "from-config" / "runtime.jsonl").read_text().splitlines()
    assert written and all('"trace.unclassified"' in line for line in written)


@pytest.mark.parametrize("which", ["--otlp-grpc", "--otlp-http"])
def test_port_in_use_is_a_clear_error(tmp_path: Path, which: str) -> None:
    """A busy port ends with exit code 2 and a message naming the flag, not a traceback."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        addresses = {
            "--otlp-grpc": "127.0.0.1:0",
            "--otlp-http": "127.0.0.1:0",
            which: f"127.0.0.1:{port}",
        }
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "beacon.cli",
                "run",
                "--log-dir",
                str(tmp_path),
                *(item for pair in addresses.items() for item in pair),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=REPO,
        )
    assert result.returncode == 2
    assert which in result.stderr and "Traceback" not in result.stderr
