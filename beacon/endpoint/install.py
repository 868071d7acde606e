"""`beacon endpoint install`: configure agents and a service for `beacon run`, all or nothing.

The whole plan (every file's new bytes, the unit, the service calls) is computed before
anything changes, so a config Beacon cannot parse stops the install untouched. Then one
`Transaction` backs up and writes each file; the service is (re)started and must answer
`/healthz` from the right log directory within 10 s. Any failure on the way restores
every file and the service's previous state. A second install with the same settings
finds nothing to change and changes nothing.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from beacon._version import __version__
from beacon.config import BeaconConfig, load_config, with_log_dir
from beacon.endpoint import events
from beacon.endpoint.harnesses import HARNESSES, FileEdit, Harness, detected
from beacon.endpoint.layout import Layout
from beacon.endpoint.manifest import FileRecord, Manifest, load_manifest
from beacon.endpoint.probe import Health, port_open, probe_health, wait_ready
from beacon.endpoint.service import Service, ServiceSpec, ServiceState, select_service
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.transaction import Transaction, read_bytes, recover, sha256
from beacon.errors import BeaconError, ConfigError, EndpointError, UsageError
from beacon.schema.event import now_timestamp

SERVICE_OWNER = "service"
CONFIG_OWNER = "config"
SYSTEM_CONFIG = b"""\
# Written by `beacon endpoint install --system` for the system collector service.
# Log files are group-readable (0640 in a 0750 directory); see docs/configuration.md.
[writer]
mode = "system"
"""


class _Auto:
    """Marker: pick the service from `--service` (or the manifest)."""


AUTO = _Auto()


@dataclass(frozen=True)
class InstallRequest:
    """What the user asked `install` for."""

    settings: EndpointSettings
    harnesses: list[Harness] | None = None  # None: every detected one
    service_kind: str = "auto"
    start: bool = True
    dry_run: bool = False


@dataclass
class PlannedFile:
    """One file the plan touches, with its bytes before and after."""

    edit: FileEdit
    owner: str
    current: bytes | None
    new: bytes

    @property
    def changes(self) -> bool:
        """Whether writing would change the file's content."""
        return self.new != self.current


@dataclass
class InstallResult:
    """What install did (or, with `--dry-run`, would do)."""

    lines: list[str] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    harnesses: list[str] = field(default_factory=list)
    guidance: list[str] = field(default_factory=list)
    service: Service | None = None
    health: Health | None = None
    manifest: Manifest | None = None
    dry_run: bool = False


def event_config(layout: Layout, log_dir: Path) -> BeaconConfig:
    """The config endpoint events are written with: the user's beacon.toml (redaction
    rules) when it loads, the install's log directory, system file modes in system mode."""
    try:
        config = load_config(env=layout.env)
    except ConfigError:
        config = BeaconConfig()
    config = with_log_dir(config, log_dir)
    if layout.system:
        config = replace(config, writer=replace(config.writer, mode="system"))
    return config


def require_root(layout: Layout) -> None:
    """System mode changes system paths: refuse without root (unless under a test root)."""
    if layout.system and layout.root == Path("/") and os.geteuid() != 0:
        raise UsageError("--system changes system paths and services; run it as root (sudo)")


def install(
    request: InstallRequest,
    layout: Layout,
    *,
    service: Service | _Auto | None = AUTO,
    probe: Callable[[int], Health] = probe_health,
    ready_timeout: float = 10.0,
    sleep: Callable[[float], None] | None = None,
) -> InstallResult:
    """Configure the harnesses and the collector service; see the module docstring."""
    require_root(layout)
    settings = request.settings
    recovered = [] if request.dry_run else recover_interrupted(layout)
    previous = load_manifest(layout.manifest_path)
    harnesses = request.harnesses if request.harnesses is not None else detected(layout)
    if not harnesses:
        raise UsageError(
            "no agent detected on this endpoint (looked for claude, codex, gemini, cursor, "
            "VS Code, copilot); name them with --harness"
        )
    if isinstance(service, _Auto):
        service = select_service(request.service_kind, layout)
    config_path = layout.system_config_path if layout.system else None
    spec = ServiceSpec(
        tuple(settings.collector_argv(config_path)),
        layout.system,
        settings.log_dir,
        layout.state_dir,
    )
    planned = _plan(harnesses, layout, settings, service, spec, config_path)
    result = InstallResult(
        harnesses=[h.name for h in harnesses],
        guidance=[line for h in harnesses for line in h.guidance(settings)],
        service=service,
        dry_run=request.dry_run,
    )
    if request.start and service is not None:
        _preflight_ports(settings, probe)
    if request.dry_run:
        result.lines = _describe(planned, service, request, layout, settings)
        if layout.journal_path.exists():
            result.lines.insert(
                0, f"would first roll back the interrupted install that left {layout.journal_path}"
            )
        return result

    prev_state = service.control.state() if service is not None else None
    tx = Transaction(layout.backup_dir, journal=layout.journal_path)
    touched_service = False
    try:
        tx.mkdir(layout.state_dir, 0o700)
        tx.mkdir(settings.log_dir, 0o750 if layout.system else 0o700)
        for item in planned:
            if item.changes:
                owner = layout.owner if item.owner.startswith("harness:") else None
                tx.write(item.edit.path, item.new, item.edit.mode, owner=owner)
        if service is not None and request.start:
            assert prev_state is not None
            unit_changed = service.unit_path in tx.changes
            if unit_changed or not prev_state.running:
                touched_service = True
                if unit_changed:
                    service.control.reload()
                service.control.start(spec, restart=prev_state.running)
            result.health = _await_health(settings, probe, ready_timeout, sleep)
        changed = list(tx.changes)
        manifest = _merge_manifest(
            previous, tx, planned, layout, settings, harnesses, service, result
        )
        tx.write(layout.manifest_path, manifest.dumps(), 0o600)  # a no-op when unchanged
        tx.discard_backup(layout.manifest_path)
        if changed:
            event = events.telemetry_enabled(
                layout.mode,
                [HARNESSES[n].runtime for n in manifest.harnesses],
                settings.to_json(),
                service.kind if service else "none",
            )
            from beacon.ingest import write_events

            write_events([event], event_config(layout, settings.log_dir))
        result.changed = changed
        result.manifest = manifest
        tx.commit()
    except BaseException as exc:
        problems = tx.rollback()
        if touched_service and service is not None and prev_state is not None:
            problems += _restore_service(service, prev_state, spec)
        if isinstance(exc, (BeaconError, OSError)):
            note = "; could not restore: " + "; ".join(problems) if problems else ""
            raise EndpointError(
                f"install failed, every change was rolled back: {exc}{note}"
            ) from exc
        raise
    result.lines = recovered + _summary(result, planned, service, request, layout, settings)
    return result


ROLL_BACK_ACTION = (
    "run `beacon endpoint install` or `beacon endpoint uninstall`: either rolls it back first"
)


def interrupted(layout: Layout) -> str | None:
    """Why an interrupted install needs attention (its journal is left), else None; status
    and doctor say it with `ROLL_BACK_ACTION`."""
    journal = layout.journal_path
    if not journal.exists():
        return None
    return f"an install was interrupted ({journal} is left): agent settings may hold half of it"


def recover_interrupted(layout: Layout) -> list[str]:
    """Roll back what an install killed mid-way (its journal is still there) had changed,
    so that this run starts from the user's own files; lines saying what was undone.
    EndpointError when something cannot be put back: nothing more is changed then."""
    done, problems = recover(layout.journal_path)
    if problems:
        raise EndpointError(
            "an interrupted install could not be rolled back: "
            + "; ".join(problems)
            + f"; put those files right, then delete {layout.journal_path}"
        )
    if not done:
        return []
    return [f"rolled back an interrupted install ({len(done)} files):", *(f"  {d}" for d in done)]


def _plan(
    harnesses: list[Harness],
    layout: Layout,
    settings: EndpointSettings,
    service: Service | None,
    spec: ServiceSpec,
    config_path: Path | None,
) -> list[PlannedFile]:
    """Every file install writes, with its new bytes; raises before anything changes."""
    planned: list[PlannedFile] = []
    for harness in harnesses:
        for edit in harness.edits(layout, settings):
            current = read_bytes(edit.path)
            new = harness.configure(edit, current, settings)
            planned.append(PlannedFile(edit, f"harness:{harness.name}", current, new))
    if config_path is not None:
        edit = FileEdit(config_path, "beacon.config", 0o600)
        planned.append(PlannedFile(edit, CONFIG_OWNER, read_bytes(config_path), SYSTEM_CONFIG))
    if service is not None:
        edit = FileEdit(service.unit_path, f"{service.kind}.unit", 0o644)
        planned.append(
            PlannedFile(edit, SERVICE_OWNER, read_bytes(service.unit_path), service.render(spec))
        )
    return planned


def _preflight_ports(settings: EndpointSettings, probe: Callable[[int], Health]) -> None:
    """The ports must be free, or served by a Beacon collector writing to this log dir."""
    busy = [p for p in (settings.grpc_port, settings.http_port) if port_open(p)]
    if not busy:
        return
    health = probe(settings.http_port)
    if health.ok and health.writes_to(settings.log_dir):
        return  # our own collector (a re-install); it is restarted if its unit changes
    if health.ok:
        raise EndpointError(
            f"127.0.0.1:{settings.http_port} is served by another Beacon collector writing to "
            f"{health.log_dir}, not {settings.log_dir}; stop it (or uninstall the other mode) "
            "or choose --otlp-grpc-port/--otlp-http-port. Nothing was changed"
        )
    ports = ", ".join(f"127.0.0.1:{p}" for p in busy)
    raise EndpointError(
        f"{ports} in use by another program ({health.detail}); free the port or choose "
        "--otlp-grpc-port/--otlp-http-port. Nothing was changed"
    )


def _await_health(
    settings: EndpointSettings,
    probe: Callable[[int], Health],
    timeout: float,
    sleep: Callable[[float], None] | None,
) -> Health:
    kwargs: dict[str, Any] = {"timeout": timeout, "probe": probe}
    if sleep is not None:
        kwargs["sleep"] = sleep
    health = wait_ready(settings.http_port, **kwargs)
    if not health.ok:
        raise EndpointError(
            f"the collector did not answer /healthz within {timeout:.0f} s ({health.detail}); "
            "see `beacon endpoint doctor` and the service's log"
        )
    if health.writes_to(settings.log_dir) is False:
        raise EndpointError(
            f"the collector on 127.0.0.1:{settings.http_port} writes to {health.log_dir}, "
            f"not {settings.log_dir} (another collector holds the port)"
        )
    return health


def _restore_service(service: Service, before: ServiceState, spec: ServiceSpec) -> list[str]:
    """Put the service back as it was: re-read the restored unit; run it again or stop it."""
    problems: list[str] = []
    try:
        service.control.reload()
        if before.running:
            service.control.start(spec, restart=True)
        else:
            service.control.stop()
    except BeaconError as exc:
        problems.append(f"service: {exc}")
    return problems


def _merge_manifest(
    previous: Manifest | None,
    tx: Transaction,
    planned: list[PlannedFile],
    layout: Layout,
    settings: EndpointSettings,
    harnesses: list[Harness],
    service: Service | None,
    result: InstallResult,
) -> Manifest:
    """The manifest after this install: the first install's "before" of each file is kept."""
    now = now_timestamp()
    owners = {p.edit.path: p for p in planned}
    if previous is None:
        manifest = Manifest(layout.mode, settings, installed_at=now, beacon_version=__version__)
    else:
        manifest = previous
        manifest.settings = settings
    names = list(dict.fromkeys([*manifest.harnesses, *(h.name for h in harnesses)]))
    manifest.harnesses = [n for n in HARNESSES if n in names]
    for path, change in tx.changes.items():
        if path == layout.manifest_path:
            continue
        record = manifest.record(path)
        if record is not None:
            record.sha256_after, record.mode_after = sha256(change.current), change.mode_after
            tx.discard_backup(path)  # the manifest already holds the user's original
            continue
        item = owners[path]
        manifest.files.append(
            FileRecord(
                path=path,
                owner=item.owner,
                kind=item.edit.kind,
                existed=change.existed,
                mode_before=change.mode_before,
                backup=change.backup,
                sha256_before=sha256(change.original),
                sha256_after=sha256(change.current),
                mode_after=change.mode_after,
            )
        )
    for directory in tx.created_dirs:
        if directory not in manifest.created_dirs:
            manifest.created_dirs.append(directory)
    manifest.service = service.to_json() if service is not None else manifest.service
    manifest.guidance = result.guidance
    if tx.changes:
        manifest.updated_at = now
        manifest.beacon_version = __version__
    return manifest


def _describe(
    planned: list[PlannedFile],
    service: Service | None,
    request: InstallRequest,
    layout: Layout,
    settings: EndpointSettings,
) -> list[str]:
    """The `--dry-run` report: files with diffs (secrets redacted), then commands."""
    from beacon.pipeline.redact import Redactor

    redactor = Redactor(prefilter=False)
    lines = [f"Dry run ({layout.mode} mode): nothing is changed."]
    changing = [p for p in planned if p.changes]
    if not changing:
        lines.append("Every file is already as install would write it.")
    for item in changing:
        verb = "modify" if item.current is not None else "create"
        lines.append(f"would {verb} {item.edit.path} (mode 0{item.edit.mode:o}, {item.owner})")
        before = (item.current or b"").decode("utf-8", "replace").splitlines(keepends=True)
        after = item.new.decode("utf-8", "replace").splitlines(keepends=True)
        diff = difflib.unified_diff(
            before, after, f"{item.edit.path} (now)", f"{item.edit.path} (after install)", n=2
        )
        for row in diff:
            lines.append("    " + redactor.redact_text(row.rstrip("\n"))[0])
    lines.append(f"would create {settings.log_dir} (runtime.jsonl) and {layout.state_dir}")
    if service is None:
        lines.append("no service (--service none): " + run_hint(settings, layout))
    elif request.start:
        lines.extend(f"would run: {c}" for c in service.start_commands)
        lines.append(f"would wait for http://127.0.0.1:{settings.http_port}/healthz (10 s)")
    lines.append(f"would write {layout.manifest_path} and a telemetry.enabled event")
    return lines


def run_hint(settings: EndpointSettings, layout: Layout) -> str:
    """How to run the collector by hand when no service manages it."""
    import shlex

    config = layout.system_config_path if layout.system else None
    return "run the collector yourself: " + shlex.join(settings.collector_argv(config))


def _summary(
    result: InstallResult,
    planned: list[PlannedFile],
    service: Service | None,
    request: InstallRequest,
    layout: Layout,
    settings: EndpointSettings,
) -> list[str]:
    lines: list[str] = []
    if not result.changed:
        lines.append("Already installed: nothing to change.")
    for path in result.changed:
        if path != layout.manifest_path:
            lines.append(f"configured {path}")
    names = ", ".join(result.harnesses)
    lines.append(f"harnesses: {names}; logs: {settings.log_dir}/runtime.jsonl")
    if service is None:
        lines.append("no service: " + run_hint(settings, layout))
    elif not request.start:
        lines.append(f"{service.kind} unit {service.unit_path} written; start it with:")
        lines.extend(f"  {c}" for c in service.start_commands)
    elif result.health is not None:
        lines.append(
            f"collector running ({service.kind} {service.name}), healthy on "
            f"127.0.0.1:{settings.grpc_port} (gRPC) and 127.0.0.1:{settings.http_port} (HTTP)"
        )
    lines.extend(result.guidance)
    lines.append(f"manifest: {layout.manifest_path}; undo with `beacon endpoint uninstall`")
    return lines
