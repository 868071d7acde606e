"""Datadog Logs: Vector `datadog_logs` or the Datadog Agent tailing the files itself."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

API_KEY = EnvVar("DD_API_KEY", "Datadog API key.", secret=True)
SITE = EnvVar("DD_SITE", "Datadog site.", default="datadoghq.com")
ENV = (API_KEY, SITE)

SERVICE = "beacon-endpoint-agent"


def enrich(stream: Stream) -> str:
    """Reserved attributes Datadog uses for facets; the Agent path sets the same ones."""
    return (
        "# Datadog reserved attributes: same source/service/tags as the Datadog Agent pack.\n"
        '.ddsource = "beacon"\n'
        f'.service = "{SERVICE}"\n'
        f'.ddtags = "stream:{stream},vendor:beacon,product:endpoint-agent"\n'
    )


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`datadog_logs`: API key and site from the environment."""
    return {
        "type": "datadog_logs",
        "default_api_key": API_KEY.ref,
        "site": SITE.ref,
        "compression": "gzip",
        "batch": {"max_events": 1000, "timeout_secs": 5},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: API key, pipeline, facets."""
    return (
        "1. Create an API key (Organization Settings → API Keys) for the forwarder only.\n"
        "2. Logs → Pipelines: add a pipeline with filter `source:beacon` and a **Date Remapper**\n"
        "   on `timestamp`, a **Status Remapper** on `severity`, and facets on `event.action`,\n"
        "   `harness.name`, `session.id`, `endpoint.hostname`.\n"
        "3. Search: `source:beacon stream:runtime`; malformed lines: `source:beacon "
        "stream:malformed`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Post one sample event to the v2 logs intake; 202 means accepted."""
    return (
        ': "${DD_API_KEY:?set DD_API_KEY}"\n'
        'site="${DD_SITE:-datadoghq.com}"\n'
        'event="$(head -n 1 "$PACK_DIR/sample-event.jsonl")"\n'
        'status="$(curl -sS -o "$tmp/answer" -w \'%{http_code}\' \\\n'
        '  "https://http-intake.logs.$site/api/v2/logs" \\\n'
        '  -H "DD-API-KEY: $DD_API_KEY" -H "Content-Type: application/json" \\\n'
        '  -d "[{\\"ddsource\\":\\"beacon\\",\\"service\\":\\"beacon-endpoint-agent\\",'
        '\\"ddtags\\":\\"stream:smoke-test\\",\\"message\\":$(printf %s "$event" | '
        "python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}]\")\"\n"
        '[ "$status" = 202 ] || { echo "intake answered $status"; cat "$tmp/answer"; exit 1; }\n'
        'echo "ok: Datadog accepted the sample event (202)"\n'
    )


DESTINATION = Destination(
    name="datadog",
    title="Datadog Logs",
    summary="Datadog log intake, source:beacon with a stream tag per stream.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    vector_enrich=enrich,
    datadog_agent=True,
)
