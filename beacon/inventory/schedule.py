"""`beacon run`'s inventory clock: a heartbeat at start and every `inventory.interval`.

Runs in a worker thread (the scan runs `--version` probes and reads files), so the
collector's event loop never waits for it; a failed run is reported on stderr and the
clock keeps going. `interval = 0` turns the schedule off.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

from beacon.config import BeaconConfig

if TYPE_CHECKING:
    from beacon.ingest import Ingest


def _run_once(config: BeaconConfig, ingest: Ingest | None) -> str:
    from beacon.inventory.run import run_inventory

    outcome = run_inventory(config, trigger="schedule", ingest=ingest)
    return f"{outcome.status} ({outcome.change_reason or outcome.reason})"


async def run_schedule(
    config: BeaconConfig,
    stop: asyncio.Event,
    *,
    err: TextIO | None = None,
    ingest: Ingest | None = None,
) -> None:
    """Write an inventory heartbeat now and every interval until `stop` is set, through
    `ingest` (the collector's: its writer, counters and `/metrics`) when given."""
    interval = config.inventory.interval
    if interval <= 0:
        return
    err = err or sys.stderr
    while not stop.is_set():
        try:
            await asyncio.to_thread(_run_once, config, ingest)
        except Exception as exc:  # a broken scan must not stop the collector
            print(f"beacon: inventory heartbeat failed: {exc}", file=err, flush=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue
