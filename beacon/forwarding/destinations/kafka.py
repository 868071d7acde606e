"""Apache Kafka: one topic per stream, SASL/TLS, idempotent producer with acks=all."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import (
    Destination,
    EnvVar,
    FilebeatOutput,
    PackOptions,
    Stream,
)

SERVERS = EnvVar("KAFKA_BOOTSTRAP_SERVERS", "Bootstrap servers, host:port[,host:port].")
USERNAME = EnvVar("KAFKA_SASL_USERNAME", "SASL/SCRAM user of the forwarder.")
PASSWORD = EnvVar("KAFKA_SASL_PASSWORD", "SASL/SCRAM password.", secret=True)
ENV = (SERVERS, USERNAME, PASSWORD)


def topic(options: PackOptions, stream: str) -> str:
    """`<prefix>.<stream>`, e.g. `beacon.runtime`."""
    return f"{options.prefix.strip('/').replace('/', '.')}.{stream}"


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`kafka`: acks=all and idempotence, so a retry never duplicates or loses a record."""
    return {
        "type": "kafka",
        "bootstrap_servers": SERVERS.ref,
        "topic": topic(options, stream),
        "compression": "zstd",
        "encoding": {"codec": "json"},
        "sasl": {
            "enabled": True,
            "mechanism": "SCRAM-SHA-512",
            "username": USERNAME.ref,
            "password": PASSWORD.ref,
        },
        "tls": {"enabled": True},
        "librdkafka_options": {"acks": "all", "enable.idempotence": "true"},
    }


def filebeat_output(options: PackOptions) -> dict[str, Any]:
    """`output.kafka`: topic from the input's `fields.beacon_stream`."""
    return {
        "hosts": [SERVERS.ref],
        "topic": f"{options.prefix.strip('/').replace('/', '.')}.%{{[fields.beacon_stream]}}",
        "required_acks": -1,
        "compression": "gzip",
        "username": USERNAME.ref,
        "password": PASSWORD.ref,
        "sasl": {"mechanism": "SCRAM-SHA-512"},
        "ssl": {"enabled": True},
    }


def destination_setup(options: PackOptions) -> str:
    """README section: topics and ACLs."""
    topics = [topic(options, s) for s in (*options.streams, "malformed")]
    return (
        "1. Create the topics (Vector and Filebeat never auto-create them):\n\n   ```sh\n"
        + "".join(
            f"   kafka-topics.sh --bootstrap-server $KAFKA_BOOTSTRAP_SERVERS --create --topic {t} "
            "--partitions 3 --replication-factor 3 --config min.insync.replicas=2\n"
            for t in topics
        )
        + "   ```\n\n"
        "2. Create a SCRAM-SHA-512 user for the forwarder with `WRITE` and `DESCRIBE` on those\n"
        "   topics and `IDEMPOTENT_WRITE` on the cluster.\n"
        "3. Filebeat ships malformed lines to the stream's own topic with `error.message` set.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Produce one sample event with kcat and consume it back."""
    t = topic(options, "smoke-test")
    return (
        ': "${KAFKA_BOOTSTRAP_SERVERS:?set KAFKA_BOOTSTRAP_SERVERS}"\n'
        ': "${KAFKA_SASL_USERNAME:?set KAFKA_SASL_USERNAME}" '
        '"${KAFKA_SASL_PASSWORD:?set KAFKA_SASL_PASSWORD}"\n'
        'kcat_opts=(-b "$KAFKA_BOOTSTRAP_SERVERS" -X security.protocol=SASL_SSL\n'
        '  -X sasl.mechanisms=SCRAM-SHA-512 -X "sasl.username=$KAFKA_SASL_USERNAME"\n'
        '  -X "sasl.password=$KAFKA_SASL_PASSWORD")\n'
        f'head -n 1 "$PACK_DIR/sample-event.jsonl" | kcat "${{kcat_opts[@]}}" -P -t {t}\n'
        f'kcat "${{kcat_opts[@]}}" -C -t {t} -o -1 -e | grep -q \'"vendor":"beacon"\'\n'
        f'echo "ok: Kafka topic {t} accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="kafka",
    title="Apache Kafka",
    summary="Topics <prefix>.runtime / <prefix>.inventory / <prefix>.malformed.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    filebeat_outputs=(FilebeatOutput("kafka", "kafka", filebeat_output),),
)
