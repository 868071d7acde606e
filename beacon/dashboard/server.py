"""`beacon dashboard`'s lifecycle: bind loopback, say where, serve until a signal.

The address must be loopback (`beacon.collector.address`, the rule every Beacon listener
follows): the dashboard shows prompts and commands and has no authentication, so it is
only ever reachable from this machine. Port 0 picks a free port; the `listening` line
names the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import webbrowser
from typing import TextIO

from aiohttp import web

from beacon.collector.address import Address, parse_address
from beacon.dashboard.app import create_app
from beacon.dashboard.context import Dashboard
from beacon.errors import ConfigError

DEFAULT_ADDR = "127.0.0.1:8765"
SHUTDOWN_SECONDS = 2.0


def listen_address(value: str) -> Address:
    """`--addr`, loopback only (a `ConfigError` says why otherwise)."""
    return parse_address(value, what="--addr")


def url_of(address: Address) -> str:
    """The dashboard's URL at a bound address."""
    host = f"[{address.host}]" if ":" in address.host else address.host
    return f"http://{host}:{address.port}"


async def serve(
    dashboard: Dashboard,
    address: Address,
    *,
    open_browser: bool = False,
    stop: asyncio.Event | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve until `stop` is set or SIGINT/SIGTERM arrives."""
    out = out or sys.stdout
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        create_app(dashboard), access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    try:
        family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
        sock = socket.create_server((address.host, address.port), family=family)
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"--addr: cannot listen on {address}: {exc.strerror or exc}") from None
    dashboard.bound = Address(address.host, sock.getsockname()[1])
    site = web.SockSite(runner, sock)
    await site.start()
    url = url_of(dashboard.bound)
    # Index in the background from the start: the sessions and token pages are then ready.
    warm = asyncio.create_task(dashboard.index_view("runtime", wait=0))
    print(f"listening dashboard={url}", file=out, flush=True)
    if open_browser:
        await asyncio.to_thread(webbrowser.open, url)
    try:
        await stop.wait()
    finally:
        warm.cancel()
        await runner.cleanup()
