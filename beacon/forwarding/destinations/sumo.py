"""Sumo Logic: HTTP Logs & Metrics Source, gzip NDJSON, one source category per stream."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

URL = EnvVar(
    "SUMO_HTTP_SOURCE_URL",
    "Unique URL of the HTTP Logs & Metrics Source (the URL itself is the credential).",
    secret=True,
)
ENV = (URL,)


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`http` sink: POST gzip NDJSON with the Sumo metadata headers."""
    return {
        "type": "http",
        "uri": URL.ref,
        "method": "post",
        "compression": "gzip",
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
        "batch": {"max_bytes": 1_000_000, "timeout_secs": 5},
        "request": {
            "headers": {
                "X-Sumo-Category": f"{options.prefix.strip('/')}/{stream}",
                "X-Sumo-Name": f"beacon-{stream}",
            }
        },
    }


def destination_setup(options: PackOptions) -> str:
    """README section: hosted collector and HTTP source."""
    return (
        "1. Create a Hosted Collector and add an **HTTP Logs & Metrics** source; enable\n"
        "   *Extract timestamp* with format `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` and locator\n"
        '   `\\"timestamp\\":\\"(.*?)\\"`.\n'
        "2. Copy the source URL into `SUMO_HTTP_SOURCE_URL` (treat it as a secret).\n"
        "3. Source categories are "
        + ", ".join(f"`{options.prefix.strip('/')}/{s}`" for s in (*options.streams, "malformed"))
        + "; search `_sourceCategory=beacon/runtime | json auto`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Post one gzip sample event; Sumo answers 200."""
    return (
        ': "${SUMO_HTTP_SOURCE_URL:?set SUMO_HTTP_SOURCE_URL}"\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" | gzip -c > "$tmp/sample.gz"\n'
        'curl -fsS -X POST "$SUMO_HTTP_SOURCE_URL" -H "Content-Encoding: gzip" \\\n'
        f'  -H "X-Sumo-Category: {options.prefix.strip("/")}/smoke-test" '
        '--data-binary "@$tmp/sample.gz"\n'
        'echo "ok: Sumo Logic accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="sumo",
    title="Sumo Logic",
    summary="HTTP Logs & Metrics Source, _sourceCategory <prefix>/<stream>.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
)
