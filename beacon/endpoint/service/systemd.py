"""systemd: a user unit (`~/.config/systemd/user/`) or, with `--system`, a system unit.

The unit runs `beacon run` in the foreground, restarts it on failure, and stops it with
SIGTERM, which drains the writer. User units start with the user's session (systemd's
user manager); `loginctl enable-linger` keeps them running without one. The rendered
file is checked with `systemd-analyze verify` in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from beacon.endpoint.layout import Layout
from beacon.endpoint.service import Runner, Service, ServiceSpec, ServiceState, checked, run_command

UNIT = "beacon-collector.service"
HEADER = "# Managed by `beacon endpoint install`; `beacon endpoint uninstall` removes it.\n"


def render_unit(spec: ServiceSpec) -> bytes:
    """The unit file for `spec`."""
    lines = [
        HEADER.rstrip("\n"),
        "[Unit]",
        "Description=Agent Beacon collector (OTLP on 127.0.0.1, writes runtime.jsonl)",
    ]
    if spec.system:
        lines += ["After=network.target"]
    lines += [
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={' '.join(quote(arg) for arg in spec.argv)}",
        "Restart=on-failure",
        "RestartSec=2",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=20",
        "UMask=0077",
        "NoNewPrivileges=yes",
    ]
    if spec.system:
        lines += ["ProtectSystem=full", "PrivateTmp=yes"]
    lines += [
        "",
        "[Install]",
        f"WantedBy={'multi-user.target' if spec.system else 'default.target'}",
        "",
    ]
    return "\n".join(lines).encode()


def quote(arg: str) -> str:
    """One ExecStart word, quoted and escaped per systemd.service(5) and specifiers."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\n\"'\\;"):
        return escaped
    escaped = escaped.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class SystemctlControl:
    """`systemctl [--user]` calls for the Beacon unit."""

    def __init__(self, user: bool, runner: Runner = run_command) -> None:
        self.base = ["systemctl", "--user"] if user else ["systemctl"]
        self.runner = runner

    def _argv(self, *args: str) -> Sequence[str]:
        return [*self.base, *args]

    def state(self) -> ServiceState:
        result = self.runner(
            self._argv("show", UNIT, "-p", "LoadState", "-p", "ActiveState", "-p", "SubState")
        )
        if result.returncode != 0:
            detail = (result.stderr or "").strip() or f"systemctl exit status {result.returncode}"
            return ServiceState(False, False, detail)
        values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        loaded = values.get("LoadState") == "loaded"
        running = values.get("ActiveState") == "active"
        load, active = values.get("LoadState", "?"), values.get("ActiveState", "?")
        detail = f"{load}, {active} ({values.get('SubState', '?')})"
        return ServiceState(loaded, running, detail)

    def reload(self) -> None:
        checked(self.runner, self._argv("daemon-reload"))

    def start(self, spec: ServiceSpec, *, restart: bool) -> None:
        checked(self.runner, self._argv("enable", UNIT))
        checked(self.runner, self._argv("restart" if restart else "start", UNIT))

    def stop(self) -> None:
        checked(self.runner, self._argv("disable", "--now", UNIT))


def systemd_service(layout: Layout, runner: Runner = run_command) -> Service:
    """The systemd service of this layout (user unit, or system unit in system mode)."""
    if layout.system:
        path = layout.system_path(f"/etc/systemd/system/{UNIT}")
        prefix = "systemctl"
    else:
        path = layout.xdg_config_home / "systemd" / "user" / UNIT
        prefix = "systemctl --user"
    return Service(
        kind="systemd",
        name=UNIT,
        unit_path=Path(path),
        control=SystemctlControl(user=not layout.system, runner=runner),
        render=render_unit,
        start_commands=(f"{prefix} daemon-reload", f"{prefix} enable --now {UNIT}"),
        stop_commands=(f"{prefix} disable --now {UNIT}",),
    )
