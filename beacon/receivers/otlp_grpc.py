"""OTLP/gRPC receiver (grpcio asyncio): the logs, traces and metrics `Export` services.

grpcio handles gzip (Gemini CLI compresses every message) and the message size limit
(oversized messages get RESOURCE_EXHAUSTED). Overload answers UNAVAILABLE with a
`RetryInfo` detail, which OTLP exporters treat as retryable; partial success is reported
in the response like over HTTP.
"""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from beacon.ingest import RETRY_MESSAGES, IngestResult, Outcome
from beacon.receivers.otlp_decode import Signal, from_message
from beacon.receivers.sink import OtlpSink
from beacon.receivers.status import UNAVAILABLE, status_protobuf


class _Export:
    """One signal's Export handler; the generated servicer classes only add the name."""

    signal: Signal = "logs"

    def __init__(self, sink: OtlpSink) -> None:
        self.sink = sink

    def _response(self, result: IngestResult) -> Any:
        raise NotImplementedError

    async def Export(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        """Decode, hand to the sink, answer once written (UNAVAILABLE when it cannot be)."""
        try:
            batch = from_message(self.signal, request)
        except ValueError as exc:
            self.sink.count_request("grpc", self.signal, "INVALID_ARGUMENT")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        result = await self.sink.otlp(self.signal, batch)
        if result.outcome is not Outcome.OK:
            self.sink.count_request("grpc", self.signal, "UNAVAILABLE")
            message = RETRY_MESSAGES[result.outcome]
            details = status_protobuf(UNAVAILABLE, message, retry_after=result.retry_after)
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                message,
                trailing_metadata=(("grpc-status-details-bin", details),),
            )
        self.sink.count_request("grpc", self.signal, "OK")
        return self._response(result)


class _Logs(_Export, logs_service_pb2_grpc.LogsServiceServicer):
    signal: Signal = "logs"

    def _response(self, result: IngestResult) -> Any:
        response = logs_service_pb2.ExportLogsServiceResponse()
        if result.rejected or result.message:
            response.partial_success.rejected_log_records = result.rejected
            response.partial_success.error_message = result.message
        return response


class _Traces(_Export, trace_service_pb2_grpc.TraceServiceServicer):
    signal: Signal = "traces"

    def _response(self, result: IngestResult) -> Any:
        response = trace_service_pb2.ExportTraceServiceResponse()
        if result.rejected or result.message:
            response.partial_success.rejected_spans = result.rejected
            response.partial_success.error_message = result.message
        return response


class _Metrics(_Export, metrics_service_pb2_grpc.MetricsServiceServicer):
    signal: Signal = "metrics"

    def _response(self, result: IngestResult) -> Any:
        response = metrics_service_pb2.ExportMetricsServiceResponse()
        if result.rejected or result.message:
            response.partial_success.rejected_data_points = result.rejected
            response.partial_success.error_message = result.message
        return response


def build_server(sink: OtlpSink, *, max_message_bytes: int) -> grpc.aio.Server:
    """An asyncio gRPC server with the three OTLP services; the caller binds and starts it."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=256,
    )
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _Logs(sink), server
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _Traces(sink), server
    )
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _Metrics(sink), server
    )
    return server
