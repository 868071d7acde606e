"""Read Beacon's logs and their archives oldest-first, one parsed event at a time.

Per stream, `runtime.jsonl.N` (or `.N.gz`) … `.1`, then `runtime.jsonl`: the writer's
rotation order. A log directory yields the runtime stream, then the inventory stream
(`inventory_state.jsonl`), whose snapshots some rules inspect. Malformed lines are
counted and skipped, never fatal. Kept small and separate so the scan can switch to the
shared reader of `beacon logs` once that exists.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import orjson

from beacon.errors import UsageError
from beacon.logfiles.names import INVENTORY_FILE, RUNTIME_FILE

_ARCHIVE = re.compile(r"\.(\d+)(\.gz)?$")


@dataclass
class ReadStats:
    """What reading found: files, lines, events and lines that were not events."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    events: int = 0
    malformed: int = 0


def log_files(active: Path) -> list[Path]:
    """`active`'s numbered archives (highest number = oldest first), then `active` itself."""
    archives: list[tuple[int, Path]] = []
    if active.parent.is_dir():
        prefix = active.name + "."
        for path in active.parent.iterdir():
            if not path.name.startswith(prefix):
                continue
            m = _ARCHIVE.fullmatch(path.name[len(active.name) :])
            if m and path.is_file():
                archives.append((int(m.group(1)), path))
    ordered = [p for _, p in sorted(archives, key=lambda a: (-a[0], a[1].name))]
    if active.is_file():
        ordered.append(active)
    return ordered


def resolve(log_dir: Path | None, log_path: Path | None) -> list[Path]:
    """The active files to scan: `--log-path` alone, else the log dir's runtime stream and,
    when present, its inventory stream."""
    if log_path is not None:
        return [log_path.expanduser()]
    if log_dir is None:
        from beacon.config import load_config

        log_dir = load_config().writer.log_path
    base = log_dir.expanduser()
    inventory = base / INVENTORY_FILE
    extra = [inventory] if log_files(inventory) else []
    return [base / RUNTIME_FILE, *extra]


def read_events(actives: list[Path], stats: ReadStats | None = None) -> Iterator[dict[str, Any]]:
    """Every JSON object line of each active file and its archives, oldest first."""
    stats = stats if stats is not None else ReadStats()
    files = [path for active in actives for path in log_files(active)]
    if not files:
        raise UsageError(f"no log at {actives[0]} (nor archives beside it)")
    for path in files:
        stats.files.append(str(path))
        with _open(path) as handle:
            for line in handle:
                stats.lines += 1
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    if line.strip():
                        stats.malformed += 1
                    continue
                if not isinstance(event, dict):
                    stats.malformed += 1
                    continue
                stats.events += 1
                yield event


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")
