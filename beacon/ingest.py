"""The one ingest path: events in -> pipeline -> writer, for every producer.

`write_events` is the synchronous entry used by command-line producers (inventory,
endpoint setup, CI validation events, test events): it runs the standard pipeline and
appends under the cross-process lock, routing inventory actions to `inventory_state.jsonl`.
"""

from __future__ import annotations

from beacon.config import BeaconConfig
from beacon.schema.event import Event


def write_events(events: list[Event], config: BeaconConfig) -> int:
    """Process `events` and append them to their streams now; returns how many were written.

    Raises `StorageError` or `OSError` when the log directory cannot be written.
    """
    from beacon.hooks_local import append_events, process

    processed = process(events, config)
    if processed:
        append_events(processed, config)
    return len(processed)
