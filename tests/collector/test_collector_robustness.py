"""Hostile input: every bad request gets a 4xx or a degraded event; the collector keeps serving.

All cases hit one collector process in order; the last test checks it still answers and
that its memory stayed bounded.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import httpx
import psutil
import pytest
from collector_harness import FIXTURES, RunningCollector
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

pytestmark = pytest.mark.network

PB = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
VALID_PB = (FIXTURES / "claude-code-2.1.197/proto1/otlp/0002-logs.pb").read_bytes()


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field, built by hand to go deeper than the library allows."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def post(
    collector: RunningCollector, client: httpx.Client, body: bytes, headers: dict[str, str]
) -> int:
    return client.post(collector.url("/v1/logs"), content=body, headers=headers).status_code


def json_log(attributes: list[dict[str, object]], body: str = "robustness") -> bytes:
    request = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "fuzz"}}]
                },
                "scopeLogs": [
                    {"logRecords": [{"body": {"stringValue": body}, "attributes": attributes}]}
                ],
            }
        ]
    }
    return json.dumps(request).encode()


def test_random_and_truncated_protobuf_never_break_the_collector(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """Random bytes and every-which-way truncations get 400 (or 200 when they happen to parse)."""
    rng = random.Random(1234)
    statuses = set()
    for _ in range(40):
        body = rng.randbytes(rng.randint(1, 4096))
        statuses.add(post(shared_collector, http_client, body, PB))
    for cut in range(1, len(VALID_PB), len(VALID_PB) // 40):
        statuses.add(post(shared_collector, http_client, VALID_PB[:cut], PB))
    assert statuses <= {200, 400}
    assert 400 in statuses
    assert post(shared_collector, http_client, VALID_PB, PB) == 200


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"resourceLogs": [', JSON, 400),
        (b"\xff\xfe\x00garbage", JSON, 400),
        (b"{}", {"Content-Type": "application/xml"}, 415),
        (b"{}", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
        (b"", {}, 415),
        (b"not gzip at all", {**JSON, "Content-Encoding": "gzip"}, 400),
    ],
)
def test_invalid_json_and_wrong_content_types(
    shared_collector: RunningCollector,
    http_client: httpx.Client,
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    """Invalid JSON (incl. invalid UTF-8) is 400; unknown content types are 415."""
    assert post(shared_collector, http_client, body, headers) == status


def test_invalid_utf8_in_protobuf_string_is_400(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """Protobuf strings must be UTF-8; a record with invalid bytes is rejected, not written."""
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.body.string_value = "MARKERMARKER"
    body = request.SerializeToString().replace(b"MARKERMARKER", b"\xff\xfe\xfd\xfc" * 3)
    assert post(shared_collector, http_client, body, PB) == 400


def test_gzip_bomb_is_413_and_memory_stays_bounded(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """A 1 GiB-when-inflated body is refused after 64 MiB; RSS does not jump by the bomb size."""
    process = psutil.Process(shared_collector.process.pid)
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=1)
    bomb = bomb * 4  # concatenated members: 1 GiB when inflated
    before = process.memory_info().rss
    headers = {**PB, "Content-Encoding": "gzip"}
    assert post(shared_collector, http_client, bomb, headers) == 413
    assert process.memory_info().rss - before < 200 * 1024 * 1024


def test_ten_megabyte_attribute_is_written_degraded(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """A 10 MB value is accepted; the written event is cut to the size cap and says so."""
    shared_collector.mark()
    body = json_log([{"key": "huge", "value": {"stringValue": "A" * (10 * 1024 * 1024)}}])
    assert post(shared_collector, http_client, body, JSON) == 200
    (event,) = shared_collector.new_events(1)
    assert len(json.dumps(event)) <= 70_000
    assert event.get("field_truncated") or event.get("content", {}).get("truncated")


def test_thousands_of_attributes_and_deep_nesting_are_kept(
    shared_collector: RunningCollector, http_client: httpx.Client
) -> None:
    """5,000 attributes and a 300-deep protobuf value each produce an event."""
    shared_collector.mark()
    many = [{"key": f"k{i}", "value": {"intValue": str(i)}} for i in range(5000)]
    assert post(shared_collector, http_client, json_log(many, body="many"), JSON) == 200

    value = AnyValue(string_value="leaf").SerializeToString()
    for _ in range(300):  # AnyValue.array_value(5) -> ArrayValue.values(1) -> AnyValue ...
        value = _field(5, _field(1, value))
    record = _field(5, AnyValue(string_value="deep").SerializeToString()) + _field(
        6, _field(1, b"deep") + _field(2, value)
    )
    body = _field(1, _field(2, _field(2, record)))
    status = post(shared_collector, http_client, body, PB)
    assert status in (200, 400)  # protobuf's own recursion limit may refuse it: still no crash
    events = shared_collector.new_events(2 if status == 200 else 1)
    assert {e.get("message") for e in events} >= {"many"}


def test_collector_still_serves_after_all_of_the_above(
    shared_collector: RunningCollector, http_client: httpx.Client, tmp_path: Path
) -> None:
    """Health is ok, a normal request still works, and RSS stays under 250 MB."""
    assert http_client.get(shared_collector.url("/healthz")).json()["status"] == "ok"
    assert post(shared_collector, http_client, VALID_PB, PB) == 200
    assert psutil.Process(shared_collector.process.pid).memory_info().rss < 250 * 1024 * 1024
