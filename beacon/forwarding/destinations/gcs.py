"""Google Cloud Storage: gzip NDJSON objects, one prefix per stream."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream
from beacon.forwarding.destinations.s3 import key_prefix

BUCKET = EnvVar("BEACON_GCS_BUCKET", "Bucket that receives the objects.")
ENV = (
    BUCKET,
    EnvVar(
        "GOOGLE_APPLICATION_CREDENTIALS",
        "Path to the service-account key file, unless the host has workload identity / ADC.",
    ),
)


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`gcp_cloud_storage`: gzip set explicitly (the sink's default is no compression)."""
    return {
        "type": "gcp_cloud_storage",
        "bucket": BUCKET.ref,
        "key_prefix": key_prefix(options, stream),
        "filename_time_format": "%s",
        "filename_append_uuid": True,
        "filename_extension": "jsonl.gz",
        "compression": "gzip",
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
        "batch": {"max_bytes": 10_000_000, "timeout_secs": 60},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: bucket and the one role the forwarder needs."""
    return (
        "1. Create the bucket with uniform bucket-level access and public access prevention.\n"
        "2. Create a service account for the forwarder and grant it "
        "**`roles/storage.objectCreator`**\n"
        "   on the bucket only (create objects; it cannot read, list or delete):\n\n"
        "   ```sh\n"
        "   gcloud storage buckets add-iam-policy-binding gs://YOUR_BUCKET \\\n"
        "     --member=serviceAccount:beacon-forwarder@PROJECT.iam.gserviceaccount.com \\\n"
        "     --role=roles/storage.objectCreator\n"
        "   ```\n\n"
        "3. Objects land under "
        + ", ".join(f"`{key_prefix(options, s)}`" for s in (*options.streams, "malformed"))
        + " as gzip NDJSON\n"
        "   (`Content-Type: application/x-ndjson`, `Content-Encoding: gzip`). GCS serves such "
        "objects\n"
        "   decompressed to clients that do not send `Accept-Encoding: gzip` (decompressive\n"
        "   transcoding); `gcloud storage cat` and BigQuery external tables handle this.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Upload one gzip sample event and read it back."""
    return (
        ': "${BEACON_GCS_BUCKET:?set BEACON_GCS_BUCKET}"\n'
        f'key="{options.prefix.strip("/")}/smoke-test/beacon-smoke-$(date +%s).jsonl.gz"\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" | gzip -c > "$tmp/sample.jsonl.gz"\n'
        'gcloud storage cp "$tmp/sample.jsonl.gz" "gs://$BEACON_GCS_BUCKET/$key" \\\n'
        "  --content-type=application/x-ndjson --content-encoding=gzip\n"
        'gcloud storage cat "gs://$BEACON_GCS_BUCKET/$key" | grep -q \'"vendor":"beacon"\'\n'
        'echo "ok: gs://$BEACON_GCS_BUCKET/$key accepted and read back"\n'
    )


DESTINATION = Destination(
    name="gcs",
    title="Google Cloud Storage",
    summary="Gzip NDJSON objects under <prefix>/<stream>/date=YYYY-MM-DD/.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    object_store=True,
)
