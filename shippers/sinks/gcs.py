"""GCS sink: one gzip NDJSON object per batch at a deterministic key.

Objects are stored as `Content-Type: application/gzip` *without* `Content-Encoding`, so GCS
never applies decompressive transcoding: every reader gets the exact bytes uploaded, and
checksums match. Credentials come from Application Default Credentials.
"""

from __future__ import annotations

from typing import Any

from beacon.errors import ConfigError
from shippers._compress import pick
from shippers.config import ShipConfig, env
from shippers.sinks import Batch, PermanentError, Retry, RetryableError, status_is_retryable


class GCSSink:
    """Uploads `<prefix>/<stream>/date=…/<host>-<file-id>-<start>-<end>.jsonl.gz`."""

    name = "gcs"

    def __init__(self, config: ShipConfig) -> None:
        from google.cloud import storage

        opts = config.gcs
        if not opts.bucket:
            raise ConfigError("ship.gcs.bucket (--bucket or BEACON_GCS_BUCKET) is required")
        self.prefix = opts.prefix.strip("/")
        _, self.compress = pick(config.compressor, config.compress_level)
        kwargs: dict[str, Any] = {"project": opts.project}
        if env("STORAGE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials

            kwargs = {
                "project": opts.project or "beacon-emulator",
                "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
            }
        try:
            self.client: Any = storage.Client(**kwargs)
        except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError and kin
            raise ConfigError(f"GCS credentials: {exc}") from exc
        self.bucket_name = opts.bucket
        self.bucket = self.client.bucket(opts.bucket)

    @property
    def destination(self) -> str:
        """`gs://bucket/prefix`."""
        return f"gs://{self.bucket_name}/{self.prefix}"

    def key(self, batch: Batch) -> str:
        """The full object name of a batch."""
        return f"{self.prefix}/{batch.key}" if self.prefix else batch.key

    def send(self, batch: Batch, retry: Retry) -> None:
        """Compress once, then upload until acknowledged (same name overwrites)."""
        body = self.compress(batch.data)
        key = self.key(batch)
        retry.call(lambda: self._upload(key, body))

    def _upload(self, key: str, body: bytes) -> None:
        import requests
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc

        blob = self.bucket.blob(key)
        blob.metadata = {"beacon-content": "application/x-ndjson"}
        try:
            blob.upload_from_string(body, content_type="application/gzip", retry=None, timeout=60)
        except gexc.GoogleAPICallError as exc:
            status = int(exc.code or 0)
            message = f"GCS upload gs://{self.bucket_name}/{key}: HTTP {status} {exc.message}"
            if status == 0 or status_is_retryable(status):
                raise RetryableError(message) from exc
            raise PermanentError(message) from exc
        except (requests.RequestException, auth_exc.TransportError, OSError) as exc:
            raise RetryableError(f"GCS upload gs://{self.bucket_name}/{key}: {exc}") from exc

    def close(self) -> None:
        """Release the HTTP session."""
        close = getattr(self.client, "close", None)
        if close is not None:
            close()
