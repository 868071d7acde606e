"""The files `beacon ci start` leaves for `finish`: the session state and the collector's status.

`state.json` (written by `start`): the session, its run metadata, the chosen harnesses
and the environment handed to later steps; no credentials. `collector.json` (written by
the background collector): its pid, addresses and `running` / `stopped` / `failed`. Both
0600, replaced atomically, so a reader never sees half of one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from beacon.ci.private import write_private
from beacon.errors import CIError

STATE_VERSION = 1


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write one state document (0600, atomic)."""
    write_private(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def read_json(path: Path, what: str) -> dict[str, Any]:
    """Read one state document; a missing or damaged one raises `CIError` naming it."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise CIError(f"{what} {path} not found: run `beacon ci start` first") from None
    except OSError as exc:
        raise CIError(f"{what} {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise CIError(f"{what} {path} is damaged: {exc}") from None
    if not isinstance(data, dict):
        raise CIError(f"{what} {path} is damaged: not a JSON object")
    return data


def read_optional(path: Path) -> dict[str, Any] | None:
    """A state document, or None when it is missing or unreadable."""
    try:
        return read_json(path, "state")
    except CIError:
        return None
