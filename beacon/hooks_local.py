"""Record a hook payload without the collector: map, process, append under the writer's lock.

Used by `beacon-hooks` when `beacon run` is not reachable. The pipeline is the standard one
in its stdlib variant (regex redaction without the RE2 prefilter, `json` serialization),
and the append goes through `JsonlFile`, whose `flock` the collector's writer takes too, so
lines never interleave. When the log cannot be written the raw payload goes to the spool
(`beacon.hooks_spool`), which `beacon run` ingests later. Stdlib and `beacon` modules only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from beacon.schema.event import Event

RUNTIME_FILE = "runtime.jsonl"  # beacon.writer.RUNTIME_FILE; that module imports orjson
INVENTORY_FILE = "inventory_state.jsonl"


def dumps(event: Any) -> bytes:
    """Compact JSON as UTF-8, the stdlib twin of the writer's orjson serialization."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "replace")


def _config(log_dir: str | None) -> Any:
    from beacon.config import BeaconConfig, load_config, with_log_dir
    from beacon.errors import ConfigError

    try:
        config = load_config()
    except ConfigError:
        config = BeaconConfig()  # a broken config file must not lose the event
    return with_log_dir(config, log_dir)


def process(events: list[Event], config: Any) -> list[Event]:
    """The standard pipeline minus dedupe (one process sees one payload), stdlib only."""
    from beacon.pipeline.base import Pipeline, Processor, Serialized
    from beacon.pipeline.enrich import Enrich
    from beacon.pipeline.redact import Redact, Redactor
    from beacon.pipeline.sizecap import SizeCap
    from beacon.pipeline.truncate import Truncate

    serialized = Serialized(dumps)
    processors: list[Processor] = [Enrich(config.endpoint.hostname, config.endpoint.origin)]
    if config.redaction.enabled:
        redactor = Redactor(config.redaction.patterns, config.redaction.allowlist, prefilter=False)
        processors.append(Redact(redactor, serialized))
    limits = config.limits
    processors.append(Truncate(limits.field_bytes, limits.nested_field_bytes, serialized))
    processors.append(SizeCap(limits.max_event_bytes, serialized))
    return Pipeline(processors, serialized).process_batch(events)


def append_events(events: list[Event], config: Any) -> None:
    """Append processed events to their streams under the cross-process lock."""
    from beacon.jsonl import FileModes, JsonlFile, ensure_directory
    from beacon.schema.actions import INVENTORY_ACTIONS

    writer = config.writer
    modes = FileModes.for_mode(writer.mode, writer.group)
    log_dir = writer.log_path
    ensure_directory(log_dir, modes)
    streams: dict[str, list[bytes]] = {}
    for event in events:
        action = event.get("event", {}).get("action")
        name = INVENTORY_FILE if action in INVENTORY_ACTIONS else RUNTIME_FILE
        streams.setdefault(name, []).append(dumps(event) + b"\n")
    for name, lines in streams.items():
        log = JsonlFile(
            log_dir / name,
            rotate_bytes=writer.rotate_bytes,
            archives=writer.rotate_archives,
            modes=modes,
        )
        try:
            log.append(lines, fsync=writer.fsync == "always")
        finally:
            log.close()


def record_locally(
    platform: str, data: bytes, *, event_hint: str = "", log_dir: str | None = None
) -> str | None:
    """Map, process and append one payload; spool it if the log is unwritable.

    Returns None when the events are in the log, else a one-line note (spooled, or lost
    and why). Never raises.
    """
    from beacon.errors import BeaconError

    try:
        from beacon.runtimes.hooks import harness_of, map_hook
        from beacon.runtimes.hooks.payload import hook_input

        config = _config(log_dir)  # $BEACON_LOG_DIR is applied by load_config
        hook = hook_input(harness_of(platform) or platform, data, event_hint=event_hint)
        events = process(map_hook(hook), config)
        if events:
            append_events(events, config)
        return None
    except (OSError, BeaconError) as exc:
        reason = f"cannot write the log ({exc})"
    except Exception as exc:  # a bug here must still not lose the payload
        reason = f"cannot record the event ({type(exc).__name__}: {exc})"
    from beacon.hooks_spool import spool_payload

    try:
        path = spool_payload(platform, data, event_hint=event_hint)
    except OSError as exc:
        return f"{reason}; spool failed too ({exc}); event lost"
    return f"{reason}; payload spooled to {Path(path).parent}"
