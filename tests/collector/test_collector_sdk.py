"""Real clients: the official OpenTelemetry Python SDK exporters talking to `beacon run`."""

from __future__ import annotations

from typing import Any

import pytest
from collector_harness import RunningCollector
from opentelemetry._logs import LogRecord as ApiLogRecord
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
    OTLPMetricExporter as GrpcMetricExporter,
)
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
    OTLPMetricExporter as HttpMetricExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

pytestmark = pytest.mark.network


def exporters(transport: str, collector: RunningCollector) -> tuple[Any, Any, Any]:
    """(log, span, metric) exporters for one transport."""
    if transport == "grpc":
        endpoint = f"http://{collector.grpc}"
        return (
            GrpcLogExporter(endpoint=endpoint, insecure=True),
            GrpcSpanExporter(endpoint=endpoint, insecure=True),
            GrpcMetricExporter(endpoint=endpoint, insecure=True),
        )
    base = f"http://{collector.http}"
    return (
        HttpLogExporter(endpoint=f"{base}/v1/logs"),
        HttpSpanExporter(endpoint=f"{base}/v1/traces"),
        HttpMetricExporter(endpoint=f"{base}/v1/metrics"),
    )


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_logs_spans_and_metrics_become_events(
    shared_collector: RunningCollector, transport: str
) -> None:
    """A Claude-Code-shaped log, a GenAI tool span and a usage counter arrive mapped."""
    log_exporter, span_exporter, metric_exporter = exporters(transport, shared_collector)
    session = f"sdk-{transport}"
    shared_collector.mark()

    claude = Resource.create({"service.name": "claude-code", "service.version": "9.9.9"})
    logs = LoggerProvider(resource=claude)
    logs.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    logs.get_logger("com.anthropic.claude_code.events", "9.9.9").emit(
        ApiLogRecord(
            body="claude_code.user_prompt",
            attributes={
                "event.name": "user_prompt",
                "session.id": session,
                "prompt": "hello from the SDK",
                "prompt_length": "18",
            },
        )
    )
    logs.shutdown()

    agent = Resource.create({"service.name": "sdk-agent", "service.version": "1.0"})
    traces = TracerProvider(resource=agent)
    traces.add_span_processor(SimpleSpanProcessor(span_exporter))
    with traces.get_tracer("sdk").start_as_current_span(
        "execute_tool bash",
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "bash",
            "gen_ai.tool.call.id": f"call-{transport}",
            "gen_ai.tool.call.arguments": '{"command": "echo BEACON_MARKER"}',
            "gen_ai.conversation.id": session,
        },
    ):
        pass
    traces.shutdown()

    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=60_000)
    meters = MeterProvider(resource=agent, metric_readers=[reader])
    counter = meters.get_meter("sdk").create_counter("sdk_agent.token.usage", unit="tokens")
    counter.add(120, {"type": "input", "session.id": session})
    counter.add(30, {"type": "output", "session.id": session})
    meters.shutdown()

    events = [
        e
        for e in shared_collector.new_events(4, timeout=20)
        if e.get("session", {}).get("id") == session
    ]
    by_action: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_action.setdefault(event["event"]["action"], []).append(event)
    prompt = by_action["prompt.submitted"][0]
    assert prompt["harness"] == {"name": "claude_code", "version": "9.9.9"}
    assert prompt["prompt"]["text"] == "hello from the SDK"
    command = by_action["command.executed"][0]
    assert command["harness"]["name"] == "sdk-agent"
    assert command["command"]["command"] == "echo BEACON_MARKER"
    assert command["gen_ai"]["tool"]["call"]["id"] == f"call-{transport}"
    assert len(command["trace"]["id"]) == 32 and len(command["trace"]["span_id"]) == 16
    usage = {e["gen_ai"]["token"]["type"]: e["gen_ai"]["usage"] for e in by_action["token.usage"]}
    assert usage == {"input": {"input_tokens": 120}, "output": {"output_tokens": 30}}


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_secret_in_resource_is_redacted_in_every_event_of_a_request(
    shared_collector: RunningCollector, transport: str
) -> None:
    """Five logs exported in one request under a resource holding a token: none keeps it."""
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    log_exporter, _, _ = exporters(transport, shared_collector)
    session = f"sdk-secret-{transport}"
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    resource = Resource.create({"service.name": "claude-code", "deploy.note": f"token {token}"})
    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(
        BatchLogRecordProcessor(log_exporter, schedule_delay_millis=60_000)
    )
    shared_collector.mark()
    logger = logs.get_logger("com.anthropic.claude_code.events")
    for i in range(5):
        logger.emit(
            ApiLogRecord(
                body="claude_code.user_prompt",
                attributes={"event.name": "user_prompt", "session.id": session, "prompt": f"p{i}"},
            )
        )
    logs.shutdown()  # one export of all five
    events = [
        e
        for e in shared_collector.new_events(5, timeout=20)
        if e.get("session", {}).get("id") == session
    ]
    assert len(events) == 5
    for event in events:
        assert token not in str(event)
        assert event["raw"]["resource"]["deploy.note"].startswith("token ")
        assert event["content"]["redacted"] is True
