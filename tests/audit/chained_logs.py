"""Chained logs written by the real writers, and ways to read them back (audit tests)."""

from __future__ import annotations

from pathlib import Path

import orjson

KEY_HEX = "5f" * 32


def event_line(n: int, **fields: object) -> bytes:
    """A compact JSON event line like the writers get (serialized, newline-terminated)."""
    event: dict[str, object] = {
        "timestamp": f"2026-12-01T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "event": {"action": "tool.invoked", "category": "tool", "id": f"id-{n}"},
        "harness": {"name": "claude_code"},
        "session": {"id": "s-1"},
        "severity": "info",
        "message": f"line {n}",
        **fields,
    }
    return orjson.dumps(event) + b"\n"


def chain_files(log_dir: Path, name: str = "runtime.jsonl") -> list[Path]:
    """The stream's files oldest first (`.N` or `.N.gz` archives, then the active file)."""
    numbered = []
    for path in log_dir.glob(name + ".*"):
        number = path.name[len(name) + 1 :].removesuffix(".gz")
        if number.isdigit():
            numbered.append((int(number), path))
    return [path for _, path in sorted(numbered, reverse=True)] + [log_dir / name]


def all_lines(log_dir: Path) -> list[bytes]:
    """Every line of the runtime stream, oldest first."""
    return [line for p in chain_files(log_dir) for line in p.read_bytes().splitlines()]
