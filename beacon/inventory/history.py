"""The previous snapshot: the digest of the newest complete snapshot in
`inventory_state.jsonl` (then its numbered archives).

The log, not a state file, is the reference: when the log is deleted or the snapshot has
rotated out of every archive, the next run writes a snapshot again, so the stream always
holds the current one. A snapshot counts only when all its parts are there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INVENTORY_FILE = "inventory_state.jsonl"
_MARK = b'"inventory.snapshot"'
_CHUNK = 1 << 20


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The lines of `path` holding a snapshot, newest first, read in 1 MiB chunks."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - a generator: opened here, closed by `with`
    except OSError:
        return
    with fh:
        fh.seek(0, 2)
        position = fh.tell()
        tail = b""
        while position > 0:
            step = min(_CHUNK, position)
            position -= step
            fh.seek(position)
            block = fh.read(step) + tail
            lines = block.split(b"\n")
            tail = lines[0]
            for line in reversed(lines[1:]):
                if _MARK in line:
                    yield line
        if _MARK in tail:
            yield tail


def last_snapshot_digest(log_dir: Path, archives: int) -> str | None:
    """The digest of the newest snapshot whose parts are all present, or None."""
    names = [INVENTORY_FILE] + [f"{INVENTORY_FILE}.{i}" for i in range(1, archives + 1)]
    seen: dict[str, set[int]] = {}
    for name in names:
        for line in _lines_backwards(log_dir / name):
            try:
                inventory = json.loads(line)["raw"]["inventory"]
                digest = inventory["snapshot_digest"]
                part, parts = int(inventory.get("part", 1)), int(inventory.get("parts", 1))
            except (ValueError, KeyError, TypeError):
                continue  # torn, degraded or foreign line
            if not isinstance(digest, str):
                continue
            found = seen.setdefault(digest, set())
            found.add(part)
            if len(found) >= parts and set(range(1, parts + 1)) <= found:
                return digest
    return None


_LISTS = ("runtimes", "skill_roots", "configs", "mcp_servers", "skills")


def latest(log_dir: Path) -> dict[str, Any]:
    """The newest heartbeat and the newest complete snapshot (its parts joined into one
    inventory) in the inventory stream, archives included; either may be None.

    Each comes as `{"timestamp", "host", "inventory"}`, `inventory` being `raw.inventory`
    (for the snapshot: the part-1 fields with the five lists of every part, in order).
    """
    from beacon.audit.query import Filter, iter_search

    heartbeat: dict[str, Any] | None = None
    parts: dict[str, dict[int, dict[str, Any]]] = {}
    found: dict[str, Any] | None = None
    where = Filter(actions=("inventory.heartbeat", "inventory.snapshot"))
    matches = iter_search(log_dir, where, stream="inventory")
    for match in matches:
        raw = match.event.get("raw")
        inventory = raw.get("inventory") if isinstance(raw, dict) else None
        if not isinstance(inventory, dict):
            continue
        meta = match.event.get("event") or {}
        entry = {
            "timestamp": match.event.get("timestamp"),
            "host": (match.event.get("endpoint") or {}).get("hostname"),
            "inventory": inventory,
        }
        if meta.get("action") == "inventory.heartbeat":
            heartbeat = heartbeat or entry
            continue
        digest = inventory.get("snapshot_digest")
        try:
            part, count = int(inventory.get("part", 1)), int(inventory.get("parts", 1))
        except (TypeError, ValueError):
            continue
        if not isinstance(digest, str):
            continue
        seen = parts.setdefault(digest, {})
        seen[part] = entry
        if set(range(1, count + 1)) <= set(seen):
            found = _joined([seen[n] for n in range(1, count + 1)])
            break
    matches.close()
    return {"heartbeat": heartbeat, "snapshot": found}


def _joined(entries: list[dict[str, Any]]) -> dict[str, Any]:
    first = entries[0]
    inventory = {k: v for k, v in first["inventory"].items() if k not in _LISTS}
    for name in _LISTS:
        inventory[name] = [
            item for e in entries for item in (e["inventory"].get(name) or []) if item is not None
        ]
    return {**first, "inventory": inventory}
