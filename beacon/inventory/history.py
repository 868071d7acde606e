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
