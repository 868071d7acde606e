"""Keeping `beacon run` alive: systemd or launchd units, behind one small seam.

A `Service` is a unit file (rendered from a `ServiceSpec`) plus a `ServiceControl`, the
only code that talks to the service manager. The real controls shell out to `systemctl`
or `launchctl` through a `Runner`; tests pass a fake control that records its calls, so
nothing here needs a running init system to be tested.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from beacon.endpoint.layout import Layout
from beacon.errors import EndpointError, UsageError

SERVICE_CHOICES = ("auto", "systemd", "launchd", "none")
COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class ServiceSpec:
    """What the unit runs: the `beacon run` command line and where it writes."""

    argv: tuple[str, ...]
    system: bool
    log_dir: Path
    state_dir: Path


@dataclass(frozen=True)
class ServiceState:
    """What the service manager says about the unit."""

    loaded: bool
    running: bool
    detail: str = ""


class ServiceControl(Protocol):
    """The calls install, uninstall, status and doctor make to the service manager."""

    def state(self) -> ServiceState:
        """Whether the unit is loaded and running."""
        ...

    def reload(self) -> None:
        """Make the manager re-read unit files (systemd `daemon-reload`)."""
        ...

    def start(self, spec: ServiceSpec, *, restart: bool) -> None:
        """Enable the unit at boot/login and start it (restart it if `restart`)."""
        ...

    def stop(self) -> None:
        """Stop the unit and disable it."""
        ...


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a service-manager command with a deadline; its output is captured."""
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise EndpointError(f"{argv[0]} not found; is this service manager installed?") from None
    except subprocess.TimeoutExpired:
        raise EndpointError(f"{' '.join(argv)} did not finish in {COMMAND_TIMEOUT:.0f} s") from None


def checked(runner: Runner, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run `argv`; EndpointError with its stderr when it fails."""
    result = runner(argv)
    if result.returncode != 0:
        message = (result.stderr or result.stdout or "").strip().splitlines()
        tail = message[-1] if message else f"exit status {result.returncode}"
        raise EndpointError(f"`{' '.join(argv)}` failed: {tail}")
    return result


@dataclass(frozen=True)
class Service:
    """One way of running the collector: its unit file and how to control it."""

    kind: str  # "systemd" | "launchd"
    name: str  # unit or label
    unit_path: Path
    control: ServiceControl
    render: Callable[[ServiceSpec], bytes]
    start_commands: tuple[str, ...] = ()
    stop_commands: tuple[str, ...] = ()
    output_files: tuple[Path, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        """For the manifest and status."""
        return {"kind": self.kind, "name": self.name, "unit_path": str(self.unit_path)}


def select_service(kind: str, layout: Layout, runner: Runner = run_command) -> Service | None:
    """The service for `--service KIND`; None for `none` (or `auto` without a manager)."""
    from beacon.endpoint.service.launchd import launchd_service
    from beacon.endpoint.service.systemd import systemd_service

    if kind not in SERVICE_CHOICES:
        raise UsageError(f"--service: {kind!r} is not one of {', '.join(SERVICE_CHOICES)}")
    if kind == "auto":
        kind = auto_kind(layout)
    if kind == "systemd":
        return systemd_service(layout, runner)
    if kind == "launchd":
        return launchd_service(layout, runner)
    return None


def auto_kind(layout: Layout) -> str:
    """launchd on macOS, systemd where it is the running init system, else none."""
    if layout.platform == "darwin":
        return "launchd"
    if sys.platform.startswith("linux") and systemd_booted() and shutil.which("systemctl"):
        return "systemd"
    return "none"


def systemd_booted() -> bool:
    """sd_booted(3): systemd is PID 1 when this directory exists."""
    return Path("/run/systemd/system").is_dir()


def service_from_manifest(data: dict[str, object] | None, layout: Layout) -> Service | None:
    """The service an install recorded."""
    if not data:
        return None
    kind = str(data.get("kind", "none"))
    return select_service(kind, layout) if kind in ("systemd", "launchd") else None
