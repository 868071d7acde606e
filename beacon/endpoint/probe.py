"""Asking the local collector how it is: `GET /healthz` and plain TCP connects, loopback only.

`/healthz` answers with the collector's status, listen addresses and the log directory
it writes to; that last field is how status and doctor tell which `runtime.jsonl` the
events on these ports actually reach. Sleeping and time are parameters, so waits are
tested without real delays.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.endpoint.settings import LOOPBACK


@dataclass(frozen=True)
class Health:
    """What `/healthz` on a port said (or why nothing answered)."""

    reachable: bool
    ok: bool
    detail: str
    log_dir: str | None = None
    body: dict[str, Any] = field(default_factory=dict)

    def writes_to(self, log_dir: Path) -> bool | None:
        """Whether the collector writes to `log_dir` (None when it does not say)."""
        if self.log_dir is None:
            return None
        return same_dir(Path(self.log_dir), log_dir)


def same_dir(a: Path, b: Path) -> bool:
    """Whether two directory paths name the same place (symlinks and `~` resolved)."""
    return a.expanduser().resolve() == b.expanduser().resolve()


def probe_health(port: int, *, timeout: float = 1.0) -> Health:
    """`GET http://127.0.0.1:<port>/healthz`."""
    import httpx

    url = f"http://{LOOPBACK}:{port}/healthz"
    try:
        # trust_env=False: a proxy from the environment must never see loopback traffic.
        response = httpx.get(url, timeout=timeout, trust_env=False)
    except httpx.HTTPError as exc:
        return Health(False, False, f"{url}: {type(exc).__name__}: {exc}".rstrip(": "))
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Health(
            True, False, f"{url} answered {response.status_code} without Beacon's health JSON"
        )
    log_dir = body.get("log_dir")
    ok = response.status_code == 200 and body.get("status") == "ok"
    detail = f"{url}: {response.status_code} {body.get('status', '?')}"
    return Health(True, ok, detail, str(log_dir) if log_dir else None, body)


def port_open(port: int, *, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:<port>."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_ready(
    port: int,
    *,
    timeout: float = 10.0,
    probe: Callable[[int], Health] = probe_health,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    interval: float = 0.25,
) -> Health:
    """Poll `/healthz` until it is ok or `timeout` passes; the last answer either way."""
    deadline = clock() + timeout
    while True:
        health = probe(port)
        if health.ok or clock() >= deadline:
            return health
        sleep(interval)
