"""Amazon S3 (and S3-compatible stores): gzip NDJSON objects, one prefix per stream."""

from __future__ import annotations

import json
from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

BUCKET = EnvVar("BEACON_S3_BUCKET", "Bucket that receives the objects.")
REGION = EnvVar("AWS_REGION", "Region of the bucket.", default="us-east-1")
ENV = (
    BUCKET,
    REGION,
    EnvVar("AWS_ACCESS_KEY_ID", "Access key id, if not using an instance/role profile.", True),
    EnvVar("AWS_SECRET_ACCESS_KEY", "Secret access key, if not using a role.", True),
)


def key_prefix(options: PackOptions, stream: str) -> str:
    """`<prefix>/<stream>/date=%F/`; the trailing slash keeps the date a folder, not a name."""
    return f"{options.prefix.strip('/')}/{stream}/date=%F/"


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`aws_s3`: credentials from the default AWS chain, never from the config file."""
    return {
        "type": "aws_s3",
        "bucket": BUCKET.ref,
        "region": REGION.ref,
        "key_prefix": key_prefix(options, stream),
        "filename_time_format": "%s",
        "filename_append_uuid": True,
        "filename_extension": "jsonl.gz",
        "compression": "gzip",
        "content_type": "application/x-ndjson",
        "server_side_encryption": "AES256",
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
        "batch": {"max_bytes": 10_000_000, "timeout_secs": 60},
    }


def iam_policy(options: PackOptions) -> dict[str, Any]:
    """Least privilege for the forwarder: PutObject under the pack's prefixes only."""
    prefix = options.prefix.strip("/")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BeaconForwarderPutObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [
                    f"arn:aws:s3:::YOUR_BUCKET/{prefix}/{stream}/*"
                    for stream in (*options.streams, "malformed")
                ],
            }
        ],
    }


def destination_setup(options: PackOptions) -> str:
    """README section: bucket and IAM."""
    return (
        "1. Create the bucket (block public access on, default encryption SSE-S3 or SSE-KMS).\n"
        "2. Attach `iam-policy.json` to the role or user Vector runs as (replace `YOUR_BUCKET`).\n"
        "   Vector only needs `s3:PutObject`; it uploads one object per batch, no multipart.\n"
        "3. Objects land under\n"
        + "".join(
            f"   `{key_prefix(options, s)}<unix-time>-<uuid>.jsonl.gz`\n"
            for s in (*options.streams, "malformed")
        )
        + "   as gzip NDJSON (`Content-Type: application/x-ndjson`, `Content-Encoding: gzip`).\n"
        "   Athena/Glue: partition on `date` with a `date=YYYY-MM-DD` projection.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Upload one gzip sample event and read it back."""
    key = f"{options.prefix.strip('/')}/smoke-test/beacon-smoke-$(date +%s).jsonl.gz"
    return (
        ': "${BEACON_S3_BUCKET:?set BEACON_S3_BUCKET}"\n'
        f'key="{key}"\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" | gzip -c > "$tmp/sample.jsonl.gz"\n'
        'aws s3 cp "$tmp/sample.jsonl.gz" "s3://$BEACON_S3_BUCKET/$key" \\\n'
        "  --content-type application/x-ndjson --content-encoding gzip\n"
        'aws s3 cp "s3://$BEACON_S3_BUCKET/$key" - | gunzip -c | grep -q \'"vendor":"beacon"\'\n'
        'echo "ok: s3://$BEACON_S3_BUCKET/$key accepted and read back"\n'
    )


DESTINATION = Destination(
    name="s3",
    title="Amazon S3",
    summary="Gzip NDJSON objects under <prefix>/<stream>/date=YYYY-MM-DD/.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    extra_files=lambda o: {"iam-policy.json": json.dumps(iam_policy(o), indent=2) + "\n"},
    object_store=True,
)
