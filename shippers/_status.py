"""`beacon ship status`: per-stream position, lag and counters, read-only.

Reads checkpoints without ever moving or rewriting them, and measures lag by listing the
rotation chain: bytes not yet acknowledged, and the age of the oldest unshipped event.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from shippers._checkpoint import CheckpointStore, StreamState
from shippers._tailer import first_timestamp, list_chain
from shippers.config import STREAMS


def stream_status(log_dir: Path, state_dir: Path, stream: str) -> dict[str, Any]:
    """One stream's status as a JSON-ready dict."""
    path = CheckpointStore(state_dir).path(stream)
    base = log_dir / STREAMS[stream]
    out: dict[str, Any] = {"stream": stream, "checkpoint": str(path)}
    try:
        state: StreamState | None = StreamState.from_json(path.read_bytes())
    except FileNotFoundError:
        state = None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        out["error"] = f"checkpoint unreadable: {exc}"
        return out
    done = set(state.done) if state is not None else set()
    entries = [e for e in list_chain(base) if e.fingerprint not in done]
    lag_bytes = sum(e.size for e in entries)
    file_path = None
    oldest_unshipped: bytes = b""
    if state is not None and state.file is not None:
        fp = state.file.fingerprint
        idx = next(
            (
                i
                for i, e in enumerate(entries)
                if (fp and e.fingerprint == fp)
                or (not fp and (e.dev, e.ino) == (state.file.dev, state.file.ino))
            ),
            None,
        )
        if idx is not None:
            cur = entries[idx]
            file_path = str(cur.path)
            lag_bytes = max(0, cur.size - state.offset) + sum(e.size for e in entries[idx + 1 :])
            if cur.size > state.offset:
                oldest_unshipped = _read_at(cur.path, state.offset)
            elif idx + 1 < len(entries):
                oldest_unshipped = _read_at(entries[idx + 1].path, 0)
    elif entries:
        oldest_unshipped = _read_at(entries[0].path, 0)
    lag_seconds = 0.0
    if lag_bytes and oldest_unshipped:
        ts = first_timestamp(oldest_unshipped)
        try:
            when = datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None
        except ValueError:
            when = None
        if when is not None:
            lag_seconds = max(0.0, time.time() - when.timestamp())
    out.update(
        {
            "file": file_path,
            "offset": state.offset if state else 0,
            "lag_bytes": lag_bytes,
            "lag_seconds": round(lag_seconds, 3),
            "pending": None
            if state is None or state.pending is None
            else {
                "start": state.pending.start,
                "end": state.pending.end,
                "key": state.pending.key,
            },
            "sink": state.sink if state else None,
            "destination": state.destination if state else None,
            "last_success": _iso(state.last_success) if state else None,
            "last_error": state.last_error if state else None,
            "last_error_at": _iso(state.last_error_at) if state else None,
            "stopped": state.stopped if state else None,
            "counters": dict(state.counters) if state else {},
        }
    )
    return out


def _read_at(path: Path, offset: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    try:
        return os.pread(fd, 4096, offset)
    finally:
        os.close(fd)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def render_text(report: list[dict[str, Any]]) -> str:
    """A compact human-readable table of `report`."""
    lines = []
    for s in report:
        lines.append(f"{s['stream']}:")
        if "error" in s:
            lines.append(f"  error: {s['error']}")
            continue
        lines.append(f"  file: {s['file'] or '-'}  offset: {s['offset']}")
        lines.append(f"  lag: {s['lag_bytes']} bytes, {s['lag_seconds']:.1f} s")
        lines.append(f"  last success: {s['last_success'] or '-'}")
        if s["last_error"]:
            lines.append(f"  last error: {s['last_error']} ({s['last_error_at']})")
        if s["stopped"]:
            lines.append(f"  STOPPED: {s['stopped']}")
        counters = ", ".join(f"{k}={v}" for k, v in s["counters"].items())
        lines.append(f"  counters: {counters or '-'}")
    return "\n".join(lines) + "\n"


def render_json(report: list[dict[str, Any]]) -> str:
    """`report` as indented JSON."""
    return json.dumps({"streams": report}, indent=2) + "\n"
