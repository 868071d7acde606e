"""Fake destinations for the shipper tests: real HTTP(S) servers on 127.0.0.1.

`HECServer` speaks Splunk HEC (with indexer acknowledgements), `LogsIngestionServer` speaks
Azure Logs Ingestion with its OAuth token endpoint; both take scripted failures.
`make_tls_cert` makes a self-signed certificate for the HTTPS variants.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# -- HTTP fakes ------------------------------------------------------------------------


@dataclass
class Scripted:
    """One forced reply: HTTP status, JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _FakeServer:
    """A threaded HTTP(S) server on 127.0.0.1:0 that routes to `handle(method, path, …)`."""

    def __init__(self, tls: tuple[Path, Path] | None = None, port: int = 0) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload, headers = outer.handle(method, self.path, self.headers, body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = int(self.server.server_address[1])
        self.lock = threading.Lock()
        self.script: list[Scripted] = []
        self.requests = 0
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321`."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        raise NotImplementedError

    def _scripted(self) -> Scripted | None:
        with self.lock:
            self.requests += 1
            return self.script.pop(0) if self.script else None

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _maybe_gunzip(headers: Any, body: bytes) -> bytes | None:
    if (headers.get("Content-Encoding") or "").lower() == "gzip":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return None
    return body


class HECServer(_FakeServer):
    """Splunk HTTP Event Collector: token auth, gzip, batched envelopes, acks, error codes.

    `script` forces replies (e.g. `Scripted(503, {"text": "Server is busy", "code": 9})`);
    `events` holds every accepted envelope.
    """

    def __init__(
        self,
        token: str = "00000000-0000-0000-0000-000000000000",
        ack: bool = False,
        max_content_length: int = 800 * 1024 * 1024,
        ack_after_polls: int = 1,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.token = token
        self.ack = ack
        self.max_content_length = max_content_length
        self.ack_after_polls = ack_after_polls
        self.events: list[dict[str, Any]] = []
        self._next_ack: dict[str, int] = {}
        self._ack_polls: dict[tuple[str, int], int] = {}

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        url = urlsplit(path)
        query = parse_qs(url.query)
        route = url.path.rstrip("/")
        if route in ("/services/collector/health", "/services/collector/health/1.0"):
            return 200, {"text": "HEC is healthy", "code": 17}, {}
        auth = headers.get("Authorization")
        if not auth:
            return 401, {"text": "Token is required", "code": 2}, {}
        if auth != f"Splunk {self.token}":
            return 403, {"text": "Invalid token", "code": 4}, {}
        channel = headers.get("X-Splunk-Request-Channel") or query.get("channel", [""])[0]
        if route == "/services/collector/ack":
            return self._acks(channel, body)
        if route not in ("/services/collector/event", "/services/collector", "/event/1.0"):
            return 404, {"text": "Not found", "code": 404}, {}
        forced = self._scripted()
        if forced is not None:
            return forced.status, forced.body, forced.headers
        if len(body) > self.max_content_length:
            return 413, {"text": "Content too large", "code": 413}, {}
        if self.ack and not channel:
            return 400, {"text": "Data channel is missing", "code": 10}, {}
        raw = _maybe_gunzip(headers, body)
        if raw is None:
            return 400, {"text": "Invalid data format", "code": 6}, {}
        envelopes: list[dict[str, Any]] = []
        decoder = json.JSONDecoder()
        text = raw.decode("utf-8", "replace")
        pos = 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, pos = decoder.raw_decode(text, pos)
            except ValueError:
                bad = {"text": "Invalid data format", "code": 6}
                return 400, {**bad, "invalid-event-number": len(envelopes)}, {}
            if not isinstance(obj, dict) or "event" not in obj:
                return 400, {"text": "Event field is required", "code": 12}, {}
            if obj["event"] in ("", None):
                return 400, {"text": "Event field cannot be blank", "code": 13}, {}
            envelopes.append(obj)
        if not envelopes:
            return 400, {"text": "No data", "code": 5}, {}
        with self.lock:
            self.events.extend(envelopes)
            reply: dict[str, Any] = {"text": "Success", "code": 0}
            if self.ack:
                ack_id = self._next_ack.get(channel, 0)
                self._next_ack[channel] = ack_id + 1
                self._ack_polls[(channel, ack_id)] = 0
                reply["ackId"] = ack_id
        return 200, reply, {}

    def _acks(self, channel: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not self.ack:
            return 400, {"text": "ACK is disabled", "code": 14}, {}
        if not channel:
            return 400, {"text": "Data channel is missing", "code": 10}, {}
        try:
            ids = [int(i) for i in json.loads(body)["acks"]]
        except (ValueError, KeyError, TypeError):
            return 400, {"text": "Invalid data format", "code": 6}, {}
        out = {}
        with self.lock:
            for ack_id in ids:
                key = (channel, ack_id)
                if key in self._ack_polls:
                    self._ack_polls[key] += 1
                    out[str(ack_id)] = self._ack_polls[key] >= self.ack_after_polls
                else:
                    out[str(ack_id)] = False
        return 200, {"acks": out}, {}


class LogsIngestionServer(_FakeServer):
    """Azure Monitor Logs Ingestion API plus its Entra ID token endpoint, over HTTPS.

    Serves `/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/oauth2/v2.0/token`
    (client credentials) and `POST /dataCollectionRules/{dcr}/streams/{stream}`: Bearer
    token, `api-version`, gzip, JSON array, 413 over 1 MiB, scripted 429 with Retry-After.
    Point `AZURE_AUTHORITY_HOST` at `url` and trust `cert` (REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
    """

    MAX_BODY = 1024 * 1024

    def __init__(
        self,
        tls: tuple[Path, Path],
        tenant: str = "tenant-1",
        client_id: str = "client-1",
        client_secret: str = "secret-1",
        dcr_id: str = "dcr-00000000000000000000000000000000",
        streams: tuple[str, ...] = ("Custom-BeaconRuntime", "Custom-BeaconInventory"),
    ) -> None:
        super().__init__(tls=tls)
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.dcr_id = dcr_id
        self.streams = streams
        self.rows: dict[str, list[dict[str, Any]]] = {s: [] for s in streams}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.max_body_seen = 0

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        url = urlsplit(path)
        parts = [p for p in url.path.split("/") if p]
        if method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return 200, self._openid(parts[0]), {}
        if method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(parts[0], body)
        if method == "POST" and len(parts) == 4 and parts[0] == "dataCollectionRules":
            return self._ingest(parts[1], parts[3], parse_qs(url.query), headers, body)
        return 404, {"error": {"code": "NotFound", "message": path}}, {}

    def _openid(self, tenant: str) -> dict[str, Any]:
        base = f"{self.url}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{base}/v2.0",
            "tenant_region_scope": "EU",
        }

    def _token(self, tenant: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            self.token_requests += 1
        ok = (
            tenant == self.tenant
            and form.get("grant_type") == "client_credentials"
            and form.get("client_id") == self.client_id
            and secrets.compare_digest(form.get("client_secret", ""), self.client_secret)
        )
        if not ok:
            return 401, {"error": "invalid_client", "error_description": "bad credentials"}, {}
        if "monitor.azure.com" not in form.get("scope", ""):
            return 400, {"error": "invalid_scope", "error_description": "scope"}, {}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def _ingest(
        self, dcr: str, stream: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, {"error": {"code": "InvalidToken", "message": "token"}}, {}
        if query.get("api-version") != ["2023-01-01"]:
            return 400, {"error": {"code": "InvalidApiVersion", "message": "api"}}, {}
        if dcr != self.dcr_id or stream not in self.streams:
            return 404, {"error": {"code": "NotFound", "message": f"{dcr}/{stream}"}}, {}
        forced = self._scripted()
        if forced is not None:
            return forced.status, forced.body, forced.headers
        raw = _maybe_gunzip(headers, body)
        if raw is None:
            return 400, {"error": {"code": "InvalidContentEncoding", "message": "gzip"}}, {}
        with self.lock:
            self.max_body_seen = max(self.max_body_seen, len(raw))
        if len(raw) > self.MAX_BODY or len(body) > self.MAX_BODY:
            return 413, {"error": {"code": "ContentLengthLimitExceeded", "message": "1MB"}}, {}
        try:
            rows = json.loads(raw)
        except ValueError:
            return 400, {"error": {"code": "InvalidJson", "message": "json"}}, {}
        if not isinstance(rows, list):
            return 400, {"error": {"code": "InvalidPayload", "message": "array"}}, {}
        with self.lock:
            self.rows[stream].extend(rows)
        return 204, None, {}


def make_tls_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost: (cert.pem, key.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "beacon-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path
