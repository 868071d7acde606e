"""One `--write-event` run: gate (lock, TTL, back-off), collect, compare with the log's
last snapshot, append through the ingest path, record the state.

Triggers: `manual` (a person or a script), `hook` (a `SessionStart` hook, through
`beacon.inventory.trigger`), `schedule` (`beacon run`), `install` (endpoint setup). Only
`hook` runs honour the TTL and back-off (`--force` skips both); every trigger takes the
lock, so two runs never interleave, and none skips the digest comparison.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from beacon.config import BeaconConfig
from beacon.errors import StorageError
from beacon.inventory import state
from beacon.inventory.history import INVENTORY_FILE, last_snapshot_digest
from beacon.inventory.parts import heartbeat_event, metadata, snapshot_events
from beacon.inventory.scope import Scope
from beacon.inventory.snapshot import Inventory, collect

if TYPE_CHECKING:
    from beacon.ingest import Ingest
    from beacon.schema.event import Event

TRIGGERS = ("manual", "hook", "schedule", "install")
INITIAL, CHANGED, UNCHANGED = "initial", "changed", "unchanged"
LOCK_WAIT_SECONDS = 30.0


@dataclass
class Outcome:
    """What a run did: `written` or `skipped` (with why); the digests and event counts."""

    status: str
    log_path: str
    reason: str | None = None
    change_reason: str | None = None
    snapshot_digest: str | None = None
    previous_snapshot_digest: str | None = None
    snapshot_parts: int = 0
    events_written: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def change_reason(current: str, previous: str | None) -> str:
    if previous is None:
        return INITIAL
    return UNCHANGED if current == previous else CHANGED


def run_inventory(
    config: BeaconConfig,
    *,
    trigger: str = "manual",
    trigger_harness: str | None = None,
    force: bool = False,
    contents: bool | None = None,
    scope: Scope | None = None,
    clock: Callable[[], float] = time.time,
    ingest: Ingest | None = None,
) -> Outcome:
    """Write a heartbeat (and a snapshot when the digest changed); or skip, saying why.

    `ingest`: the running collector's, so that its writer and `/metrics` carry the events
    (default: a one-off ingest appending directly). Raises `StorageError` when
    `inventory_state.jsonl` cannot be written.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    scope = scope or Scope.of()
    directory = state.state_dir(scope.env)
    log_path = config.writer.log_path / INVENTORY_FILE
    settings = config.inventory
    lock = state.Locked(directory, wait=0.0 if trigger == "hook" else LOCK_WAIT_SECONDS)
    try:
        held = lock.acquire()
    except OSError as exc:
        lock.release()
        if trigger == "hook":  # without state a hook storm could not be held back
            return Outcome("skipped", str(log_path), reason=f"state directory unusable ({exc})")
        note = f"state directory {directory} unusable ({exc}); TTL and back-off not recorded"
        return _run(config, trigger, trigger_harness, contents, scope, clock, None, [note], ingest)
    try:
        if not held:
            return Outcome("skipped", str(log_path), reason="busy: another run holds the lock")
        values, problem = state.read(directory)
        notes = [problem] if problem else []
        now = clock()
        if trigger == "hook" and not force:
            skip = _gate(values, settings.on_hook, settings.ttl, settings.backoff, now)
            if skip:
                _save(
                    directory, values, settings, last_trigger=trigger, last_result=f"skipped:{skip}"
                )
                return Outcome("skipped", str(log_path), reason=skip, notes=notes)
        _save(directory, values, settings, last_attempt_at=f"{now:.3f}", last_trigger=trigger)
        saved = (directory, values)
        return _run(config, trigger, trigger_harness, contents, scope, clock, saved, notes, ingest)
    finally:
        lock.release()


def _gate(values: dict[str, str], on_hook: bool, ttl: int, backoff: int, now: float) -> str | None:
    """Why a hook-triggered run must not run now, or None."""
    if not on_hook:
        return "disabled: inventory.on_hook is false"
    emitted = state.number(values, "last_emitted_at")
    if emitted is not None and now - emitted < ttl:
        return "ttl_active"
    attempted = state.number(values, "last_attempt_at")
    if attempted is not None and now - attempted < backoff:
        return "backoff"
    return None


def _save(directory: str, values: dict[str, str], settings: Any, **updates: str) -> None:
    values.update(updates)
    values["ttl_seconds"] = str(settings.ttl)
    values["backoff_seconds"] = str(settings.backoff)
    values["on_hook"] = "1" if settings.on_hook else "0"
    with contextlib.suppress(OSError):  # best effort: the run goes on, the next comes early
        state.write(directory, values)


def _run(
    config: BeaconConfig,
    trigger: str,
    trigger_harness: str | None,
    contents: bool | None,
    scope: Scope,
    clock: Callable[[], float],
    saved: tuple[str, dict[str, str]] | None,
    notes: list[str],
    ingest: Ingest | None = None,
) -> Outcome:
    from beacon.ingest import write_events

    log_dir = config.writer.log_path
    inventory = collect(scope, config, contents=contents)
    previous = last_snapshot_digest(log_dir, config.writer.rotate_archives)
    digest = inventory.digest
    reason = change_reason(digest, previous)
    meta = metadata(
        inventory,
        trigger=trigger,
        trigger_harness=trigger_harness,
        ttl_seconds=config.inventory.ttl,
        previous=previous,
        change_reason=reason,
    )
    snapshot = snapshot_events(inventory, meta, config) if reason != UNCHANGED else []
    # The heartbeat goes last: a reader that sees it knows the snapshot it names is complete.
    events = [*snapshot, heartbeat_event(meta)]
    outcome = Outcome(
        "written",
        str(log_dir / INVENTORY_FILE),
        change_reason=reason,
        snapshot_digest=digest,
        previous_snapshot_digest=previous,
        snapshot_parts=len(snapshot),
        counts=inventory.counts(),
        notes=notes,
    )
    try:
        outcome.events_written = (
            write_events(events, config) if ingest is None else _through(ingest, events)
        )
    except OSError as exc:
        _record(saved, last_result=f"failed:{type(exc).__name__}")
        raise StorageError(f"cannot write {outcome.log_path}: {exc}") from exc
    except StorageError:
        _record(saved, last_result="failed:storage")
        raise
    _record(
        saved,
        last_emitted_at=f"{clock():.3f}",
        last_result="written",
        last_snapshot_digest=digest,
    )
    return outcome


def _record(saved: tuple[str, dict[str, str]] | None, **updates: str) -> None:
    if saved is None:
        return
    directory, values = saved
    values.update(updates)
    with contextlib.suppress(OSError):  # the events are written; the next run comes early
        state.write(directory, values)


def inventory_only(
    config: BeaconConfig, *, contents: bool | None = None, scope: Scope | None = None
) -> Inventory:
    """Collect without writing anything (`beacon inventory` without `--write-event`)."""
    return collect(scope or Scope.of(), config, contents=contents)


__all__ = ["TRIGGERS", "Outcome", "change_reason", "inventory_only", "run_inventory"]


def _through(ingest: Ingest, events: list[Event]) -> int:
    """Write `events` through the collector's own ingest (from a worker thread); how many
    were written. StorageError when its writer did not take or write them."""
    from beacon.ingest import Outcome as Delivery

    result = ingest.events_now(events)
    if result.outcome is not Delivery.OK:
        raise StorageError(f"the collector's writer did not write them ({result.outcome.name})")
    return len(events) - result.rejected
