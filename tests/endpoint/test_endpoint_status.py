"""Status and doctor on healthy and broken endpoints, with a real collector on free ports,
including the runtime-log source warning in both directions."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from endpoint_harness import ProcessControl, RecordingControl, free_ports

from beacon.endpoint.doctor import doctor
from beacon.endpoint.doctor import render_text as doctor_text
from beacon.endpoint.harnesses import resolve
from beacon.endpoint.install import InstallRequest, install
from beacon.endpoint.layout import Layout
from beacon.endpoint.service import Service
from beacon.endpoint.service.systemd import systemd_service
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.status import gather, render_text, status_report


def statuses(report: object) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}  # type: ignore[attr-defined]


@pytest.fixture
def installed(
    layout: Layout, settings: EndpointSettings, process_service: tuple[Service, ProcessControl]
) -> tuple[Layout, EndpointSettings, Service, ProcessControl]:
    """Claude and Codex configured, the collector running as the "service"."""
    service, control = process_service
    install(InstallRequest(settings, resolve("claude,codex")), layout, service=service)
    return layout, settings, service, control


def test_healthy_endpoint_status_and_doctor(
    installed: tuple[Layout, EndpointSettings, Service, ProcessControl],
) -> None:
    """Everything up: status says healthy/running/0600 and doctor has no failures."""
    layout, settings, service, _ = installed
    report = status_report(gather(layout, service=service))
    assert report["installed"] and report["collector"]["healthy"]
    assert report["collector"]["log_dir"] == str(settings.log_dir)
    assert report["service"]["running"] and report["service"]["unit_present"]
    assert report["log"]["mode"] == "0600" and report["log"]["problems"] == []
    assert report["last_event"]["action"] == "telemetry.enabled"
    assert report["runtime_log"]["warning"] is None and report["warnings"] == []
    text = render_text(report)
    assert f"healthy on 127.0.0.1:{settings.grpc_port}" in text
    assert "claude   enabled" in text
    result = doctor(layout, service=service)
    assert not result.failed, doctor_text(result)
    checks = statuses(result)
    assert checks["collector_health"] == checks["ports"] == checks["service"] == "ok"
    assert checks["harness_claude"] == checks["harness_codex"] == "ok"
    assert checks["runtime_log_source"] == checks["last_event"] == "ok"


def test_stopped_collector_fails_doctor_and_fix_restarts_it(
    installed: tuple[Layout, EndpointSettings, Service, ProcessControl],
) -> None:
    """The service died: status says not reachable, doctor fails; `--fix` brings it back."""
    layout, _settings, service, control = installed
    control.stop()
    report = status_report(gather(layout, service=service))
    assert not report["collector"]["reachable"] and not report["service"]["running"]
    result = doctor(layout, service=service)
    assert result.failed
    checks = statuses(result)
    assert checks["collector_health"] == checks["service"] == checks["ports"] == "fail"
    fixed = doctor(layout, service=service, fix=True)
    assert not fixed.failed, doctor_text(fixed)
    assert any("collector healthy" in line for line in fixed.fixes)
    assert {c.name for c in fixed.checks if c.fixed} >= {"collector_health", "service"}
    assert control.state().running


def test_doctor_fixes_a_harness_pointed_elsewhere_and_loose_log_modes(
    installed: tuple[Layout, EndpointSettings, Service, ProcessControl],
) -> None:
    """Claude's endpoint was changed by hand and the log made readable to all: doctor fails
    and names both; `--fix` re-applies Beacon's settings and tightens the mode."""
    layout, settings, service, _ = installed
    path = layout.home / ".claude" / "settings.json"
    doc = json.loads(path.read_text())
    doc["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9999"
    path.write_text(json.dumps(doc))
    log = settings.log_dir / "runtime.jsonl"
    os.chmod(log, 0o644)
    result = doctor(layout, service=service)
    checks = statuses(result)
    assert checks["harness_claude"] == "fail" and checks["log_permissions"] == "warn"
    evidence = next(c.evidence for c in result.checks if c.name == "harness_claude")
    assert "http://127.0.0.1:9999" in evidence
    fixed = doctor(layout, service=service, fix=True)
    assert not fixed.failed, doctor_text(fixed)
    assert (
        json.loads(path.read_text())["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == settings.http_endpoint
    )
    assert log.stat().st_mode & 0o777 == 0o600


def test_world_writable_log_dir_is_a_failure_that_fix_repairs(
    installed: tuple[Layout, EndpointSettings, Service, ProcessControl],
) -> None:
    """A world-writable log directory fails `log_dir`; `--fix` removes the write bit."""
    layout, settings, service, _ = installed
    os.chmod(settings.log_dir, 0o777)
    assert statuses(doctor(layout, service=service))["log_dir"] == "fail"
    fixed = doctor(layout, service=service, fix=True)
    assert statuses(fixed)["log_dir"] == "ok"
    assert settings.log_dir.stat().st_mode & 0o777 == 0o775


def test_not_installed_and_not_running(layout: Layout, settings: EndpointSettings) -> None:
    """Before install: status says not installed. Installed with `--service none` and not
    running: doctor fails the collector checks and says to run it yourself."""
    assert not status_report(gather(layout, service=None))["installed"]
    install(InstallRequest(settings, resolve("claude")), layout, service=None)
    report = status_report(gather(layout))
    assert report["installed"] and report["service"] == {"kind": "none"}
    assert not report["collector"]["reachable"]
    assert report["collector"]["otlp_http_port"] == settings.http_port
    result = doctor(layout, fix=True)
    checks = statuses(result)
    assert result.failed and checks["collector_health"] == "fail" and checks["service"] == "warn"
    assert any("run `beacon run` yourself" in line for line in result.fixes)


def _system_install(
    tmp_path: Path, home: Path, ports: tuple[int, int]
) -> tuple[Layout, EndpointSettings]:
    """A system-mode install under a test root (unit written, not started)."""
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    system = Layout.detect(
        system=True, env={"HOME": str(home), "PATH": ""}, root=root, platform="linux"
    )
    settings = EndpointSettings(
        log_dir=system.default_log_dir, grpc_port=ports[0], http_port=ports[1]
    )
    service = replace(systemd_service(system), control=RecordingControl())
    install(InstallRequest(settings, resolve("claude"), start=False), system, service=service)
    return system, settings


def test_runtime_log_source_warns_when_the_system_collector_serves_the_ports(
    tmp_path: Path, home: Path, process_service: tuple[Service, ProcessControl]
) -> None:
    """User mode reads ~/.beacon/endpoint/logs, but the system collector holds the ports:
    status, doctor and the JSON say events go to the system log, and how to fix it."""
    ports = tuple(free_ports())
    system, sys_settings = _system_install(tmp_path, home, ports)  # type: ignore[arg-type]
    user = Layout.detect(env={"HOME": str(home), "PATH": ""}, root=system.root, platform="linux")
    _, control = process_service
    from beacon.endpoint.service import ServiceSpec

    control.start(
        ServiceSpec(
            tuple(sys_settings.collector_argv()), True, sys_settings.log_dir, system.state_dir
        ),
        restart=False,
    )
    from beacon.endpoint.probe import wait_ready

    assert wait_ready(sys_settings.http_port).ok
    user_settings = replace(sys_settings, log_dir=user.default_log_dir)
    service = replace(systemd_service(user), control=RecordingControl())
    install(InstallRequest(user_settings, resolve("claude"), start=False), user, service=service)

    report = status_report(gather(user, service=service))
    system_log = str(sys_settings.log_dir / "runtime.jsonl")
    assert report["runtime_log"]["effective_log_path"] == system_log
    assert report["runtime_log"]["expected_log_path"] == str(user.default_log_dir / "runtime.jsonl")
    warning = report["runtime_log"]["warning"]
    assert "a system-mode collector" in warning and system_log in warning
    assert "sudo beacon endpoint uninstall --system" in warning
    assert f"WARNING: {warning}" in render_text(report)
    check = next(c for c in doctor(user, service=service).checks if c.name == "runtime_log_source")
    assert check.status == "warn" and system_log in check.evidence

    # The reverse: system mode reading /var/log/beacon-agent while a user collector serves.
    control.stop()
    control.start(
        ServiceSpec(
            tuple(user_settings.collector_argv()), False, user_settings.log_dir, user.state_dir
        ),
        restart=False,
    )
    assert wait_ready(user_settings.http_port).ok
    reverse = status_report(gather(system, service=None))["runtime_log"]
    assert reverse["effective_log_path"] == str(user.default_log_dir / "runtime.jsonl")
    assert "a user-mode collector" in reverse["warning"]
    assert "beacon endpoint uninstall" in reverse["warning"]


def test_runtime_log_source_without_a_readable_system_manifest(tmp_path: Path, home: Path) -> None:
    """A user cannot read /var/lib/beacon-agent: a collector writing to the system log dir is
    still named a system-mode collector; one writing elsewhere is "another collector"."""
    from beacon.endpoint.probe import Health
    from beacon.endpoint.status import runtime_log_source

    root = tmp_path / "root"
    user = Layout.detect(env={"HOME": str(home), "PATH": ""}, root=root, platform="linux")
    settings = EndpointSettings(log_dir=user.default_log_dir)
    system_logs = root / "var/log/beacon-agent"
    seen = runtime_log_source(user, settings, Health(True, True, "ok", str(system_logs)))
    assert "a system-mode collector" in seen["warning"]
    assert seen["effective_log_path"] == str(system_logs / "runtime.jsonl")
    other = runtime_log_source(user, settings, Health(True, True, "ok", str(tmp_path / "x")))
    assert "another collector" in other["warning"]
    same = runtime_log_source(user, settings, Health(True, True, "ok", str(user.default_log_dir)))
    assert same["warning"] is None
