"""`beacon endpoint status` (and `beacon status`): how this endpoint's telemetry is doing.

`gather` looks at everything once (manifest, service manager, `/healthz`, ports, the log
file, each harness's settings, inventory and shipper state) into a `Snapshot`; status
renders it and doctor judges it. The runtime-log source check compares the log directory
the collector on the ports reports with the one this mode expects: when a system-mode
collector serves the ports while the user reads the per-user log (or the reverse), it
says which file the events really go to and how to fix it. The dashboard can call
`runtime_log_source` for the same answer.
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon._version import __version__
from beacon.endpoint.harnesses import HARNESSES, HarnessState
from beacon.endpoint.harnesses.base import MISCONFIGURED, MISSING
from beacon.endpoint.install import AUTO, ROLL_BACK_ACTION, _Auto, interrupted
from beacon.endpoint.layout import Layout
from beacon.endpoint.manifest import Manifest, load_manifest
from beacon.endpoint.probe import Health, port_open, probe_health, same_dir
from beacon.endpoint.service import Service, ServiceState, service_from_manifest
from beacon.endpoint.settings import EndpointSettings
from beacon.errors import BeaconError, ConfigError
from beacon.schema.event import parse_timestamp

TAIL_BYTES = 64 * 1024


@dataclass
class Snapshot:
    """One look at the endpoint, shared by status and doctor."""

    layout: Layout
    manifest: Manifest | None
    manifest_error: str | None
    settings: EndpointSettings
    service: Service | None
    service_state: ServiceState | None
    health: Health
    grpc_open: bool
    http_open: bool
    log: dict[str, Any]
    last_event: dict[str, Any] | None
    harnesses: list[dict[str, Any]]
    inventory: dict[str, Any] | None
    shipper: list[dict[str, Any]]
    runtime_log: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        """The runtime log this mode reads."""
        return self.settings.log_dir / "runtime.jsonl"


def gather(
    layout: Layout,
    *,
    log_dir: Path | None = None,
    service: Service | _Auto | None = AUTO,
    probe: Any = probe_health,
) -> Snapshot:
    """Everything status and doctor need, read-only."""
    manifest, manifest_error = None, None
    try:
        manifest = load_manifest(layout.manifest_path)
    except (BeaconError, OSError) as exc:  # corrupt, or not readable by this user
        manifest_error = str(exc)
    if manifest is not None:
        settings = manifest.settings
    else:
        settings = EndpointSettings(log_dir=layout.default_log_dir, beacon_argv=("beacon",))
    if log_dir is not None:
        settings = EndpointSettings.from_json({**settings.to_json(), "log_dir": str(log_dir)})
    if isinstance(service, _Auto):
        try:
            service = service_from_manifest(manifest.service if manifest else None, layout)
        except BeaconError:
            service = None
    service_state = None
    if service is not None:
        try:
            service_state = service.control.state()
        except BeaconError as exc:
            service_state = ServiceState(False, False, str(exc))
    health: Health = probe(settings.http_port)
    snapshot = Snapshot(
        layout=layout,
        manifest=manifest,
        manifest_error=manifest_error,
        settings=settings,
        service=service,
        service_state=service_state,
        health=health,
        grpc_open=port_open(settings.grpc_port),
        http_open=health.reachable or port_open(settings.http_port),
        log=log_info(settings.log_dir, system=layout.system),
        last_event=last_event(settings.log_dir / "runtime.jsonl"),
        harnesses=harness_states(layout, settings, manifest),
        inventory=_inventory(settings.log_dir / "inventory_state.jsonl"),
        shipper=_shipper(layout, settings.log_dir),
        runtime_log=runtime_log_source(layout, settings, health),
    )
    broken = interrupted(layout)
    if broken is not None:
        snapshot.warnings.append(f"{broken}; {ROLL_BACK_ACTION}")
    if snapshot.runtime_log.get("warning"):
        snapshot.warnings.append(snapshot.runtime_log["warning"])
    return snapshot


def runtime_log_source(
    layout: Layout, settings: EndpointSettings, health: Health
) -> dict[str, Any]:
    """Which runtime.jsonl the events on this mode's ports reach, with a warning when it is
    not the one this mode reads."""
    expected = settings.log_dir / "runtime.jsonl"
    out: dict[str, Any] = {
        "mode": layout.mode,
        "expected_log_path": str(expected),
        "effective_log_path": str(expected),
        "collector_log_dir": health.log_dir,
        "warning": None,
    }
    if (
        not health.reachable
        or health.log_dir is None
        or same_dir(Path(health.log_dir), settings.log_dir)
    ):
        return out
    actual = Path(health.log_dir) / "runtime.jsonl"
    out["effective_log_path"] = str(actual)
    other = layout.other_mode()
    try:
        other_manifest = load_manifest(other.manifest_path)
    except (BeaconError, OSError):  # e.g. /var/lib/beacon-agent is root's alone
        other_manifest = None
    other_log = other_manifest.settings.log_dir if other_manifest else other.default_log_dir
    if same_dir(other_log, Path(health.log_dir)):
        who = f"a {other.mode}-mode collector"
        if other.system:
            fix = (
                "stop it (`sudo beacon endpoint uninstall --system`, or `sudo systemctl stop "
                "beacon-collector.service`) or read the system log instead"
            )
        else:
            fix = (
                "stop the user collector (`beacon endpoint uninstall`, or `systemctl --user stop "
                "beacon-collector.service`) or give the modes different --otlp-*-port values"
            )
    else:
        who = "another collector"
        fix = "stop it, or reinstall with different --otlp-grpc-port/--otlp-http-port"
    out["warning"] = (
        f"The collector on 127.0.0.1:{settings.http_port} is {who} writing to {actual}, not "
        f"{expected} (the {layout.mode}-mode log): agent events are going to {actual}. Fix: {fix}."
    )
    return out


def log_info(log_dir: Path, *, system: bool) -> dict[str, Any]:
    """The runtime log's path, modes, size and what is wrong with its permissions."""
    path = log_dir / "runtime.jsonl"
    info: dict[str, Any] = {"path": str(path), "dir": str(log_dir), "exists": False, "problems": []}
    problems: list[str] = info["problems"]
    try:
        dst = log_dir.stat()
    except FileNotFoundError:
        info["dir_exists"] = False
        return info
    info["dir_exists"] = True
    info["dir_mode"] = f"0{stat.S_IMODE(dst.st_mode):o}"
    info["dir_writable"] = os.access(log_dir, os.W_OK | os.X_OK)
    if dst.st_mode & stat.S_IWOTH and not dst.st_mode & stat.S_ISVTX:
        problems.append(f"{log_dir} is world-writable (0{stat.S_IMODE(dst.st_mode):o})")
    if not info["dir_writable"]:
        problems.append(f"{log_dir} is not writable by this user")
    try:
        fst = path.stat()
    except FileNotFoundError:
        return info
    info.update(
        exists=True,
        mode=f"0{stat.S_IMODE(fst.st_mode):o}",
        size_bytes=fst.st_size,
        uid=fst.st_uid,
        writable=os.access(path, os.W_OK),
    )
    if fst.st_mode & stat.S_IWOTH:
        problems.append(f"{path} is world-writable")
    elif not system and fst.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        problems.append(
            f"{path} is readable by others (0{stat.S_IMODE(fst.st_mode):o}); it holds prompts"
        )
    return info


def last_line(path: Path) -> dict[str, Any] | None:
    """The last complete JSON line of a JSONL file (None if there is none)."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except (FileNotFoundError, PermissionError):
        return None
    for line in reversed(tail.split(b"\n")):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        return doc if isinstance(doc, dict) else None
    return None


def last_event(path: Path) -> dict[str, Any] | None:
    """Time, action and harness of the newest event (never its content: it may be a prompt)."""
    doc = last_line(path)
    if doc is None:
        return None
    out: dict[str, Any] = {
        "timestamp": doc.get("timestamp"),
        "action": (doc.get("event") or {}).get("action"),
        "harness": (doc.get("harness") or {}).get("name"),
        "age_seconds": _age(doc.get("timestamp")),
    }
    return out


def _age(timestamp: Any) -> float | None:
    if not isinstance(timestamp, str):
        return None
    try:
        return round(max(0.0, time.time() - parse_timestamp(timestamp).timestamp()), 1)
    except ValueError:
        return None


def harness_states(
    layout: Layout, settings: EndpointSettings, manifest: Manifest | None
) -> list[dict[str, Any]]:
    """Each harness Beacon configured or that is present, with its telemetry status."""
    installed = set(manifest.harnesses if manifest else [])
    out = []
    for name, harness in HARNESSES.items():
        try:
            state = harness.check(layout, settings)
        except (ConfigError, OSError) as exc:
            state = HarnessState(name, harness.runtime, MISCONFIGURED, str(exc))
        detected = harness.detected(layout)
        if name not in installed and not detected and state.status == MISSING:
            continue
        out.append(
            {
                "name": name,
                "runtime": harness.runtime,
                "title": harness.title,
                "installed_by_beacon": name in installed,
                "detected": detected,
                "telemetry": state.status,
                "detail": state.detail,
                "config_path": state.path,
                "hooks": state.hooks,
            }
        )
    return out


def _inventory(path: Path) -> dict[str, Any] | None:
    doc = last_line(path)
    if doc is None:
        return None
    return {
        "path": str(path),
        "last_action": (doc.get("event") or {}).get("action"),
        "last_timestamp": doc.get("timestamp"),
        "age_seconds": _age(doc.get("timestamp")),
    }


def _shipper(layout: Layout, log_dir: Path) -> list[dict[str, Any]]:
    """`beacon ship` state per sink found under `~/.beacon/ship/` (read-only)."""
    root = layout.home / ".beacon" / "ship"
    if layout.system or not root.is_dir():
        return []
    from shippers._status import stream_status
    from shippers.config import STREAMS

    out = []
    for state_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        streams = [stream_status(log_dir, state_dir, s) for s in STREAMS]
        out.append({"sink": state_dir.name, "state_dir": str(state_dir), "streams": streams})
    return out


def status_report(snapshot: Snapshot) -> dict[str, Any]:
    """The `--json` document."""
    s = snapshot
    service: dict[str, Any] = {"kind": "none"}
    if s.service is not None:
        service = {
            **s.service.to_json(),
            "unit_present": s.service.unit_path.exists(),
            "loaded": s.service_state.loaded if s.service_state else False,
            "running": s.service_state.running if s.service_state else False,
            "detail": s.service_state.detail if s.service_state else "",
        }
    return {
        "version": __version__,
        "mode": s.layout.mode,
        "installed": s.manifest is not None,
        "manifest": str(s.layout.manifest_path),
        "manifest_error": s.manifest_error,
        "collector": {
            "otlp_grpc_port": s.settings.grpc_port,
            "otlp_http_port": s.settings.http_port,
            "grpc_port_open": s.grpc_open,
            "http_port_open": s.http_open,
            "reachable": s.health.reachable,
            "healthy": s.health.ok,
            "detail": s.health.detail,
            "log_dir": s.health.log_dir,
            "uptime_seconds": s.health.body.get("uptime_seconds"),
        },
        "service": service,
        "log": s.log,
        "last_event": s.last_event,
        "harnesses": s.harnesses,
        "inventory": s.inventory,
        "shipper": s.shipper,
        "runtime_log": s.runtime_log,
        "warnings": s.warnings,
    }


def render_text(report: dict[str, Any]) -> str:
    """The human form of `status_report`."""
    lines = [f"Agent Beacon {report['version']} endpoint ({report['mode']} mode)"]
    if report["manifest_error"]:
        lines.append(f"  install:   manifest unreadable: {report['manifest_error']}")
    elif report["installed"]:
        lines.append(f"  install:   installed (manifest {report['manifest']})")
    else:
        lines.append("  install:   not installed (`beacon endpoint install`)")
    c = report["collector"]
    health = "healthy" if c["healthy"] else ("unhealthy" if c["reachable"] else "not reachable")
    lines.append(
        f"  collector: {health} on 127.0.0.1:{c['otlp_grpc_port']} (gRPC, "
        f"{'open' if c['grpc_port_open'] else 'closed'}) and 127.0.0.1:{c['otlp_http_port']} "
        f"(HTTP){'; writes to ' + c['log_dir'] if c['log_dir'] else ''}"
    )
    svc = report["service"]
    if svc["kind"] == "none":
        lines.append("  service:   none")
    else:
        state = (
            "running"
            if svc["running"]
            else ("loaded, not running" if svc["loaded"] else "not loaded")
        )
        lines.append(f"  service:   {svc['kind']} {svc['name']}: {state} ({svc['detail']})")
    log = report["log"]
    if log["exists"]:
        lines.append(f"  log:       {log['path']} ({log['mode']}, {log['size_bytes']} bytes)")
    else:
        lines.append(f"  log:       {log['path']} (not created yet)")
    for problem in log["problems"]:
        lines.append(f"             ! {problem}")
    last = report["last_event"]
    if last:
        lines.append(
            f"  last event: {last['timestamp']} {last['action']} ({last['harness']}, "
            f"{_human_age(last['age_seconds'])} ago)"
        )
    else:
        lines.append("  last event: none")
    inv = report["inventory"]
    lines.append(
        f"  inventory: last {inv['last_action']} {_human_age(inv['age_seconds'])} ago"
        if inv
        else "  inventory: none written yet"
    )
    lines.append("  harnesses:")
    for h in report["harnesses"] or []:
        mark = " (installed by Beacon)" if h["installed_by_beacon"] else ""
        lines.append(
            f"    {h['name']:<8} {h['telemetry']:<14} {h['detail']}{mark}; hooks {h['hooks']}"
        )
    if not report["harnesses"]:
        lines.append("    none detected")
    for ship in report["shipper"]:
        lags = ", ".join(f"{s['stream']} lag {s.get('lag_bytes', '?')} B" for s in ship["streams"])
        lines.append(f"  shipper:   {ship['sink']}: {lags}")
    for warning in report["warnings"]:
        lines.append(f"WARNING: {warning}")
    return "\n".join(lines)


def _human_age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"
