"""Test doubles for endpoint tests: service-control fakes, free ports, a file-tree snapshot.

`RecordingControl` records the calls install/uninstall make to the service manager (and can
be told to fail); `ProcessControl` "runs the unit" by starting the real `beacon run`
command line the unit holds, so health, status and doctor see a real collector. Nothing
here touches systemctl, launchctl or the real home directory.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from beacon.endpoint.service import ServiceSpec, ServiceState
from beacon.errors import EndpointError

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RecordingControl:
    """A service manager that only records calls (and can be told to fail)."""

    running: bool = False
    loaded: bool = False
    fail_on: str | None = None
    calls: list[str] = field(default_factory=list)

    def state(self) -> ServiceState:
        self.calls.append("state")
        return ServiceState(self.loaded, self.running, "recorded")

    def reload(self) -> None:
        self.calls.append("reload")
        if self.fail_on == "reload":
            raise EndpointError("reload failed (injected)")

    def start(self, spec: ServiceSpec, *, restart: bool) -> None:
        self.calls.append("restart" if restart else "start")
        if self.fail_on == "start":
            raise EndpointError("start failed (injected)")
        self.loaded = self.running = True

    def stop(self) -> None:
        self.calls.append("stop")
        self.loaded = self.running = False


class ProcessControl:
    """Runs the unit's `beacon run` command line as a child process, like a service manager."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.calls: list[str] = []
        self.specs: list[ServiceSpec] = []

    def state(self) -> ServiceState:
        running = self.process is not None and self.process.poll() is None
        return ServiceState(running, running, "child process" if running else "stopped")

    def reload(self) -> None:
        self.calls.append("reload")

    def start(self, spec: ServiceSpec, *, restart: bool) -> None:
        self.calls.append("restart" if restart else "start")
        if self.process is not None and self.process.poll() is None:
            self._terminate()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        self.specs.append(spec)
        self.process = subprocess.Popen(
            list(spec.argv),
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.calls.append("stop")
        self._terminate()

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def free_ports(count: int = 2) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1."""
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def run_beacon(
    home: Path, cwd: Path, *args: str, path: str = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m beacon.cli ARGS` as a user runs it: only HOME, PATH (default empty: no
    agent on it) and a locale in the environment."""
    env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "beacon.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def install_args(harness: str, *extra: str, ports: tuple[int, int] | None = None) -> list[str]:
    """`endpoint install --harness HARNESS --service none` on free (or the given gRPC and
    HTTP) ports, then `extra`: the command line the subprocess tests run."""
    grpc, http = ports or free_ports()
    return [
        "endpoint",
        "install",
        "--harness",
        harness,
        "--service",
        "none",
        "--otlp-grpc-port",
        str(grpc),
        "--otlp-http-port",
        str(http),
        *extra,
    ]


def tree(root: Path) -> dict[str, tuple[str, int, bytes | None]]:
    """Every path under `root` with its type, mode and (for files) bytes."""
    out: dict[str, tuple[str, int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = Path(dirpath, name)
            out[str(path.relative_to(root))] = ("dir", stat.S_IMODE(path.lstat().st_mode), None)
        for name in filenames:
            path = Path(dirpath, name)
            out[str(path.relative_to(root))] = (
                "file",
                stat.S_IMODE(path.lstat().st_mode),
                path.read_bytes(),
            )
    return out


def no_serve(port: int) -> object:
    """A health probe that never finds a collector (for failure injection)."""
    from beacon.endpoint.probe import Health

    return Health(False, False, f"nothing on {port} (test)")
