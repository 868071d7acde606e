"""launchd: a LaunchAgent (`~/Library/LaunchAgents`) or, with `--system`, a LaunchDaemon.

The job runs `beacon run` at load, restarts it when it exits unsuccessfully
(`KeepAlive.SuccessfulExit = false`), and its stdout/stderr go to the state directory
for diagnosis. The plist is produced with `plistlib`, so it is always well formed.
"""

from __future__ import annotations

import os
import plistlib
from pathlib import Path

from beacon.endpoint.layout import Layout
from beacon.endpoint.service import Runner, Service, ServiceSpec, ServiceState, checked, run_command

LABEL = "dev.beacon.collector"


def output_paths(state_dir: Path) -> tuple[Path, Path]:
    """Where launchd writes the job's stdout and stderr."""
    return state_dir / "collector.out.log", state_dir / "collector.err.log"


def render_plist(spec: ServiceSpec) -> bytes:
    """The property list for `spec`."""
    out, err = output_paths(spec.state_dir)
    job: dict[str, object] = {
        "Label": LABEL,
        "ProgramArguments": list(spec.argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 5,
        "ExitTimeOut": 20,
        "ProcessType": "Background",
        "Umask": 0o077,
        "WorkingDirectory": str(spec.state_dir),
        "StandardOutPath": str(out),
        "StandardErrorPath": str(err),
    }
    return plistlib.dumps(job, fmt=plistlib.FMT_XML, sort_keys=False)


class LaunchctlControl:
    """`launchctl` calls for the Beacon job in the GUI (user) or system domain."""

    def __init__(self, domain: str, plist: Path, runner: Runner = run_command) -> None:
        self.domain = domain
        self.plist = plist
        self.runner = runner

    @property
    def target(self) -> str:
        """`<domain>/<label>`, the service target launchctl expects."""
        return f"{self.domain}/{LABEL}"

    def state(self) -> ServiceState:
        result = self.runner(["launchctl", "print", self.target])
        if result.returncode != 0:
            return ServiceState(False, False, "not loaded")
        running = any(line.strip() == "state = running" for line in result.stdout.splitlines())
        return ServiceState(True, running, "running" if running else "loaded, not running")

    def reload(self) -> None:
        """launchd reads the plist at bootstrap; `start(restart=True)` re-bootstraps."""

    def start(self, spec: ServiceSpec, *, restart: bool) -> None:
        loaded = self.state().loaded
        if loaded and not restart:
            checked(self.runner, ["launchctl", "kickstart", self.target])
            return
        if loaded:
            checked(self.runner, ["launchctl", "bootout", self.target])
        checked(self.runner, ["launchctl", "bootstrap", self.domain, str(self.plist)])

    def stop(self) -> None:
        if self.state().loaded:
            checked(self.runner, ["launchctl", "bootout", self.target])


def launchd_service(layout: Layout, runner: Runner = run_command) -> Service:
    """The launchd job of this layout (LaunchAgent, or LaunchDaemon in system mode)."""
    if layout.system:
        path = layout.system_path(f"/Library/LaunchDaemons/{LABEL}.plist")
        domain = "system"
    else:
        path = layout.home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        domain = f"gui/{os.getuid()}"
    return Service(
        kind="launchd",
        name=LABEL,
        unit_path=path,
        control=LaunchctlControl(domain, path, runner),
        render=render_plist,
        start_commands=(f"launchctl bootstrap {domain} {path}",),
        stop_commands=(f"launchctl bootout {domain}/{LABEL}",),
        output_files=output_paths(layout.state_dir),
    )
