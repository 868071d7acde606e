"""S3 sink: one gzip NDJSON object per batch, `put_object` to a deterministic key.

Credentials come from the boto3 chain (env, profile, instance role); botocore's own
retries are off so the shipper's retry policy is the only one.
"""

from __future__ import annotations

from typing import Any

from beacon.errors import ConfigError
from shippers._compress import pick
from shippers.config import ShipConfig, env
from shippers.sinks import Batch, PermanentError, Retry, RetryableError, status_is_retryable


class S3Sink:
    """Writes `<prefix>/<stream>/date=…/<host>-<file-id>-<start>-<end>.jsonl.gz`."""

    name = "s3"

    def __init__(self, config: ShipConfig) -> None:
        import boto3
        from botocore.config import Config

        opts = config.s3
        if not opts.bucket:
            raise ConfigError("ship.s3.bucket (--bucket or BEACON_S3_BUCKET) is required")
        self.bucket = opts.bucket
        self.prefix = opts.prefix.strip("/")
        self.compressor_name, self.compress = pick(config.compressor, config.compress_level)
        self.client: Any = boto3.client(
            "s3",
            region_name=opts.region or env("AWS_REGION") or env("AWS_DEFAULT_REGION"),
            endpoint_url=opts.endpoint_url,
            config=Config(
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    @property
    def destination(self) -> str:
        """`s3://bucket/prefix`."""
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, batch: Batch) -> str:
        """The full object key of a batch."""
        return f"{self.prefix}/{batch.key}" if self.prefix else batch.key

    def send(self, batch: Batch, retry: Retry) -> None:
        """Compress once, then PUT until acknowledged."""
        body = self.compress(batch.data)
        key = self.key(batch)
        retry.call(lambda: self._put(key, body))

    def _put(self, key: str, body: bytes) -> None:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            ParamValidationError,
            PartialCredentialsError,
        )

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
            )
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            code = exc.response.get("Error", {}).get("Code", "")
            message = f"S3 PutObject {self.bucket}/{key}: HTTP {status} {code}"
            if status == 0 or status_is_retryable(status) or code in ("SlowDown", "RequestTimeout"):
                raise RetryableError(message) from exc
            raise PermanentError(message) from exc
        except (NoCredentialsError, PartialCredentialsError, ParamValidationError) as exc:
            raise PermanentError(f"S3 PutObject {self.bucket}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise RetryableError(f"S3 PutObject {self.bucket}/{key}: {exc}") from exc

    def close(self) -> None:
        """Release the HTTP pool."""
        self.client.close()
