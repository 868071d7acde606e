"""Prometheus text-format `/metrics` (and `/healthz`) on a loopback address.

Serves live counters of a running `Shipper`; refuses non-loopback addresses because the
metrics reveal hostnames and file paths.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from beacon.collector.address import parse_address
from beacon.collector.prometheus import CONTENT_TYPE, Family, labels, render
from shippers._checkpoint import StreamState


def render_states(states: list[StreamState], sink: str) -> str:
    """Prometheus exposition text for the given stream states."""
    names = sorted({k for s in states for k in s.counters})
    families = [
        Family(
            f"beacon_ship_{name}_total",
            "counter",
            f"Shipper {name.replace('_', ' ')}, per stream.",
            [(labels(stream=s.stream, sink=sink), s.counters.get(name, 0)) for s in states],
        )
        for name in names
    ]
    families += [
        Family(
            "beacon_ship_offset_bytes",
            "gauge",
            "Checkpointed byte offset in the active file.",
            [(labels(stream=s.stream, sink=sink), s.offset) for s in states],
        ),
        Family(
            "beacon_ship_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last acknowledged batch (0: none yet).",
            [(labels(stream=s.stream, sink=sink), float(s.last_success or 0)) for s in states],
        ),
        Family(
            "beacon_ship_stream_up",
            "gauge",
            "1 while the stream ships, 0 once a permanent error stopped it.",
            [(labels(stream=s.stream, sink=sink), 0 if s.stopped else 1) for s in states],
        ),
    ]
    return render(families)


class MetricsServer:
    """A daemon-thread HTTP server; `port` is the bound port (useful with port 0)."""

    def __init__(self, address: str, source: Callable[[], str]) -> None:
        parsed = parse_address(address, what="ship.metrics_address")
        host, port = parsed.host, parsed.port

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    body = source().encode()
                    ctype = CONTENT_TYPE
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
