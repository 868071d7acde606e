"""Checkpointed tailers that ship Beacon's JSONL streams to object stores and SIEMs.

Public surface: `ShipConfig` (what to ship where), `Shipper` (run it), the `Sink` protocol
with `Batch` and its two error kinds, and `shippers.testing` for test doubles. Names load
lazily so `beacon --help` does not pay for tenacity or any SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shippers._retry import RetryPolicy, Shutdown
    from shippers._runner import Shipper
    from shippers.config import ShipConfig
    from shippers.sinks import Batch, PermanentError, RetryableError, Sink

__all__ = [
    "Batch",
    "PermanentError",
    "RetryPolicy",
    "RetryableError",
    "ShipConfig",
    "Shipper",
    "Shutdown",
    "Sink",
]

_HOMES = {
    "Batch": "shippers.sinks",
    "PermanentError": "shippers.sinks",
    "RetryableError": "shippers.sinks",
    "Sink": "shippers.sinks",
    "RetryPolicy": "shippers._retry",
    "Shutdown": "shippers._retry",
    "ShipConfig": "shippers.config",
    "Shipper": "shippers._runner",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'shippers' has no attribute {name!r}")
