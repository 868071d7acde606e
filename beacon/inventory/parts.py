"""Inventory events: the heartbeat, and the snapshot split into parts that each fit the
event size cap after the pipeline, so no server, config or skill is ever dropped.

Every snapshot event carries `raw.inventory.part` (1-based) and `parts`, the same
`snapshot_digest`, the totals in `counts`, and a slice of each list; `user_scope` is in
part 1. Parts are filled in order (runtimes, skill roots, configs, MCP servers, skills)
until the next record would pass the budget: the cap less what enrichment adds, measured
on the real enrichment of a probe event, less a margin. A single record larger than the
budget (only possible with a cap near the 4 KiB minimum) gets a part of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from beacon.config import BeaconConfig
from beacon.inventory.snapshot import Inventory
from beacon.schema.actions import Action
from beacon.schema.event import Event, new_event

HARNESS = "endpoint"
SOURCE = "inventory"
MARGIN = 2048
"""Room left for what redaction may add (at most a sixteenth of a small cap)."""
LIST_ORDER = ("runtimes", "skill_roots", "configs", "mcp_servers", "skills")


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def _event(action: Action, message: str, inventory: dict[str, Any], timestamp: str) -> Event:
    event = new_event(
        action.value,
        harness=HARNESS,
        timestamp=timestamp,
        message=message,
        raw={"inventory": inventory},
    )
    event["event"]["source"] = SOURCE
    return event


def metadata(
    inventory: Inventory,
    *,
    trigger: str,
    trigger_harness: str | None,
    ttl_seconds: int,
    previous: str | None,
    change_reason: str,
) -> dict[str, Any]:
    """The fields heartbeat and snapshot share."""
    return {
        "generated_at": inventory.generated_at,
        "trigger": trigger,
        "trigger_harness": trigger_harness,
        "ttl_seconds": ttl_seconds,
        "snapshot_digest": inventory.digest,
        "previous_snapshot_digest": previous,
        "change_reason": change_reason,
        "counts": inventory.counts(),
        "posture": inventory.posture(),
    }


def heartbeat_event(meta: Mapping[str, Any]) -> Event:
    """`inventory.heartbeat`: written on every run."""
    reason = meta["change_reason"]
    return _event(
        Action.INVENTORY_HEARTBEAT,
        f"Agent configuration inventory heartbeat ({reason})",
        dict(meta),
        str(meta["generated_at"]),
    )


def enrichment_bytes(config: BeaconConfig) -> int:
    """How many bytes the pipeline's enrichment adds to an inventory event."""
    from beacon.pipeline.enrich import Enrich

    probe = _event(Action.INVENTORY_SNAPSHOT, "x", {}, "2026-01-01T00:00:00.000Z")
    before = _size(probe)
    Enrich(config.endpoint.hostname, config.endpoint.origin)(probe)
    return _size(probe) - before


def snapshot_events(
    inventory: Inventory, meta: Mapping[str, Any], config: BeaconConfig
) -> list[Event]:
    """`inventory.snapshot` parts holding every record, each under the size cap."""
    cap = config.limits.max_event_bytes
    budget = cap - enrichment_bytes(config) - min(MARGIN, cap // 16)
    while True:
        events = _split(inventory, meta, budget)
        if all(_size(e) <= budget for e in events) or budget < 4096:
            return events
        budget = int(budget * 0.9)  # a record list's framing cost more than estimated


def _split(inventory: Inventory, meta: Mapping[str, Any], budget: int) -> list[Event]:
    empty: dict[str, list[Any]] = {name: [] for name in LIST_ORDER}
    head = {**meta, "part": 1, "parts": 1, "user_scope": inventory.user_scope, **empty}
    # The skeleton's cost with room for the largest part numbers and the message.
    fixed = _size(_event(Action.INVENTORY_SNAPSHOT, "x" * 64, head, str(meta["generated_at"])))
    parts: list[dict[str, list[Any]]] = [{name: [] for name in LIST_ORDER}]
    used = fixed
    for name in LIST_ORDER:
        for record in getattr(inventory, name):
            cost = _size(record) + 1
            if used + cost > budget and any(parts[-1].values()):
                parts.append({n: [] for n in LIST_ORDER})
                used = fixed
            parts[-1][name].append(record)
            used += cost
    total = len(parts)
    events = []
    for index, lists in enumerate(parts, start=1):
        body: dict[str, Any] = {**meta, "part": index, "parts": total}
        if index == 1:
            body["user_scope"] = inventory.user_scope
        body.update(lists)
        suffix = f" (part {index} of {total})" if total > 1 else ""
        message = f"Agent configuration inventory snapshot{suffix}"
        events.append(_event(Action.INVENTORY_SNAPSHOT, message, body, str(meta["generated_at"])))
    return events
