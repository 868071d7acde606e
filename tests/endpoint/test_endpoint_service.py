"""Service units: systemd units pass `systemd-analyze verify`, plists parse with plistlib,
and the controls send the right systemctl/launchctl command lines (recorded, never run)."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from beacon.endpoint.layout import Layout
from beacon.endpoint.service import ServiceSpec, auto_kind, select_service
from beacon.endpoint.service.launchd import LABEL, LaunchctlControl, launchd_service, render_plist
from beacon.endpoint.service.systemd import UNIT, SystemctlControl, quote, render_unit
from beacon.endpoint.settings import EndpointSettings
from beacon.errors import EndpointError, UsageError


class FakeRunner:
    """Records command lines; answers from a table of (argv prefix -> result)."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        for prefix, (code, out) in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return subprocess.CompletedProcess(list(argv), code, out, "boom" if code else "")
        return subprocess.CompletedProcess(list(argv), 0, "", "")


def spec(tmp_path: Path, *, system: bool, log_dir: str = "logs") -> ServiceSpec:
    settings = EndpointSettings(log_dir=tmp_path / log_dir, grpc_port=14317, http_port=14318)
    return ServiceSpec(tuple(settings.collector_argv()), system, settings.log_dir, tmp_path)


def analyze(unit: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip(
            "systemd-analyze is not installed (Debian package `systemd`; .ci/run installs it)"
        )
    return subprocess.run(
        [tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("system", [False, True], ids=["user", "system"])
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path, system: bool) -> None:
    """The rendered unit (a log dir with a space, `%` and `$`) verifies cleanly."""
    unit = tmp_path / UNIT
    unit.write_bytes(render_unit(spec(tmp_path, system=system, log_dir="my logs %h $HOME")))
    result = analyze(unit)
    assert result.returncode == 0, result.stderr
    assert UNIT not in result.stderr, result.stderr
    text = unit.read_text()
    assert "Restart=on-failure" in text and "KillSignal=SIGTERM" in text
    assert f'--log-dir "{tmp_path}/my logs %%h $$HOME"' in text
    assert ("WantedBy=multi-user.target" in text) is system


def test_systemd_analyze_catches_a_broken_unit(tmp_path: Path) -> None:
    """The verification is real: a unit whose program does not exist fails it."""
    unit = tmp_path / UNIT
    broken = spec(tmp_path, system=False)
    unit.write_bytes(
        render_unit(ServiceSpec(("/nonexistent/beacon", "run"), False, broken.log_dir, tmp_path))
    )
    result = analyze(unit)
    assert result.returncode != 0 and "not executable" in result.stderr


def test_quote_escapes_what_systemd_would_interpret() -> None:
    """Plain words stay bare; spaces, quotes, backslashes, `%` and `$` are escaped."""
    assert quote("/usr/bin/beacon") == "/usr/bin/beacon"
    assert quote("a b") == '"a b"'
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert quote("100%") == "100%%"
    assert quote("$HOME") == "$$HOME"


@pytest.mark.parametrize("system", [False, True], ids=["agent", "daemon"])
def test_launchd_plist_is_well_formed(tmp_path: Path, system: bool) -> None:
    """plistlib reads the job back: label, the exact argv, restart on failure, outputs."""
    s = spec(tmp_path, system=system, log_dir="my logs")
    job = plistlib.loads(render_plist(s))
    assert job["Label"] == LABEL
    assert job["ProgramArguments"] == list(s.argv)
    assert job["RunAtLoad"] is True and job["KeepAlive"] == {"SuccessfulExit": False}
    assert job["StandardErrorPath"] == str(tmp_path / "collector.err.log")
    assert job["Umask"] == 0o077


def test_systemctl_control_command_lines() -> None:
    """User units use `systemctl --user`; start enables then starts, restart restarts."""
    runner = FakeRunner(
        {
            ("systemctl", "--user", "show"): (
                0,
                "LoadState=loaded\nActiveState=active\nSubState=running\n",
            )
        }
    )
    control = SystemctlControl(user=True, runner=runner)
    state = control.state()
    assert state.loaded and state.running and state.detail == "loaded, active (running)"
    control.reload()
    control.start(spec(Path("/tmp"), system=False), restart=False)
    control.start(spec(Path("/tmp"), system=False), restart=True)
    control.stop()
    assert runner.calls[1:] == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", UNIT],
        ["systemctl", "--user", "start", UNIT],
        ["systemctl", "--user", "enable", UNIT],
        ["systemctl", "--user", "restart", UNIT],
        ["systemctl", "--user", "disable", "--now", UNIT],
    ]
    system = SystemctlControl(user=False, runner=FakeRunner({("systemctl", "start"): (1, "")}))
    with pytest.raises(
        EndpointError, match=r"`systemctl start beacon-collector\.service` failed: boom"
    ):
        system.start(spec(Path("/tmp"), system=True), restart=False)


def test_launchctl_control_bootstraps_kickstarts_and_boots_out(tmp_path: Path) -> None:
    """Not loaded: bootstrap. Loaded: kickstart, or bootout + bootstrap to reload. Stop: bootout."""
    plist = tmp_path / f"{LABEL}.plist"
    not_loaded = FakeRunner({("launchctl", "print"): (113, "")})
    LaunchctlControl("gui/501", plist, not_loaded).start(
        spec(tmp_path, system=False), restart=False
    )
    assert not_loaded.calls[1:] == [["launchctl", "bootstrap", "gui/501", str(plist)]]

    loaded = FakeRunner({("launchctl", "print"): (0, "\tstate = running\n")})
    control = LaunchctlControl("gui/501", plist, loaded)
    assert control.state().running
    control.start(spec(tmp_path, system=False), restart=False)
    control.start(spec(tmp_path, system=False), restart=True)
    control.stop()
    target = f"gui/501/{LABEL}"
    assert [c for c in loaded.calls if c[1] != "print"] == [
        ["launchctl", "kickstart", target],
        ["launchctl", "bootout", target],
        ["launchctl", "bootstrap", "gui/501", str(plist)],
        ["launchctl", "bootout", target],
    ]


def test_service_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`none` gives no service; `auto` is launchd on macOS, systemd only when it is PID 1."""
    env = {"HOME": str(tmp_path), "PATH": ""}
    linux = Layout.detect(env=env, platform="linux")
    mac = Layout.detect(env=env, platform="darwin")
    assert select_service("none", linux) is None
    assert auto_kind(mac) == "launchd"
    agent = launchd_service(mac)
    assert agent.unit_path == tmp_path / "Library/LaunchAgents/dev.beacon.collector.plist"
    monkeypatch.setattr("beacon.endpoint.service.systemd_booted", lambda: False)
    assert auto_kind(linux) == "none"
    monkeypatch.setattr("beacon.endpoint.service.systemd_booted", lambda: True)
    monkeypatch.setattr("beacon.endpoint.service.shutil.which", lambda name: "/bin/systemctl")
    assert auto_kind(linux) == "systemd"
    unit = select_service("systemd", linux)
    assert (
        unit is not None
        and unit.unit_path == tmp_path / ".config/systemd/user/beacon-collector.service"
    )
    with pytest.raises(UsageError):
        select_service("upstart", linux)
