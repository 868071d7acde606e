"""`beacon endpoint doctor`: named checks, each ok/warn/fail with evidence and a fix.

Checks read one `Snapshot` (see status.py). `--fix` repairs only what is safe and ours:
creating or tightening the log directory and file, rewriting a drifted unit and
starting the service, and re-applying Beacon's settings to a harness install configured
(through the same backed-up transaction as install). Everything else is left with its
action for a person. Any remaining `fail` makes the command exit non-zero.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.config import load_config
from beacon.endpoint.harnesses import HARNESSES
from beacon.endpoint.harnesses.base import ENABLED
from beacon.endpoint.install import (
    AUTO,
    ROLL_BACK_ACTION,
    InstallRequest,
    _Auto,
    install,
    interrupted,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.probe import Health, probe_health
from beacon.endpoint.service import Service, ServiceSpec
from beacon.endpoint.status import Snapshot, gather
from beacon.errors import BeaconError, ConfigError

OK, WARN, FAIL = "ok", "warn", "fail"
STALE_SECONDS = 24 * 3600


@dataclass
class Check:
    """One named check's verdict."""

    name: str
    status: str
    evidence: str
    action: str = ""
    fixed: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "status": self.status,
            "evidence": self.evidence,
            "action": self.action,
            "fixed": self.fixed,
        }


@dataclass
class DoctorReport:
    """All checks, and what `--fix` did."""

    checks: list[Check] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any check failed (exit non-zero)."""
        return any(c.status == FAIL for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "ok": not self.failed,
            "checks": [c.to_json() for c in self.checks],
            "fixes": self.fixes,
        }


def doctor(
    layout: Layout,
    *,
    fix: bool = False,
    log_dir: Path | None = None,
    service: Service | _Auto | None = AUTO,
    probe: Callable[[int], Health] = probe_health,
    ready_timeout: float = 10.0,
) -> DoctorReport:
    """Run every check; with `fix`, repair what is safe, then check again."""
    snapshot = gather(layout, log_dir=log_dir, service=service, probe=probe)
    report = DoctorReport(checks=run_checks(snapshot))
    if not fix:
        return report
    report.fixes = apply_fixes(snapshot, report.checks, probe=probe, ready_timeout=ready_timeout)
    if report.fixes:
        again = run_checks(gather(layout, log_dir=log_dir, service=snapshot.service, probe=probe))
        before = {c.name: c.status for c in report.checks}
        for check in again:
            check.fixed = before.get(check.name) in (WARN, FAIL) and check.status == OK
        report.checks = again
    return report


def run_checks(s: Snapshot) -> list[Check]:
    """Every check, in the order a person would look."""
    checks = [
        _config_valid(s),
        _install(s),
        _log_dir(s),
        _log_file(s),
        _collector_health(s),
        _ports(s),
        _service(s),
        _unit_file(s),
    ]
    checks += _harnesses(s)
    checks += [_last_event(s), _runtime_log_source(s)]
    return checks


def _config_valid(s: Snapshot) -> Check:
    try:
        load_config(env=s.layout.env)
    except ConfigError as exc:
        return Check("config_valid", FAIL, str(exc), "fix the key named above in beacon.toml")
    if s.manifest_error:
        return Check(
            "config_valid", FAIL, s.manifest_error, "move the manifest aside and install again"
        )
    return Check("config_valid", OK, "beacon.toml and the install manifest load")


def _install(s: Snapshot) -> Check:
    broken = interrupted(s.layout)
    if broken is not None:
        return Check("install", FAIL, broken, ROLL_BACK_ACTION)
    if s.manifest is None:
        return Check(
            "install",
            WARN,
            f"no install manifest at {s.layout.manifest_path}",
            "run `beacon endpoint install`",
        )
    return Check(
        "install",
        OK,
        f"installed {s.manifest.installed_at} for {', '.join(s.manifest.harnesses)}",
    )


def _log_dir(s: Snapshot) -> Check:
    info = s.log
    directory = info["dir"]
    if not info.get("dir_exists"):
        return Check(
            "log_dir",
            FAIL,
            f"{directory} does not exist",
            "create it (0700): `beacon endpoint doctor --fix`",
        )
    world = [p for p in info["problems"] if "world-writable" in p and "runtime.jsonl" not in p]
    if world:
        return Check("log_dir", FAIL, world[0], f"chmod o-w {directory} (doctor --fix does)")
    if not info.get("dir_writable"):
        return Check(
            "log_dir",
            FAIL,
            f"{directory} is not writable by uid {os.getuid()}",
            "fix its owner/permissions",
        )
    return Check("log_dir", OK, f"{directory} writable, mode {info['dir_mode']}")


def _log_file(s: Snapshot) -> Check:
    info = s.log
    if not info["exists"]:
        return Check("log_permissions", WARN, f"{info['path']} not created yet", "")
    problems = [p for p in info["problems"] if "runtime.jsonl" in p]
    if problems:
        mode = "0640" if s.layout.system else "0600"
        status = FAIL if "world-writable" in problems[0] else WARN
        return Check(
            "log_permissions",
            status,
            problems[0],
            f"chmod {mode} {info['path']} (doctor --fix does)",
        )
    if not info.get("writable"):
        return Check(
            "log_permissions", FAIL, f"{info['path']} is not writable by this user", "fix its owner"
        )
    return Check("log_permissions", OK, f"{info['path']} mode {info['mode']}")


def _collector_health(s: Snapshot) -> Check:
    h = s.health
    if h.ok:
        return Check("collector_health", OK, h.detail)
    action = "start the service (doctor --fix does)" if s.service else "run `beacon run`"
    return Check("collector_health", FAIL, h.detail, action)


def _ports(s: Snapshot) -> Check:
    grpc, http = s.settings.grpc_port, s.settings.http_port
    evidence = (
        f"127.0.0.1:{grpc} {'open' if s.grpc_open else 'closed'}, "
        f"127.0.0.1:{http} {'open' if s.http_open else 'closed'}"
    )
    if s.health.ok and s.grpc_open:
        return Check("ports", OK, evidence)
    if s.http_open and not s.health.reachable:
        return Check(
            "ports",
            FAIL,
            evidence + " (not a Beacon collector)",
            "free the port or reinstall with other ports",
        )
    if s.health.ok and not s.grpc_open:
        return Check("ports", FAIL, evidence, "the collector serves HTTP but not gRPC; restart it")
    return Check("ports", FAIL, evidence, "start the collector")


def _service(s: Snapshot) -> Check:
    if s.service is None:
        if s.manifest is not None and s.manifest.service is None:
            return Check(
                "service",
                WARN,
                "installed without a service (--service none)",
                "keep `beacon run` running yourself",
            )
        return Check(
            "service", WARN, "no service manages the collector", "`beacon endpoint install`"
        )
    state = s.service_state
    if state is not None and state.running:
        return Check("service", OK, f"{s.service.kind} {s.service.name}: {state.detail}")
    detail = state.detail if state else "unknown"
    return Check(
        "service",
        FAIL,
        f"{s.service.kind} {s.service.name}: {detail}",
        "start it (doctor --fix does)",
    )


def expected_unit(s: Snapshot) -> bytes | None:
    """The unit file install would write now, for drift checks."""
    if s.service is None:
        return None
    config = s.layout.system_config_path if s.layout.system else None
    spec = ServiceSpec(
        tuple(s.settings.collector_argv(config)),
        s.layout.system,
        s.settings.log_dir,
        s.layout.state_dir,
    )
    return s.service.render(spec)


def _unit_file(s: Snapshot) -> Check:
    name = "launchd_plist" if s.service and s.service.kind == "launchd" else "systemd_unit"
    if s.service is None:
        return Check(name, OK, "no unit (no service)")
    path = s.service.unit_path
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return Check(name, FAIL, f"{path} is missing", "doctor --fix rewrites it")
    if current != expected_unit(s):
        return Check(
            name, FAIL, f"{path} differs from what install wrote", "doctor --fix rewrites it"
        )
    if s.service.kind == "systemd":
        problem = verify_unit(path)
        if problem:
            return Check(name, FAIL, problem, "reinstall (`beacon endpoint install`)")
    return Check(name, OK, f"{path} as installed")


def verify_unit(path: Path) -> str | None:
    """`systemd-analyze verify` findings for a unit file, None when clean or unavailable."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None
    try:
        result = subprocess.run(
            [tool, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    relevant = [
        line for line in (result.stderr + result.stdout).splitlines() if str(path.name) in line
    ]
    if result.returncode != 0 or relevant:
        return "systemd-analyze verify: " + ("; ".join(relevant) or f"exit {result.returncode}")
    return None


def _harnesses(s: Snapshot) -> list[Check]:
    installed = set(s.manifest.harnesses) if s.manifest else set()
    checks = []
    for h in s.harnesses:
        name = f"harness_{h['name']}"
        evidence = f"{h['telemetry']}: {h['detail']}" + (
            f" ({h['config_path']})" if h["config_path"] else ""
        )
        if h["telemetry"] == ENABLED:
            if (
                s.manifest
                and s.manifest.settings.hooks
                and HARNESSES[h["name"]].supports_hooks
                and h["hooks"] != "installed"
                and h["name"] in installed
            ):
                checks.append(
                    Check(
                        name,
                        WARN,
                        evidence + "; Beacon's hooks are missing",
                        "doctor --fix re-adds them",
                    )
                )
            else:
                checks.append(Check(name, OK, evidence))
        elif h["name"] in installed:
            action = "doctor --fix re-applies Beacon's settings"
            if h["name"] == "copilot":
                action = "set the environment printed by install (MDM profile or shell rc)"
            status = WARN if h["name"] == "copilot" else FAIL
            checks.append(Check(name, status, evidence, action))
        else:
            checks.append(
                Check(
                    name,
                    WARN,
                    evidence + " (detected, not configured by Beacon)",
                    f"`beacon endpoint install --harness {h['name']}`",
                )
            )
    return checks


def _last_event(s: Snapshot) -> Check:
    last = s.last_event
    if last is None:
        return Check(
            "last_event",
            WARN,
            f"no events in {s.log_path}",
            "run an agent, or `beacon endpoint test-event`",
        )
    age = last.get("age_seconds")
    evidence = f"{last['timestamp']} {last['action']} ({last['harness']})"
    if age is not None and age > STALE_SECONDS:
        return Check(
            "last_event",
            WARN,
            evidence + f", {age / 3600:.0f} h ago",
            "check the agents' telemetry settings",
        )
    return Check("last_event", OK, evidence)


def _runtime_log_source(s: Snapshot) -> Check:
    warning = s.runtime_log.get("warning")
    if warning:
        return Check("runtime_log_source", WARN, warning, "see the fix in the evidence")
    if not s.health.reachable:
        return Check(
            "runtime_log_source",
            WARN,
            "no collector answered; cannot tell where events go",
            "start the collector",
        )
    return Check(
        "runtime_log_source", OK, f"the collector writes to {s.runtime_log['effective_log_path']}"
    )


def apply_fixes(
    s: Snapshot,
    checks: list[Check],
    *,
    probe: Callable[[int], Health],
    ready_timeout: float,
) -> list[str]:
    """Repair what is safe; returns one line per repair (or why it failed)."""
    failing = {c.name for c in checks if c.status in (WARN, FAIL)}
    done: list[str] = []
    log_dir = s.settings.log_dir
    mode_dir = 0o750 if s.layout.system else 0o700
    if "log_dir" in failing:
        try:
            if not log_dir.exists():
                log_dir.mkdir(parents=True, mode=mode_dir)
                os.chmod(log_dir, mode_dir)
                done.append(f"created {log_dir} (0{mode_dir:o})")
            else:
                current = stat.S_IMODE(log_dir.stat().st_mode)
                os.chmod(log_dir, current & ~stat.S_IWOTH)
                done.append(f"removed world write from {log_dir}")
        except OSError as exc:
            done.append(f"could not fix {log_dir}: {exc.strerror}")
    path = log_dir / "runtime.jsonl"
    if "log_permissions" in failing and path.exists():
        mode = 0o640 if s.layout.system else 0o600
        try:
            os.chmod(path, mode)
            done.append(f"chmod 0{mode:o} {path}")
        except OSError as exc:
            done.append(f"could not chmod {path}: {exc.strerror}")
    reapply = [
        c.name.removeprefix("harness_")
        for c in checks
        if c.name.startswith("harness_")
        and c.status in (WARN, FAIL)
        and s.manifest is not None
        and c.name.removeprefix("harness_") in s.manifest.harnesses
        and c.name != "harness_copilot"
    ]
    unit_broken = bool({"systemd_unit", "launchd_plist"} & failing) and s.service is not None
    service_down = bool({"service", "collector_health"} & failing) and s.service is not None
    if s.manifest is not None and (reapply or unit_broken or service_down):
        names = sorted(set(reapply)) or list(s.manifest.harnesses)
        request = InstallRequest(
            settings=s.settings,
            harnesses=[HARNESSES[n] for n in names],
            service_kind=s.service.kind if s.service else "none",
            start=s.service is not None,
        )
        try:
            result = install(
                request, s.layout, service=s.service, probe=probe, ready_timeout=ready_timeout
            )
            changed = [str(p) for p in result.changed]
            done.append(
                "re-applied install"
                + (f" ({', '.join(changed)})" if changed else "")
                + ("; collector healthy" if result.health and result.health.ok else "")
            )
        except BeaconError as exc:
            done.append(f"could not repair the install: {exc}")
    elif service_down and s.service is not None:
        done.append("service not installed by Beacon; run `beacon endpoint install`")
    if "collector_health" in failing and s.service is None and s.manifest is not None:
        done.append(
            "no service to start: run `beacon run` yourself (installed with --service none)"
        )
    return done


def render_text(report: DoctorReport) -> str:
    """One line per check, then the fixes."""
    lines = []
    for c in report.checks:
        mark = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}[c.status]
        fixed = " (fixed)" if c.fixed else ""
        lines.append(f"[{mark}] {c.name}: {c.evidence}{fixed}")
        if c.action and c.status != OK:
            lines.append(f"       -> {c.action}")
    for line in report.fixes:
        lines.append(f"fix: {line}")
    lines.append("doctor: " + ("problems found" if report.failed else "no failures"))
    return "\n".join(lines)
