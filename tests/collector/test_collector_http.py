"""OTLP/HTTP and OTLP/gRPC protocol behaviour of a running `beacon run`."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from collector_harness import FIXTURES, RunningCollector
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc

from beacon.collector.service import Collector
from beacon.config import BeaconConfig, CollectorConfig, InventoryConfig, WriterConfig
from beacon.logfiles.writer import EventWriter

pytestmark = pytest.mark.network

CLAUDE_JSON = FIXTURES / "claude-code-2.1.197/json1/otlp/0002-logs.json"
CODEX_PB = FIXTURES / "codex-0.169.0/binary1/otlp/0002-logs.pb"
PB = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def test_protobuf_export_answers_empty_protobuf_response(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """Full success: 200, the request's content type, an empty Export response."""
    response = http_client.post(
        shared_collector.url("/v1/logs"), content=CODEX_PB.read_bytes(), headers=PB
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert response.content == b""


def test_json_export_gzip_and_chunked_bodies_are_accepted(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """JSON answers `{}`; gzip Content-Encoding and chunked transfer both work."""
    body = CLAUDE_JSON.read_bytes()
    shared_collector.mark()
    plain = http_client.post(shared_collector.url("/v1/logs"), content=body, headers=JSON)
    zipped = http_client.post(
        shared_collector.url("/v1/logs"),
        content=gzip.compress(body),
        headers={**JSON, "Content-Encoding": "gzip"},
    )

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    chunked = http_client.post(shared_collector.url("/v1/logs"), content=chunks(), headers=JSON)
    for response in (plain, zipped, chunked):
        assert response.status_code == 200
        assert response.json() == {}
    events = shared_collector.new_events(3 * 44)
    assert len(events) == 3 * 44


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/json", "Content-Encoding": "br"}, 415),
        ({"Content-Type": "application/json"}, 400),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, 400),
    ],
)
def test_wrong_types_encodings_and_bad_data_get_status_bodies(
    shared_collector: RunningCollector,
    http_client: httpx.Client,
    headers: dict[str, str],
    status: int,
) -> None:
    """415 for unknown types/encodings, 400 for bad data, each with a google.rpc.Status."""
    response = http_client.post(
        shared_collector.url("/v1/traces"), content=b"{nope", headers=headers
    )
    assert response.status_code == status
    body = response.json()
    assert body["code"] in (3, 12) and body["message"]


def test_bad_protobuf_gets_400_with_protobuf_status(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """A protobuf request is answered with a protobuf google.rpc.Status."""
    response = http_client.post(
        shared_collector.url("/v1/metrics"), content=b"\xff" * 16, headers=PB
    )
    assert response.status_code == 400
    status = status_pb2.Status.FromString(response.content)
    assert status.code == 3 and "protobuf" in status.message


def test_oversized_and_gzip_bomb_bodies_get_413(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """17 MiB as sent, or 100 MiB after gunzip, is refused with 413 (limits 16/64 MiB)."""
    big = http_client.post(
        shared_collector.url("/v1/logs"), content=b"\0" * (17 * 1024 * 1024), headers=PB
    )
    assert big.status_code == 413
    bomb = gzip.compress(b"\0" * (100 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200_000
    response = http_client.post(
        shared_collector.url("/v1/logs"), content=bomb, headers={**PB, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 413
    assert http_client.get(shared_collector.url("/healthz")).status_code == 200


def test_method_and_path_errors(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """GET on an export path is 405; unknown paths are 404."""
    assert http_client.get(shared_collector.url("/v1/logs")).status_code == 405
    assert (
        http_client.post(shared_collector.url("/v1/profiles"), content=b"", headers=PB).status_code
        == 404
    )


def test_deeply_nested_value_is_accepted_with_a_partial_success_warning(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """A value nested beyond the depth limit is cut; the sender is told in partialSuccess."""
    value: dict[str, object] = {"stringValue": "leaf"}
    for _ in range(60):
        value = {"arrayValue": {"values": [value]}}
    body = {
        "resourceLogs": [
            {"scopeLogs": [{"logRecords": [{"attributes": [{"key": "d", "value": value}]}]}]}
        ]
    }
    response = http_client.post(
        shared_collector.url("/v1/logs"), content=json.dumps(body), headers=JSON
    )
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "0" and "nested too deep" in partial["errorMessage"]


def test_healthz_and_prometheus_metrics(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """`/healthz` is ok; `/metrics` has accepted, written, dropped, queue and latency series."""
    health = http_client.get(shared_collector.url("/healthz"))
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["log_dir"] == str(shared_collector.log_dir.absolute())
    http_client.post(shared_collector.url("/v1/logs"), content=CODEX_PB.read_bytes(), headers=PB)
    text = http_client.get(shared_collector.url("/metrics")).text
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples['beacon_otlp_requests_total{transport="http",signal="logs",code="200"}'] >= 1
    assert samples["beacon_events_accepted_total"] >= 23
    assert samples['beacon_events_written_total{stream="runtime"}'] >= 1
    assert "beacon_writer_queue_depth" in samples
    assert "beacon_write_latency_seconds_count" in samples
    assert "beacon_redactions_total" in samples and "beacon_truncations_total" in samples
    assert any(k.startswith("beacon_events_dropped_total{reason=") for k in samples)


def test_grpc_export_gzip_and_size_limit(shared_collector: RunningCollector) -> None:
    """gRPC Export accepts gzip; a message over the limit is RESOURCE_EXHAUSTED."""
    request = logs_service_pb2.ExportLogsServiceRequest.FromString(CODEX_PB.read_bytes())
    with grpc.insecure_channel(
        shared_collector.grpc, options=[("grpc.max_send_message_length", 128 * 1024 * 1024)]
    ) as channel:
        stub = logs_service_pb2_grpc.LogsServiceStub(channel)
        response = stub.Export(request, timeout=10, compression=grpc.Compression.Gzip)
        assert not response.HasField("partial_success")
        huge = logs_service_pb2.ExportLogsServiceRequest()
        record = huge.resource_logs.add().scope_logs.add().log_records.add()
        record.body.string_value = "x" * (65 * 1024 * 1024)
        with pytest.raises(grpc.RpcError) as error:
            stub.Export(huge, timeout=30)
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


class StalledWriter(EventWriter):
    """A real writer whose disk does not catch up until `release()` starts its thread."""

    def start(self) -> None:
        pass

    def release(self) -> None:
        super().start()


def test_full_writer_queue_answers_503_and_a_request_is_answered_only_once_written(
    tmp_path: Path,
) -> None:
    """Backpressure: HTTP 503 + Retry-After, gRPC UNAVAILABLE; nothing mapped twice; the
    accepted request is answered 200 only after its events reached the file."""
    config = BeaconConfig(
        collector=CollectorConfig(otlp_grpc="127.0.0.1:0", otlp_http="127.0.0.1:0"),
        writer=WriterConfig(log_dir=str(tmp_path), queue_events=10),
        inventory=InventoryConfig(interval=0),  # its heartbeat would take the stalled queue
    )
    writer = StalledWriter(config.writer)
    collector = Collector(config, writer=writer, out=io.StringIO())
    stop = asyncio.Event()
    results: dict[str, object] = {}

    async def scenario() -> None:
        task = asyncio.create_task(collector.serve(stop))
        for _ in range(200):
            if collector.accepting:
                break
            await asyncio.sleep(0.01)
        http = collector.addresses["otlp-http"]
        async with httpx.AsyncClient(timeout=10) as client:
            url = f"http://{http}/v1/logs"
            first = asyncio.create_task(client.post(url, content=CODEX_PB.read_bytes(), headers=PB))
            for _ in range(200):  # the first request's events wait in the stalled queue
                if writer.queue_depth:
                    break
                await asyncio.sleep(0.01)
            second = await client.post(url, content=CODEX_PB.read_bytes(), headers=PB)
            async with grpc.aio.insecure_channel(str(collector.addresses["otlp-grpc"])) as chan:
                stub = logs_service_pb2_grpc.LogsServiceStub(chan)
                try:
                    await stub.Export(
                        logs_service_pb2.ExportLogsServiceRequest.FromString(CODEX_PB.read_bytes())
                    )
                except grpc.aio.AioRpcError as exc:
                    results["grpc"] = exc.code()
            results["pending_while_stalled"] = not first.done()
            results["file_before"] = (tmp_path / "runtime.jsonl").exists()
            writer.release()
            results["first"] = (await first).status_code
            results["lines_at_answer"] = (tmp_path / "runtime.jsonl").read_bytes().count(b"\n")
        results["second"] = second
        stop.set()
        await task

    thread = threading.Thread(target=asyncio.run, args=(scenario(),))
    thread.start()
    thread.join(30)
    assert results["pending_while_stalled"] is True
    assert results["file_before"] is False
    assert results["first"] == 200
    assert results["lines_at_answer"] == writer.stats.written["runtime"] > 0
    second = results["second"]
    assert isinstance(second, httpx.Response)
    assert second.status_code == 503 and second.headers["Retry-After"] == "1"
    assert status_pb2.Status.FromString(second.content).code == 14
    assert results["grpc"] == grpc.StatusCode.UNAVAILABLE
    assert collector.ingest.stats.busy_rejections == 2
    assert collector.ingest.stats.received["logs"] == 23  # only the accepted request was mapped


def test_grpc_reports_partial_success_for_cut_values(shared_collector: RunningCollector) -> None:
    """Over gRPC too, a value nested past the depth limit is cut and reported, not refused."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

    value = AnyValue(string_value="leaf")
    for _ in range(40):
        outer = AnyValue()
        outer.array_value.values.append(value)
        value = outer
    request = logs_service_pb2.ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    attribute = record.attributes.add()
    attribute.key = "deep"
    attribute.value.CopyFrom(value)
    with grpc.insecure_channel(shared_collector.grpc) as channel:
        response = logs_service_pb2_grpc.LogsServiceStub(channel).Export(request, timeout=10)
    assert response.HasField("partial_success")
    assert response.partial_success.rejected_log_records == 0
    assert "nested too deep" in response.partial_success.error_message


def test_secrets_are_redacted_and_counted_before_writing(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """A key in a Claude prompt never reaches disk; `/metrics` counts redactions and cuts."""
    secret = "sk-ant-api03-" + "Q" * 40
    record = {
        "timeUnixNano": "1795312267360000000",
        "body": {"stringValue": "claude_code.user_prompt"},
        "attributes": [
            {"key": "event.name", "value": {"stringValue": "user_prompt"}},
            {"key": "session.id", "value": {"stringValue": "redaction-test"}},
            {"key": "prompt", "value": {"stringValue": f"use {secret} please " + "x" * 20_000}},
        ],
    }
    body = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]
                },
                "scopeLogs": [{"logRecords": [record]}],
            }
        ]
    }
    shared_collector.mark()
    response = http_client.post(
        shared_collector.url("/v1/logs"), content=json.dumps(body), headers=JSON
    )
    assert response.status_code == 200
    (event,) = shared_collector.new_events(1)
    assert event["event"]["action"] == "prompt.submitted"
    assert secret not in json.dumps(event)
    assert shared_collector.runtime_log.read_text().count(secret) == 0
    text = http_client.get(shared_collector.url("/metrics")).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line[:1] != "#"
    }
    assert values["beacon_redactions_total"] >= 1
    assert values["beacon_truncations_total"] >= 1
