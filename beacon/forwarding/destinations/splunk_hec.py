"""Splunk HTTP Event Collector: one sourcetype per stream, indexer acknowledgements on."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

ENDPOINT = EnvVar("SPLUNK_HEC_ENDPOINT", "HEC base URL, no path, e.g. https://splunk.example:8088.")
TOKEN = EnvVar("SPLUNK_HEC_TOKEN", "HEC token (indexer acknowledgement enabled).", secret=True)
INDEX = EnvVar("SPLUNK_INDEX", "Index the token may write to.", default="beacon")
ENV = (ENDPOINT, TOKEN, INDEX)

# The sink moves `timestamp_key` into HEC `time` and deletes it from the event; a helper
# field keeps Beacon's own `timestamp` in the event while Splunk indexes the event time.
HEC_TIME_VRL = """\
# HEC `time` comes from the event's own timestamp (the sink removes only this helper field).
._beacon_time = parse_timestamp(.timestamp, format: "%+") ?? now()
"""


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`splunk_hec_logs` to `/services/collector/event`, JSON events, batches ≤ 1 MB."""
    return {
        "type": "splunk_hec_logs",
        "endpoint": ENDPOINT.ref,
        "default_token": TOKEN.ref,
        "endpoint_target": "event",
        "index": INDEX.ref,
        "sourcetype": f"beacon:{stream}",
        "source": "beacon-endpoint-agent",
        "timestamp_key": "_beacon_time",
        "compression": "gzip",
        "encoding": {"codec": "json"},
        "batch": {"max_bytes": 1_000_000, "timeout_secs": 1},
        "acknowledgements": {"indexer_acknowledgements_enabled": True},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: index, sourcetypes, token."""
    types = ", ".join(f"`beacon:{s}`" for s in (*options.streams, "malformed"))
    return (
        "1. Create the index (Settings → Indexes, or `indexes.conf`):\n\n"
        "   ```ini\n   [beacon]\n   homePath = $SPLUNK_DB/beacon/db\n"
        "   coldPath = $SPLUNK_DB/beacon/colddb\n   thawedPath = $SPLUNK_DB/beacon/thaweddb\n"
        "   frozenTimePeriodInSecs = 31536000\n   ```\n\n"
        f"2. Sourcetypes {types}, in `props.conf`:\n\n"
        "   ```ini\n   [beacon:runtime]\n   KV_MODE = json\n   SHOULD_LINEMERGE = false\n"
        "   TRUNCATE = 0\n\n   [beacon:inventory]\n   KV_MODE = json\n   SHOULD_LINEMERGE = false\n"
        "   TRUNCATE = 0\n\n   [beacon:malformed]\n   KV_MODE = json\n   ```\n\n"
        "3. Create an HEC token (Settings → Data inputs → HTTP Event Collector) with allowed "
        "index\n"
        "   `beacon` and **Enable indexer acknowledgement** checked: Vector then advances its "
        "file\n"
        "   checkpoints only once Splunk reports the events indexed, not merely received.\n"
        "4. Search: `index=beacon sourcetype=beacon:runtime | stats count by event.action`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Send one sample event through HEC and check the `Success` answer."""
    return (
        ': "${SPLUNK_HEC_ENDPOINT:?set SPLUNK_HEC_ENDPOINT}" '
        '"${SPLUNK_HEC_TOKEN:?set SPLUNK_HEC_TOKEN}"\n'
        'event="$(head -n 1 "$PACK_DIR/sample-event.jsonl")"\n'
        'body="{\\"index\\":\\"${SPLUNK_INDEX:-beacon}\\",\\"sourcetype\\":\\"beacon:runtime\\",'
        '\\"source\\":\\"beacon-smoke-test\\",\\"event\\":$event}"\n'
        'curl -fsS "$SPLUNK_HEC_ENDPOINT/services/collector/event" \\\n'
        '  -H "Authorization: Splunk $SPLUNK_HEC_TOKEN" \\\n'
        '  -H "X-Splunk-Request-Channel: $(cat /proc/sys/kernel/random/uuid 2>/dev/null || '
        'uuidgen)" \\\n'
        '  -d "$body" | tee "$tmp/answer.json"\n'
        'grep -q \'"code":0\' "$tmp/answer.json"\n'
        'echo; echo "ok: HEC accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="splunk-hec",
    title="Splunk HTTP Event Collector",
    summary="HEC /services/collector/event with indexer acknowledgements; sourcetype per stream.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    vector_enrich=lambda _stream: HEC_TIME_VRL,
)
