"""Replay every recorded agent fixture into a running `beacon run` and compare with golden files.

Each run is sent over the transport it was recorded with (OTLP/HTTP JSON or protobuf) and,
for protobuf runs, over gRPC as well; both must give the reviewed golden events. Golden
files hold the stable part of each event (no ids, ingest time, host, or raw payload).
Regenerate with `BEACON_UPDATE_GOLDEN=1 pytest tests/collector/test_collector_conformance.py`
and review the diff before committing.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import grpc
import httpx
import jsonschema
import orjson
import pytest
from collector_harness import FIXTURES, GOLDEN, RunningCollector
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from beacon.schema import load_json_schema

RUNS = sorted(
    p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*") if (p / "otlp").is_dir()
)
UPDATE = os.environ.get("BEACON_UPDATE_GOLDEN") == "1"
UNSTABLE = frozenset({"endpoint", "user", "raw", "content", "field_truncated", "integrity"})
RAW_KEYS = ("otel_signal", "event_name", "span_name", "metric_name")


def stable(event: dict[str, Any]) -> dict[str, Any]:
    """The mapped fields of an event: no ids, ingest time, host, raw payload, truncation notes
    or hash-chain link.

    `content`/`field_truncated` record what the pipeline's limits cut (its own tests cover
    them), so they are left out to keep these files about mapping.
    """
    out = {k: v for k, v in event.items() if k not in UNSTABLE}
    out["event"] = {k: v for k, v in event["event"].items() if k not in ("id", "created")}
    raw = event.get("raw") or {}
    out["raw"] = {k: raw[k] for k in RAW_KEYS if k in raw}
    return out


def requests_of(run: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(signal, content type, body, headers) per recorded request, in arrival order."""
    out = []
    for body_file in sorted((FIXTURES / run / "otlp").glob("*.json")):
        if body_file.name.endswith(".headers.json"):
            continue
        signal = body_file.stem.split("-", 1)[1]
        headers = orjson.loads(body_file.with_name(f"{body_file.stem}.headers.json").read_bytes())
        pb = body_file.with_suffix(".pb")
        if pb.exists():
            out.append((signal, "application/x-protobuf", pb.read_bytes(), headers))
        else:
            out.append((signal, "application/json", body_file.read_bytes(), headers))
    return out


def golden_path(run: str) -> Path:
    return GOLDEN / f"{run}.jsonl"


def load_golden(run: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in golden_path(run).read_bytes().splitlines() if line]


def send_http(collector: RunningCollector, run: str) -> None:
    with httpx.Client(timeout=20) as client:
        for signal, content_type, body, headers in requests_of(run):
            sent = {"Content-Type": content_type}
            if "user-agent" in headers:
                sent["User-Agent"] = headers["user-agent"]
            response = client.post(collector.url(f"/v1/{signal}"), content=body, headers=sent)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith(content_type)


def send_grpc(collector: RunningCollector, run: str) -> None:
    with grpc.insecure_channel(collector.grpc) as channel:
        stubs = {
            "logs": (
                logs_service_pb2_grpc.LogsServiceStub(channel),
                logs_service_pb2.ExportLogsServiceRequest,
            ),
            "traces": (
                trace_service_pb2_grpc.TraceServiceStub(channel),
                trace_service_pb2.ExportTraceServiceRequest,
            ),
            "metrics": (
                metrics_service_pb2_grpc.MetricsServiceStub(channel),
                metrics_service_pb2.ExportMetricsServiceRequest,
            ),
        }
        for signal, _, body, _ in requests_of(run):
            stub, request_type = stubs[signal]
            response = stub.Export(
                request_type.FromString(body), timeout=20, compression=grpc.Compression.Gzip
            )
            assert not response.HasField("partial_success")


def replay(collector: RunningCollector, run: str, transport: str) -> list[dict[str, Any]]:
    """Send one run, check every written event against the schema, return their stable view."""
    collector.mark()
    if transport == "grpc":
        send_grpc(collector, run)
    else:
        send_http(collector, run)
    expected = 0 if UPDATE else len(load_golden(run))
    events = collector.new_events(expected, timeout=15)
    if UPDATE:
        events = collector.new_events(10**9, timeout=2)
    validator = schema_validator()
    for event in events:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(event)]
        assert not errors, (event["event"], errors[:3])
    return [stable(e) for e in events]


@functools.cache
def schema_validator() -> Any:
    """The shipped JSON Schema of an event: every written event must pass it, raw and all."""
    schema = load_json_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def check_expectations(run: str, events: list[dict[str, Any]]) -> None:
    """What the issue asks of every fixture: the command, the prompt, token usage."""
    actions = [e["event"]["action"] for e in events]
    commands = [e for e in events if e["event"]["action"] == "command.executed"]
    assert len(commands) == 1
    if "nocontentflags" in run:
        # Without OTEL_LOG_TOOL_DETAILS Claude Code sends no command text at all.
        assert commands[0]["tool"]["name"] == "Bash"
        assert "command" not in commands[0]["command"]
    else:
        assert commands[0]["command"]["command"] == "echo BEACON_MARKER"
        assert commands[0]["gen_ai"]["tool"]["name"]
    prompts = [e for e in events if e["event"]["action"] == "prompt.submitted"]
    assert len(prompts) == 1
    if "nocontentflags" not in run:
        assert prompts[0]["prompt"]["text"] == "Run the shell command: echo BEACON_MARKER"
    usage = [e for e in events if e["event"]["action"] == "token.usage"]
    assert usage, actions
    assert sum(e["gen_ai"].get("usage", {}).get("output_tokens", 0) for e in usage) > 0
    assert any(a.startswith("approval.") for a in actions)
    harnesses = {e["harness"]["name"] for e in events}
    assert harnesses == {
        run.split("-")[0]
        .replace("claude", "claude_code")
        .replace("gemini", "gemini_cli")
        .replace("codex", "codex_cli")
    }
    for event in events:
        assert event["vendor"] == "beacon" and event["schema_version"] == "1.1"
        assert event["event"]["action"] and event["event"]["category"]
        assert event["event"].get("source") == f"otlp.{event['raw']['otel_signal']}", event


@pytest.mark.network
@pytest.mark.parametrize("run", RUNS)
def test_fixture_replayed_over_its_http_transport_matches_golden(
    shared_collector: RunningCollector, run: str
) -> None:
    """The recorded requests, sent as recorded, produce exactly the reviewed golden events."""
    events = replay(shared_collector, run, "http")
    if UPDATE:
        golden_path(run).parent.mkdir(parents=True, exist_ok=True)
        golden_path(run).write_bytes(
            b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in events)
        )
    check_expectations(run, events)
    assert events == load_golden(run)


PROTOBUF_RUNS = [run for run in RUNS if any((FIXTURES / run / "otlp").glob("*.pb"))]


@pytest.mark.network
@pytest.mark.parametrize("run", PROTOBUF_RUNS)
def test_protobuf_fixture_over_grpc_matches_the_same_golden(
    shared_collector: RunningCollector, run: str
) -> None:
    """Protobuf runs sent over gRPC (gzip) give the same events as over HTTP."""
    if UPDATE:
        pytest.skip("golden files are written by the HTTP test")
    events = replay(shared_collector, run, "grpc")
    assert events == load_golden(run)


def test_every_fixture_run_has_a_golden_file() -> None:
    """A new recording cannot be added without its reviewed golden events."""
    assert RUNS, "no fixtures found"
    missing = [run for run in RUNS if not golden_path(run).exists()]
    assert not missing
