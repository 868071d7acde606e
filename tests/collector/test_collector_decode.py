"""OTLP decoding: protobuf and OTLP/JSON give the same records, JSON quirks are accepted."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import orjson
import pytest
from collector_harness import FIXTURES

from beacon.errors import DecodeError
from beacon.receivers.otlp_decode import DEPTH_MARKER, decode_json, decode_protobuf


def _pb_pairs() -> list[Path]:
    return sorted(FIXTURES.glob("*/*/otlp/*.pb"))


@pytest.mark.parametrize("pb", _pb_pairs(), ids=lambda p: "/".join(p.parts[-4:]))
def test_protobuf_and_its_json_rendering_decode_to_the_same_records(pb: Path) -> None:
    """Every recorded .pb and its OTLP/JSON rendering (hex ids, int64 strings) agree."""
    signal = pb.stem.split("-", 1)[1]
    from_pb = decode_protobuf(signal, pb.read_bytes())  # type: ignore[arg-type]
    from_json = decode_json(signal, pb.with_suffix(".json").read_bytes())  # type: ignore[arg-type]
    assert len(from_pb) == len(from_json) > 0
    assert from_pb.logs == from_json.logs
    assert from_pb.spans == from_json.spans
    assert from_pb.points == from_json.points


def _log_request(record: dict[str, object], resource: list[object] | None = None) -> bytes:
    return json.dumps(
        {
            "resourceLogs": [
                {
                    "resource": {"attributes": resource or []},
                    "scopeLogs": [{"scope": {"name": "s", "version": "1"}, "logRecords": [record]}],
                    "someFutureField": {"x": 1},
                }
            ]
        }
    ).encode()


def test_json_accepts_int64_as_string_or_number_and_hex_ids() -> None:
    """JS exporters send bare numbers, proto3 JSON sends strings; ids are hex."""
    body = _log_request(
        {
            "timeUnixNano": 1795312267283000000,
            "observedTimeUnixNano": "1795312267283000001",
            "severityNumber": 9,
            "traceId": "8D593DDDB195DDCD10A0134D7B16066B",
            "spanId": "e7f8dc0f7e724cbc",
            "body": {"stringValue": "claude_code.user_prompt"},
            "attributes": [
                {"key": "n", "value": {"intValue": "42"}},
                {"key": "m", "value": {"intValue": 43}},
                {"key": "d", "value": {"doubleValue": 0.5}},
                {"key": "b", "value": {"boolValue": True}},
                {"key": "empty", "value": {}},
                {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "x"}]}}},
                {
                    "key": "kv",
                    "value": {
                        "kvlistValue": {"values": [{"key": "k", "value": {"intValue": "1"}}]}
                    },
                },
            ],
            "unknownRecordField": True,
        }
    )
    record = decode_json("logs", body).logs[0]
    assert record.time_unix_nano == 1795312267283000000
    assert record.observed_time_unix_nano == 1795312267283000001
    assert record.trace_id == "8d593dddb195ddcd10a0134d7b16066b"
    assert record.span_id == "e7f8dc0f7e724cbc"
    assert record.severity_number == 9
    assert record.body == "claude_code.user_prompt"
    assert record.attributes == {
        "n": 42,
        "m": 43,
        "d": 0.5,
        "b": True,
        "empty": None,
        "arr": ["x"],
        "kv": {"k": 1},
    }
    assert record.scope.name == "s" and record.scope.version == "1"


def test_json_accepts_enum_names_base64_ids_and_codex_quirks() -> None:
    """Enum names, base64 ids (json_format style), empty ids, null body, time 0 all decode."""
    trace = bytes(range(16))
    body = _log_request(
        {
            "timeUnixNano": "0",
            "observedTimeUnixNano": "1795312384393701680",
            "severityNumber": "SEVERITY_NUMBER_WARN",
            "traceId": base64.b64encode(trace).decode(),
            "spanId": "",
            "body": None,
            "eventName": "event otel/src/events/session_telemetry.rs:703",
        }
    )
    record = decode_json("logs", body).logs[0]
    assert record.severity_number == 13
    assert record.trace_id == trace.hex()
    assert record.span_id == ""
    assert record.body is None
    assert record.time_unix_nano == 0
    assert record.event_name.startswith("event otel/")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"resourceLogs": 5}',
        b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "soon"}]}]}]}',
        b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "zz"}]}]}]}',
        b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"attributes": [{"key": 1}]}]}]}]}',
        b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": 5}}]}]}]}',
        b"\xff\xfe{}",
    ],
)
def test_malformed_json_raises_decode_error(body: bytes) -> None:
    """Structurally wrong requests are DecodeError (answered 400), never another exception."""
    with pytest.raises(DecodeError):
        decode_json("logs", body)


@pytest.mark.parametrize("body", [b"\x0a\x05\x0a\x03", b"\xff" * 20, b"\x0a\xff\xff\xff\xff\x0f"])
def test_truncated_or_random_protobuf_raises_decode_error(body: bytes) -> None:
    """Truncated and garbage protobuf is a DecodeError."""
    with pytest.raises(DecodeError):
        decode_protobuf("logs", body)


def test_deep_nesting_is_cut_and_reported_as_degraded() -> None:
    """A kvlist nested 100 deep is cut at the depth limit, not recursed into."""
    value: dict[str, object] = {"stringValue": "leaf"}
    for _ in range(100):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    body = _log_request({"attributes": [{"key": "deep", "value": value}]})
    batch = decode_json("logs", body)
    assert batch.degraded == ["depth"]
    node = batch.logs[0].attributes["deep"]
    depth = 0
    while isinstance(node, dict):
        node = node["k"]
        depth += 1
    assert node == DEPTH_MARKER
    assert depth == 32


def test_metrics_json_decodes_sums_histograms_and_temporality() -> None:
    """Sum points keep asInt/asDouble; histograms keep sum and count; temporality as int."""
    body = orjson.dumps(
        {
            "resourceMetrics": [
                {
                    "scopeMetrics": [
                        {
                            "metrics": [
                                {
                                    "name": "a",
                                    "sum": {
                                        "aggregationTemporality": 2,
                                        "isMonotonic": True,
                                        "dataPoints": [{"asInt": "7", "timeUnixNano": "5"}],
                                    },
                                },
                                {
                                    "name": "h",
                                    "histogram": {
                                        "aggregationTemporality": "AGGREGATION_TEMPORALITY_DELTA",
                                        "dataPoints": [
                                            {"count": "3", "sum": 1.5, "bucketCounts": ["1"]}
                                        ],
                                    },
                                },
                            ]
                        }
                    ]
                }
            ]
        }
    )
    points = decode_json("metrics", body).points
    assert [(p.name, p.kind, p.value, p.count, p.temporality) for p in points] == [
        ("a", "sum", 7, None, 2),
        ("h", "histogram", 1.5, 3, 1),
    ]
    assert points[0].monotonic is True
