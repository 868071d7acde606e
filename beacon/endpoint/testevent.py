"""`beacon endpoint test-event`: prove the pipeline can write where the endpoint logs.

One synthetic `endpoint.validation` event (harness `test_harness`) carrying a random
nonce goes through the one ingest path; then the log is read back and the nonce must be
there, redacted and enriched like any event. It says which file it landed in.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beacon.endpoint import events
from beacon.endpoint.install import event_config
from beacon.endpoint.layout import Layout
from beacon.endpoint.status import TAIL_BYTES
from beacon.errors import EndpointError


@dataclass
class ValidationResult:
    """Where the test event landed."""

    nonce: str
    log_path: Path
    event: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "ok": True,
            "nonce": self.nonce,
            "log_path": str(self.log_path),
            "event_id": self.event.get("event", {}).get("id"),
            "timestamp": self.event.get("timestamp"),
        }


def send_test_event(layout: Layout, *, log_dir: Path) -> ValidationResult:
    """Write the event and find it in `runtime.jsonl`; EndpointError when it is not there."""
    from beacon.ingest import write_events

    nonce = secrets.token_hex(8)
    path = log_dir / "runtime.jsonl"
    written = write_events([events.validation(nonce)], event_config(layout, log_dir))
    if written != 1:
        raise EndpointError(f"the pipeline dropped the test event (wrote {written})")
    found = _find(path, nonce)
    if found is None:
        raise EndpointError(f"the test event was written but is not in {path}")
    return ValidationResult(nonce, path, found)


def _find(path: Path, nonce: str) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return None
    for line in reversed(tail.splitlines()):
        if nonce.encode() in line:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict):
                return doc
    return None
