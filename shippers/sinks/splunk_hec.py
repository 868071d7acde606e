"""Splunk HEC sink: batched JSON envelopes, gzip, requests kept under ~1 MB, optional acks.

Each envelope carries `time` (from the event `timestamp`), `host`, `source`, `sourcetype`,
`index` and the event object as `event` (malformed lines are sent as a string). Delivery is
at-least-once: a retried request can duplicate events; `event.id` allows dedupe in Splunk.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from typing import Any

import orjson

from beacon.errors import ConfigError
from shippers._compress import pick
from shippers.config import ShipConfig, env
from shippers.sinks import (
    Batch,
    PermanentError,
    Retry,
    RetryableError,
    parse_retry_after,
    status_is_retryable,
)
from shippers.sinks._events import event_time, parse_lines

TOKEN_ENV = "BEACON_SPLUNK_HEC_TOKEN"


class HECSink:
    """POSTs to `/services/collector/event` with `Authorization: Splunk <token>`."""

    name = "splunk_hec"

    def __init__(self, config: ShipConfig, token: str | None = None) -> None:
        import httpx

        opts = config.splunk_hec
        if not opts.url:
            raise ConfigError(
                "ship.splunk_hec.url (--hec-url or BEACON_SPLUNK_HEC_URL) is required"
            )
        token = token or env(TOKEN_ENV)
        if not token:
            raise ConfigError(f"the HEC token comes from the {TOKEN_ENV} environment variable")
        self.opts = opts
        self.url = opts.url.rstrip("/")
        self.host = config.host
        self.log_dir = config.log_dir
        self.channel = str(uuid.uuid4())
        _, self.compress = pick(config.compressor, config.compress_level)
        headers = {
            "Authorization": f"Splunk {token}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
            "X-Splunk-Request-Channel": self.channel,
        }
        self.client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(30.0, connect=10.0), verify=opts.verify_tls
        )
        self.clock = time.monotonic

    @property
    def destination(self) -> str:
        """The collector URL and index (never the token)."""
        return f"{self.url} index={self.opts.index or '-'}"

    def envelopes(self, batch: Batch) -> list[bytes]:
        """One serialized HEC envelope per line of the batch."""
        source = self.opts.source or os.fspath(self.log_dir / _file_name(batch.stream))
        out = []
        for raw, doc in parse_lines(batch.data):
            env_doc: dict[str, Any] = {
                "host": self.host,
                "source": source,
                "sourcetype": self.opts.sourcetype,
            }
            when = event_time(doc)
            if when is not None:
                env_doc["time"] = round(when.timestamp(), 3)
            if self.opts.index:
                env_doc["index"] = self.opts.index
            if doc is None:
                batch.malformed += 1
                env_doc["event"] = raw.decode("utf-8", "replace")
            else:
                env_doc["event"] = doc
            out.append(orjson.dumps(env_doc))
        return out

    def send(self, batch: Batch, retry: Retry) -> None:
        """Send the batch as requests of at most `max_request_bytes` (uncompressed)."""
        request: list[bytes] = []
        size = 0
        for envelope in self.envelopes(batch):
            if request and size + len(envelope) > self.opts.max_request_bytes:
                body = self.compress(b"".join(request))
                retry.call(functools.partial(self._post, body, retry))
                request, size = [], 0
            request.append(envelope)
            size += len(envelope)
        if request:
            body = self.compress(b"".join(request))
            retry.call(functools.partial(self._post, body, retry))

    def _post(self, body: bytes, retry: Retry) -> None:
        import httpx

        try:
            resp = self.client.post(f"{self.url}/services/collector/event", content=body)
        except httpx.TransportError as exc:
            raise RetryableError(f"HEC {self.url}: {type(exc).__name__}: {exc}") from exc
        _check(resp, "HEC event")
        if self.opts.ack:
            ack_id = resp.json().get("ackId")
            if ack_id is None:
                raise PermanentError("HEC indexer acknowledgement is not enabled for this token")
            self._wait_ack(int(ack_id), retry)

    def _wait_ack(self, ack_id: int, retry: Retry) -> None:
        """Poll `/services/collector/ack` until indexed; on timeout the request is re-sent."""
        import httpx

        deadline = self.clock() + self.opts.ack_timeout
        delay = 0.05
        while self.clock() < deadline:
            try:
                resp = self.client.post(
                    f"{self.url}/services/collector/ack",
                    content=orjson.dumps({"acks": [ack_id]}),
                    headers={"Content-Encoding": "identity"},
                )
            except httpx.TransportError as exc:
                raise RetryableError(f"HEC ack: {exc}") from exc
            _check(resp, "HEC ack")
            if resp.json().get("acks", {}).get(str(ack_id)) is True:
                return
            retry.pause(delay)  # Splunk needs a few seconds to index; SIGTERM cuts it short
            delay = min(delay * 2, 2.0)
        raise RetryableError(f"HEC ack {ack_id} not confirmed within {self.opts.ack_timeout}s")

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _check(resp: Any, what: str) -> None:
    """Map an HEC response to success, RetryableError or PermanentError."""
    if resp.status_code == 200:
        return
    try:
        doc = resp.json()
        detail = f"code {doc.get('code')}: {doc.get('text')}"
    except ValueError:
        detail = resp.text[:200]
    message = f"{what}: HTTP {resp.status_code} {detail}"
    if status_is_retryable(resp.status_code):
        raise RetryableError(message, parse_retry_after(resp.headers.get("Retry-After")))
    raise PermanentError(message)


def _file_name(stream: str) -> str:
    from shippers.config import STREAMS

    return STREAMS[stream]
