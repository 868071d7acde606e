"""CrowdStrike Falcon LogScale (Humio): ingest token per repository, JSON events."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream
from beacon.forwarding.destinations.splunk_hec import HEC_TIME_VRL

URL = EnvVar("LOGSCALE_URL", "LogScale base URL.", default="https://cloud.humio.com")
TOKEN = EnvVar("LOGSCALE_INGEST_TOKEN", "Ingest token of the target repository.", secret=True)
ENV = (URL, TOKEN)


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`humio_logs` (HEC-compatible path in Vector); `source` names the stream."""
    return {
        "type": "humio_logs",
        "endpoint": URL.ref,
        "token": TOKEN.ref,
        "source": f"beacon/{stream}",
        "timestamp_key": "_beacon_time",
        "compression": "gzip",
        "encoding": {"codec": "json"},
        "batch": {"max_bytes": 1_000_000, "timeout_secs": 1},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: repository, parser, token."""
    return (
        "1. Create a repository (e.g. `beacon`) and, in it, assign the built-in **`json`** parser\n"
        "   to a new ingest token (Repository → Settings → Ingest tokens).\n"
        "2. Export the token as `LOGSCALE_INGEST_TOKEN`; the repository is implied by the token.\n"
        "3. Query: `#source=beacon/runtime | groupBy(event.action)`; malformed lines arrive with\n"
        "   `#source=beacon/malformed` and the raw text in `raw_line`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Send one sample event to the HEC-compatible ingest API."""
    return (
        ': "${LOGSCALE_INGEST_TOKEN:?set LOGSCALE_INGEST_TOKEN}"\n'
        'url="${LOGSCALE_URL:-https://cloud.humio.com}"\n'
        'event="$(head -n 1 "$PACK_DIR/sample-event.jsonl")"\n'
        'curl -fsS "$url/api/v1/ingest/hec" \\\n'
        '  -H "Authorization: Bearer $LOGSCALE_INGEST_TOKEN" \\\n'
        '  -d "{\\"source\\":\\"beacon/smoke-test\\",\\"event\\":$event}"\n'
        'echo; echo "ok: LogScale accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="falcon-logscale",
    title="CrowdStrike Falcon LogScale",
    summary="LogScale ingest API (humio_logs sink); one #source per stream.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    vector_enrich=lambda _stream: HEC_TIME_VRL,
)
