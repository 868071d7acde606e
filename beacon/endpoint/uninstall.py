"""`beacon endpoint uninstall`: undo what the manifest says install did.

The service is stopped and its unit removed first, so nothing writes while logs go.
Each file goes back to its pre-install bytes and mode when nobody edited it since (its
hash is still the one Beacon wrote); an edited file keeps the edits and loses only
Beacon's keys, with the user's original values put back. Logs and rotated archives hold
prompts and commands, so they are deleted unless `--keep-logs`. Whatever cannot be
undone is collected and reported (exit 1), never skipped silently; the manifest and its
backups are then kept so a second run can finish the job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from beacon.endpoint import events
from beacon.endpoint.harnesses import HARNESSES, FileEdit
from beacon.endpoint.install import (
    AUTO,
    SERVICE_OWNER,
    _Auto,
    event_config,
    recover_interrupted,
    require_root,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.manifest import FileRecord, Manifest, load_manifest
from beacon.endpoint.service import Service, service_from_manifest
from beacon.endpoint.transaction import read_bytes, sha256, write_atomic
from beacon.errors import BeaconError

LOG_STEMS = ("runtime.jsonl", "inventory_state.jsonl")
# Beacon's own files in a state directory install did not create (inventory TTL state).
STATE_FILES = ("inventory.state", "inventory.lock")


@dataclass
class UninstallResult:
    """What uninstall did (or would do), and what it could not."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    installed: bool = True


def log_files(log_dir: Path) -> list[Path]:
    """Beacon's files in a log directory: both streams, their archives, locks, torn tails."""
    if not log_dir.is_dir():
        return []
    return sorted(
        p for p in log_dir.iterdir() if any(p.name.startswith(stem) for stem in LOG_STEMS)
    )


def uninstall(
    layout: Layout,
    *,
    keep_logs: bool = False,
    keep_config: bool = False,
    dry_run: bool = False,
    service: Service | _Auto | None = AUTO,
) -> UninstallResult:
    """Remove Beacon's service, settings and (unless kept) logs; see the module docstring."""
    require_root(layout)
    result = UninstallResult(dry_run=dry_run)
    if dry_run and layout.journal_path.exists():
        result.lines.append(
            f"would roll back the interrupted install that left {layout.journal_path}"
        )
    elif not dry_run:
        result.lines += recover_interrupted(layout)
    manifest = load_manifest(layout.manifest_path)
    if manifest is None:
        result.installed = bool(result.lines)  # an interrupted install was undone
        if not result.lines:
            result.lines.append(
                f"Nothing to uninstall: no install manifest at {layout.manifest_path}."
            )
        return result
    if isinstance(service, _Auto):
        service = service_from_manifest(manifest.service, layout)
    if dry_run:
        result.lines = _describe(manifest, service, keep_logs, keep_config)
        return result

    if service is not None:
        try:
            state = service.control.state()
            if state.loaded or state.running:
                service.control.stop()
                result.lines.append(f"stopped {service.kind} {service.name}")
        except BeaconError as exc:
            result.problems.append(f"service {service.name}: {exc}")

    restored_ok: list[FileRecord] = []
    for record in reversed(manifest.files):
        if keep_config and record.owner.startswith("harness:"):
            result.lines.append(f"kept {record.path} (--keep-config)")
            continue
        try:
            result.lines.append(_restore(record, manifest))
            restored_ok.append(record)
        except (BeaconError, OSError) as exc:
            result.problems.append(f"{record.path}: {exc}")

    if service is not None and any(r.owner == SERVICE_OWNER for r in restored_ok):
        with contextlib.suppress(BeaconError):
            service.control.reload()  # forget the removed unit

    log_dir = manifest.settings.log_dir
    if keep_logs:
        _note_disabled(layout, manifest, result)
    else:
        removable = log_files(log_dir)
        removable += [f for f in (service.output_files if service else ()) if f.exists()]
        if not layout.system:
            spool = layout.home / ".beacon" / "endpoint" / "spool"
            if spool.is_dir():
                removable.append(spool)
        for path in removable:
            try:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                result.problems.append(f"{path}: {exc.strerror}")
        if removable:
            result.lines.append(f"removed {len(removable)} log files from {log_dir}")

    if result.problems:
        result.lines.append(
            f"kept {layout.manifest_path} and its backups so `beacon endpoint uninstall` can retry"
        )
        return result
    for record in manifest.files:
        if record.backup is not None:
            with contextlib.suppress(FileNotFoundError):
                record.backup.unlink()
    with contextlib.suppress(FileNotFoundError):
        layout.manifest_path.unlink()
    _clear_state(layout, manifest)
    for directory in reversed(manifest.created_dirs):
        with contextlib.suppress(OSError):
            directory.rmdir()  # only when empty: anything else in it is not ours
    result.lines.append("Beacon endpoint setup removed.")
    return result


def _clear_state(layout: Layout, manifest: Manifest) -> None:
    """Remove Beacon's state: all of a state directory install created (nothing else
    writes there), else only Beacon's known files."""
    state = layout.state_dir
    if state in manifest.created_dirs and state.is_dir() and not state.is_symlink():
        for path in state.iterdir():
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        return
    for name in (*STATE_FILES, "backups"):
        path = state / name
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() else path.unlink()


def _restore(record: FileRecord, manifest: Manifest) -> str:
    """Put one file back; returns what was done."""
    current = read_bytes(record.path)
    original = read_bytes(record.backup) if record.backup is not None else None
    if record.existed and original is None:
        raise BeaconError(f"backup {record.backup} is missing; restore the file by hand")
    untouched = current is not None and sha256(current) == record.sha256_after
    if current is None or untouched or not record.owner.startswith("harness:"):
        if not record.existed:
            with contextlib.suppress(FileNotFoundError):
                record.path.unlink()
            return f"removed {record.path}"
        assert original is not None
        write_atomic(record.path, original, record.mode_before or 0o600)
        return f"restored {record.path}"
    harness = HARNESSES[record.owner.split(":", 1)[1]]
    edit = FileEdit(record.path, record.kind)
    reverted = harness.revert(
        edit, current, original if record.existed else None, manifest.settings
    )
    if reverted is None:
        record.path.unlink()
        return f"removed {record.path} (only Beacon's settings were left in it)"
    mode = os.stat(record.path).st_mode & 0o7777
    write_atomic(record.path, reverted, mode)
    return f"removed Beacon's settings from {record.path} (edited since install; edits kept)"


def _note_disabled(layout: Layout, manifest: Manifest, result: UninstallResult) -> None:
    """With `--keep-logs`, the kept log says when telemetry stopped."""
    from beacon.ingest import write_events

    runtimes = [HARNESSES[n].runtime for n in manifest.harnesses if n in HARNESSES]
    try:
        write_events(
            [events.telemetry_disabled(layout.mode, runtimes)],
            event_config(layout, manifest.settings.log_dir),
        )
    except (BeaconError, OSError) as exc:
        result.problems.append(f"telemetry.disabled event: {exc}")


def _describe(
    manifest: Manifest, service: Service | None, keep_logs: bool, keep_config: bool
) -> list[str]:
    lines = ["Dry run: nothing is changed."]
    if service is not None:
        lines.extend(f"would run: {c}" for c in service.stop_commands)
    for record in reversed(manifest.files):
        if keep_config and record.owner.startswith("harness:"):
            lines.append(f"would keep {record.path} (--keep-config)")
            continue
        current = read_bytes(record.path)
        if (
            current is not None
            and sha256(current) != record.sha256_after
            and record.owner.startswith("harness:")
        ):
            lines.append(
                f"would remove Beacon's settings from {record.path} (edited since install)"
            )
        elif record.existed:
            lines.append(f"would restore {record.path} from {record.backup}")
        else:
            lines.append(f"would remove {record.path}")
    log_dir = manifest.settings.log_dir
    if keep_logs:
        lines.append(f"would keep the logs in {log_dir} (--keep-logs)")
    else:
        files = log_files(log_dir)
        lines.append(f"would delete {len(files)} log files in {log_dir} (they hold prompts)")
    lines.append("would delete the install manifest and its backups")
    return lines
