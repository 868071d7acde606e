"""Microsoft Sentinel sink via the Azure Monitor Logs Ingestion API (DCE/DCR streams).

Rows follow the table schema in docs/shipper.md (TimeGenerated, main fields, the full event
as a dynamic `Event`). Each request's JSON array stays under 1 MB uncompressed and is sent
gzip. Tokens come from azure-identity (client secret, workload identity, managed identity).
"""

from __future__ import annotations

import functools
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

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

API_VERSION = "2023-01-01"
KNOWN_AUTHORITIES = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
}
FIELD_LIMIT = 32 * 1024  # Azure caps one field at 64 KB; keep the head of cut rows well under


def _get(doc: dict[str, Any] | None, *path: str) -> Any:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def build_row(stream: str, raw: bytes, doc: dict[str, Any] | None) -> dict[str, Any]:
    """One table row: TimeGenerated, main columns, and the whole event as `Event`."""
    when = event_time(doc)
    row: dict[str, Any] = {
        "TimeGenerated": (
            when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if when
            else None
        ),
        "EventId": _get(doc, "event", "id"),
        "EventAction": _get(doc, "event", "action"),
        "EventKind": _get(doc, "event", "kind"),
        "Severity": _get(doc, "severity"),
        "Hostname": _get(doc, "endpoint", "hostname"),
        "HarnessName": _get(doc, "harness", "name"),
        "SessionId": _get(doc, "session", "id"),
        "SchemaVersion": _get(doc, "schema_version"),
        "BeaconStream": stream,
        "Event": doc if doc is not None else raw.decode("utf-8", "replace"),
    }
    if when is None:
        del row["TimeGenerated"]  # the DCR transform fills it with ingestion time
    return row


def _credential() -> Any:
    """A token chain: env client secret, workload identity, then managed identity."""
    from azure.identity import (
        ChainedTokenCredential,
        EnvironmentCredential,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )

    kwargs: dict[str, Any] = {}
    authority = env("AZURE_AUTHORITY_HOST")
    if authority and urlsplit(authority).hostname not in KNOWN_AUTHORITIES:
        kwargs["disable_instance_discovery"] = True  # private/sovereign or test authority
    chain: list[Any] = [EnvironmentCredential(**kwargs)]
    if env("AZURE_FEDERATED_TOKEN_FILE") and env("AZURE_CLIENT_ID") and env("AZURE_TENANT_ID"):
        chain.append(WorkloadIdentityCredential(**kwargs))
    chain.append(ManagedIdentityCredential(client_id=env("AZURE_CLIENT_ID")))
    return ChainedTokenCredential(*chain)


class SentinelSink:
    """POSTs gzip JSON arrays to `{dce}/dataCollectionRules/{dcr}/streams/{stream}`."""

    name = "sentinel"

    def __init__(self, config: ShipConfig, credential: Any = None) -> None:
        import httpx

        opts = config.sentinel
        if not opts.dce_endpoint or not opts.dcr_id:
            raise ConfigError(
                "ship.sentinel.dce_endpoint and ship.sentinel.dcr_id (--dce-endpoint, "
                "--dcr-id) are required"
            )
        self.opts = opts
        self.endpoint = opts.dce_endpoint.rstrip("/")
        _, self.compress = pick(config.compressor, config.compress_level)
        self.credential = credential if credential is not None else _credential()
        self.client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))

    @property
    def destination(self) -> str:
        """Endpoint and DCR (never credentials)."""
        return f"{self.endpoint} {self.opts.dcr_id}"

    def requests(self, batch: Batch) -> list[bytes]:
        """The batch as JSON arrays of at most `max_request_bytes` each (uncompressed)."""
        limit = self.opts.max_request_bytes
        out: list[bytes] = []
        rows: list[bytes] = []
        size = 2
        for raw, doc in parse_lines(batch.data):
            if doc is None:
                batch.malformed += 1
            row = orjson.dumps(build_row(batch.stream, raw, doc))
            if len(row) + 2 > limit:
                row = orjson.dumps(_cut_row(batch.stream, raw, doc, len(row)))
            if rows and size + len(row) + 1 > limit:
                out.append(b"[" + b",".join(rows) + b"]")
                rows, size = [], 2
            rows.append(row)
            size += len(row) + 1
        if rows:
            out.append(b"[" + b",".join(rows) + b"]")
        return out

    def send(self, batch: Batch, retry: Retry) -> None:
        """Send every request of the batch; each is retried on its own."""
        stream_name = self.opts.stream_names[batch.stream]
        for body in self.requests(batch):
            retry.call(functools.partial(self._post, stream_name, self.compress(body)))

    def _token(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return str(self.credential.get_token(self.opts.scope).token)
        except ClientAuthenticationError as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "unreachable" in message.lower() or "connection" in message.lower():
                raise RetryableError(f"Entra ID token: {message}") from exc
            raise PermanentError(f"Entra ID token: {message}") from exc
        except Exception as exc:  # azure-core network errors vary by transport
            raise RetryableError(f"Entra ID token: {type(exc).__name__}: {exc}") from exc

    def _post(self, stream_name: str, body: bytes) -> None:
        import httpx

        url = (
            f"{self.endpoint}/dataCollectionRules/{self.opts.dcr_id}/streams/{stream_name}"
            f"?api-version={API_VERSION}"
        )
        headers = {
            "Authorization": f"Bearer {self._token()}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
        try:
            resp = self.client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise RetryableError(f"Logs Ingestion {self.endpoint}: {exc}") from exc
        if 200 <= resp.status_code < 300:
            return
        message = f"Logs Ingestion {stream_name}: HTTP {resp.status_code} {resp.text[:300]}"
        if status_is_retryable(resp.status_code):
            raise RetryableError(message, parse_retry_after(resp.headers.get("Retry-After")))
        raise PermanentError(message)

    def close(self) -> None:
        """Close the HTTP pool and the credential."""
        self.client.close()
        close = getattr(self.credential, "close", None)
        if close is not None:
            close()


def _cut_row(stream: str, raw: bytes, doc: dict[str, Any] | None, size: int) -> dict[str, Any]:
    row = build_row(stream, b"", doc)
    row["Event"] = {
        "shipper": {"row_cut": True, "original_bytes": size},
        "raw_head": raw[:FIELD_LIMIT].decode("utf-8", "replace"),
    }
    return row
