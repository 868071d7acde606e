"""What the fake model APIs of the real-agent harnesses share: a quiet handler that reads a
(possibly gzipped) JSON body, numbers its calls and answers with one body, and a loopback
server for the fixtures. Each harness keeps only its API's paths and replies."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeModelAPI(BaseHTTPRequestHandler):
    """Base handler: `request_json`, `next_call` and `reply`; no access log."""

    calls = 0
    lock = threading.Lock()
    extra_headers: dict[str, str] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def route(self) -> str:
        """The request path without its query."""
        return self.path.split("?", 1)[0]

    def request_json(self) -> dict[str, Any]:
        """The JSON body (gunzipped when sent so); {} when empty or not JSON."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @classmethod
    def next_call(cls) -> int:
        """This model call's number, from 1 (per handler class)."""
        with cls.lock:
            cls.calls += 1
            return cls.calls

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        """Send one complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving(handler: type[FakeModelAPI]) -> Iterator[str]:
    """`handler` on a free loopback port; yields `http://127.0.0.1:<port>`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
