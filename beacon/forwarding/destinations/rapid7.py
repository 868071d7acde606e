"""Rapid7 InsightIDR: Custom Logs event source, JSON lines over HTTPS."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

URL = EnvVar(
    "RAPID7_CUSTOM_LOGS_URL",
    "Webhook URL of the Custom Logs event source (contains its key; treat as a secret).",
    secret=True,
)
ENV = (URL,)


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`http` sink: NDJSON, one event per line, small batches."""
    return {
        "type": "http",
        "uri": URL.ref,
        "method": "post",
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
        "batch": {"max_events": 500, "timeout_secs": 5},
        "request": {"headers": {"X-Beacon-Stream": stream}},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: the Custom Logs event source."""
    return (
        "1. Data Collection → Add Event Source → **Custom Logs**; choose *Listen on webhook* /\n"
        "   HTTPS ingestion, log format **JSON**, and note the generated URL.\n"
        "   (Alternative: a Collector listening on TCP; then use Vector's `socket` sink.)\n"
        "2. Export the URL as `RAPID7_CUSTOM_LOGS_URL`.\n"
        "3. Log Search: `where(vendor = beacon) groupby(event.action)`. Malformed lines carry\n"
        "   `stream = malformed` and the raw text in `raw_line`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Post one sample event to the Custom Logs webhook."""
    return (
        ': "${RAPID7_CUSTOM_LOGS_URL:?set RAPID7_CUSTOM_LOGS_URL}"\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" > "$tmp/sample.jsonl"\n'
        'curl -fsS -X POST "$RAPID7_CUSTOM_LOGS_URL" -H "Content-Type: application/x-ndjson" \\\n'
        '  --data-binary "@$tmp/sample.jsonl"\n'
        'echo "ok: InsightIDR accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="rapid7",
    title="Rapid7 InsightIDR",
    summary="Custom Logs event source over HTTPS, JSON lines.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    notes="The webhook ingestion endpoint details are not confirmed against Rapid7's API.",
)
