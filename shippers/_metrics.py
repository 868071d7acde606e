"""Prometheus text-format `/metrics` (and `/healthz`) on a loopback address.

Serves live counters of a running `Shipper`; refuses non-loopback addresses because the
metrics reveal hostnames and file paths.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from beacon.errors import ConfigError
from shippers._checkpoint import StreamState


def parse_address(address: str) -> tuple[str, int]:
    """`host:port` → (host, port); host must be loopback."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        number = int(port)
    except ValueError:
        raise ConfigError(f"ship.metrics_address: {address!r} is not host:port") from None
    if not loopback:
        raise ConfigError(f"ship.metrics_address: {host} is not a loopback address")
    return host, number


def render(states: list[StreamState], sink: str) -> str:
    """Prometheus exposition text for the given stream states."""
    out: list[str] = []
    names = sorted({k for s in states for k in s.counters})
    for name in names:
        metric = f"beacon_ship_{name}_total"
        out.append(f"# TYPE {metric} counter")
        for s in states:
            out.append(f'{metric}{{stream="{s.stream}",sink="{sink}"}} {s.counters.get(name, 0)}')
    out.append("# TYPE beacon_ship_offset_bytes gauge")
    for s in states:
        out.append(f'beacon_ship_offset_bytes{{stream="{s.stream}",sink="{sink}"}} {s.offset}')
    out.append("# TYPE beacon_ship_last_success_timestamp_seconds gauge")
    for s in states:
        value = s.last_success or 0
        out.append(
            f'beacon_ship_last_success_timestamp_seconds{{stream="{s.stream}",sink="{sink}"}} '
            f"{value:.3f}"
        )
    out.append("# TYPE beacon_ship_stream_up gauge")
    for s in states:
        up = 0 if s.stopped else 1
        out.append(f'beacon_ship_stream_up{{stream="{s.stream}",sink="{sink}"}} {up}')
    return "\n".join(out) + "\n"


class MetricsServer:
    """A daemon-thread HTTP server; `port` is the bound port (useful with port 0)."""

    def __init__(self, address: str, source: Callable[[], str]) -> None:
        host, port = parse_address(address)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    body = source().encode()
                    ctype = "text/plain; version=0.0.4; charset=utf-8"
                elif self.path == "/healthz":
                    body, ctype = b"ok\n", "text/plain"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
