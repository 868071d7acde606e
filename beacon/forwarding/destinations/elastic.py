"""Elasticsearch / Elastic Security: data streams `logs-beacon.<stream>-default`."""

from __future__ import annotations

import json
from typing import Any

from beacon.forwarding.destination import (
    Destination,
    EnvVar,
    FilebeatOutput,
    PackOptions,
    Stream,
)

URL = EnvVar("ELASTICSEARCH_URL", "Elasticsearch URL, e.g. https://es.example:9200.")
API_KEY = EnvVar(
    "ELASTICSEARCH_API_KEY", "API key: base64 `id:key` for Vector, `id:key` for Filebeat.", True
)
LOGSTASH = EnvVar("LOGSTASH_HOST", "Logstash beats input, host:5044 (logstash variant only).")
ENV = (URL, API_KEY, LOGSTASH)

PIPELINE = "beacon-events"


def data_stream(stream: str) -> str:
    """`logs-beacon.<stream>-default`."""
    return f"logs-beacon.{stream}-default"


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`elasticsearch` in data_stream mode; the index template applies the ingest pipeline."""
    return {
        "type": "elasticsearch",
        "endpoints": [URL.ref],
        "mode": "data_stream",
        "data_stream": {"type": "logs", "dataset": f"beacon.{stream}", "namespace": "default"},
        "compression": "gzip",
        "request": {"headers": {"Authorization": f"ApiKey {API_KEY.ref}"}},
        "batch": {"max_bytes": 10_000_000, "timeout_secs": 5},
    }


def elasticsearch_output(options: PackOptions) -> dict[str, Any]:
    """`output.elasticsearch`: index and pipeline come from each input."""
    return {"hosts": [URL.ref], "api_key": API_KEY.ref}


def logstash_output(options: PackOptions) -> dict[str, Any]:
    """`output.logstash`: for sites that route through Logstash first."""
    return {"hosts": [LOGSTASH.ref], "ssl": {"enabled": True}}


def index_template() -> dict[str, Any]:
    """Composable template for the Beacon data streams, with the pipeline as default."""
    keyword = {"type": "keyword"}
    return {
        "index_patterns": ["logs-beacon.*-*"],
        "data_stream": {},
        "priority": 200,
        "template": {
            "settings": {
                "index.default_pipeline": PIPELINE,
                "index.mapping.total_fields.limit": 2000,
            },
            "mappings": {
                "dynamic": True,
                "dynamic_templates": [
                    {"strings_as_keyword": {"match_mapping_type": "string", "mapping": keyword}}
                ],
                "properties": {
                    "@timestamp": {"type": "date"},
                    "timestamp": {"type": "date"},
                    "vendor": keyword,
                    "product": keyword,
                    "schema_version": keyword,
                    "severity": keyword,
                    "stream": keyword,
                    "event": {
                        "properties": {
                            "kind": keyword,
                            "action": keyword,
                            "category": keyword,
                            "id": keyword,
                            "created": {"type": "date"},
                        }
                    },
                    "endpoint": {
                        "properties": {"hostname": keyword, "os": keyword, "agent_version": keyword}
                    },
                    "user": {"properties": {"name": keyword}},
                    "harness": {"properties": {"name": keyword, "version": keyword}},
                    "session": {"properties": {"id": keyword, "working_directory": keyword}},
                    "command": {"properties": {"command": {"type": "wildcard"}}},
                    "message": {"type": "match_only_text"},
                    "raw_line": {"type": "match_only_text"},
                    "raw": {"type": "flattened"},
                },
            },
        },
        "_meta": {"description": "Agent Beacon events (schema 1.1)"},
    }


def ingest_pipeline() -> dict[str, Any]:
    """`@timestamp` from the event's own timestamp; failures are tagged, never dropped."""
    return {
        "description": "Agent Beacon: event time and ingest time",
        "processors": [
            {
                "date": {
                    "field": "timestamp",
                    "target_field": "@timestamp",
                    "formats": ["ISO8601"],
                    "if": "ctx.timestamp != null",
                }
            },
            {
                "set": {
                    "field": "timestamp",
                    "copy_from": "@timestamp",
                    "if": "ctx.timestamp == null && ctx.stream != 'malformed'",
                }
            },
            {"set": {"field": "event.ingested", "value": "{{{_ingest.timestamp}}}"}},
        ],
        "on_failure": [
            {"set": {"field": "error.message", "value": "{{{_ingest.on_failure_message}}}"}}
        ],
    }


def destination_setup(options: PackOptions) -> str:
    """README section: template, pipeline, API key."""
    names = ", ".join(f"`{data_stream(s)}`" for s in options.streams)
    return (
        "1. Load the ingest pipeline and the index template (Dev Tools or curl):\n\n"
        "   ```sh\n"
        f'   curl -fsS -X PUT "$ELASTICSEARCH_URL/_ingest/pipeline/{PIPELINE}" \\\n'
        '     -H "Authorization: ApiKey $ELASTICSEARCH_API_KEY" -H "Content-Type: '
        'application/json" \\\n'
        "     --data-binary @ingest-pipeline.json\n"
        '   curl -fsS -X PUT "$ELASTICSEARCH_URL/_index_template/beacon" \\\n'
        '     -H "Authorization: ApiKey $ELASTICSEARCH_API_KEY" -H "Content-Type: '
        'application/json" \\\n'
        "     --data-binary @index-template.json\n"
        "   ```\n\n"
        "2. Create an API key limited to the Beacon data streams:\n\n"
        "   ```json\n"
        '   {"name": "beacon-forwarder", "role_descriptors": {"beacon_writer": {\n'
        '     "cluster": ["monitor"],\n'
        '     "indices": '
        '[{"names": ["logs-beacon.*-*"], "privileges": ["auto_configure", "create_doc"]}]}}}\n'
        "   ```\n\n"
        f"3. Events land in the data streams {names}; the template maps the Beacon fields and\n"
        f"   the `{PIPELINE}` pipeline sets `@timestamp` from the event's own `timestamp`.\n"
        "   Malformed lines: Vector sends them to `logs-beacon.malformed-default`; Filebeat keeps\n"
        "   them in the stream's own data stream with `error.message` set.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Index one sample event into the runtime data stream and read the result."""
    return (
        ': "${ELASTICSEARCH_URL:?set ELASTICSEARCH_URL}" '
        '"${ELASTICSEARCH_API_KEY:?set ELASTICSEARCH_API_KEY}"\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" > "$tmp/doc.json"\n'
        f'curl -fsS -X POST "$ELASTICSEARCH_URL/{data_stream("runtime")}/_doc?refresh=true" \\\n'
        '  -H "Authorization: ApiKey $ELASTICSEARCH_API_KEY" -H "Content-Type: application/json" '
        "\\\n"
        '  --data-binary "@$tmp/doc.json" | tee "$tmp/answer.json"\n'
        'grep -q \'"result":"created"\' "$tmp/answer.json"\n'
        'echo; echo "ok: Elasticsearch indexed the sample event"\n'
    )


DESTINATION = Destination(
    name="elastic",
    title="Elasticsearch / Elastic Security",
    summary="Data streams logs-beacon.<stream>-default with index template and ingest pipeline.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    filebeat_outputs=(
        FilebeatOutput("elasticsearch", "elasticsearch", elasticsearch_output),
        FilebeatOutput("logstash", "logstash", logstash_output),
    ),
    extra_files=lambda _o: {
        "index-template.json": json.dumps(index_template(), indent=2) + "\n",
        "ingest-pipeline.json": json.dumps(ingest_pipeline(), indent=2) + "\n",
    },
)
