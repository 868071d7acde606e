"""OTLP/HTTP receiver (aiohttp): `POST /v1/{logs,traces,metrics}` plus health and metrics.

Accepts `application/x-protobuf` and `application/json`, answers in the request's type,
decompresses gzip/deflate itself with a hard cap (a gzip bomb gets 413 after at most
`max_decompressed_bytes`, never more memory), and reports bad data as 400 with a
`google.rpc.Status` body. aiohttp was chosen over a bare asyncio server by benchmark
(see docs/collector.md): it costs little per request next to decoding and mapping.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable

from aiohttp import web
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsPartialSuccess,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from beacon.errors import DecodeError
from beacon.ingest import RETRY_MESSAGES, IngestResult, Outcome
from beacon.receivers.otlp_decode import Signal, decode_json, decode_protobuf
from beacon.receivers.sink import OtlpSink
from beacon.receivers.status import (
    INVALID_ARGUMENT,
    RESOURCE_EXHAUSTED,
    UNAVAILABLE,
    UNIMPLEMENTED,
    status_json,
    status_protobuf,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_PROTOBUF_TYPES = frozenset({PROTOBUF, "application/protobuf", "application/vnd.google.protobuf"})
_REJECTED_FIELD = {
    "logs": "rejectedLogRecords",
    "traces": "rejectedSpans",
    "metrics": "rejectedDataPoints",
}
_CHUNK = 64 * 1024


class _TooLarge(Exception):
    """The body exceeds a size limit (413)."""


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo `Content-Encoding` (gzip, deflate, identity), never producing more than `limit`."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise _TooLarge(f"body exceeds {limit} bytes")
        return body
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise ValueError(f"unsupported Content-Encoding {encoding!r} (use gzip)")
    out = bytearray()
    data = body
    try:
        while data:
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise _TooLarge(f"decompressed body exceeds {limit} bytes")
            data = inflater.unconsumed_tail
            if inflater.eof and inflater.unused_data:
                # Concatenated gzip members are legal; continue with the next member.
                data = inflater.unused_data
                inflater = zlib.decompressobj(wbits=47)
        out += inflater.flush()
    except zlib.error as exc:
        raise DecodeError(f"invalid {encoding} body: {exc}") from None
    if len(out) > limit:
        raise _TooLarge(f"decompressed body exceeds {limit} bytes")
    return bytes(out)


def _response_message(signal: Signal, result: IngestResult) -> bytes:
    """The Export<Signal>ServiceResponse, with partial_success only when something was cut."""
    partial = result.rejected > 0 or bool(result.message)
    if signal == "logs":
        logs = ExportLogsServiceResponse()
        if partial:
            logs.partial_success.CopyFrom(
                ExportLogsPartialSuccess(
                    rejected_log_records=result.rejected, error_message=result.message
                )
            )
        return logs.SerializeToString()
    if signal == "traces":
        traces = ExportTraceServiceResponse()
        if partial:
            traces.partial_success.CopyFrom(
                ExportTracePartialSuccess(
                    rejected_spans=result.rejected, error_message=result.message
                )
            )
        return traces.SerializeToString()
    metrics = ExportMetricsServiceResponse()
    if partial:
        metrics.partial_success.CopyFrom(
            ExportMetricsPartialSuccess(
                rejected_data_points=result.rejected, error_message=result.message
            )
        )
    return metrics.SerializeToString()


def _response_json(signal: Signal, result: IngestResult) -> bytes:
    if result.rejected <= 0 and not result.message:
        return b"{}"
    import orjson

    partial = {_REJECTED_FIELD[signal]: str(result.rejected), "errorMessage": result.message}
    return orjson.dumps({"partialSuccess": partial})


class OtlpHttpReceiver:
    """Builds the aiohttp application; decoding only, everything else goes to the sink."""

    def __init__(
        self,
        sink: OtlpSink,
        *,
        max_request_bytes: int,
        max_decompressed_bytes: int,
        health: Callable[[], tuple[bool, dict[str, object]]],
        metrics_text: Callable[[], str],
    ) -> None:
        self.sink = sink
        self.max_request_bytes = max_request_bytes
        self.max_decompressed_bytes = max_decompressed_bytes
        self.health = health
        self.metrics_text = metrics_text

    def app(self) -> web.Application:
        """The application: OTLP routes, `/healthz`, `/metrics`."""
        app = web.Application(client_max_size=self.max_request_bytes)
        for signal in ("logs", "traces", "metrics"):
            app.router.add_post(f"/v1/{signal}", self._export_handler(signal))
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    def _export_handler(self, signal: Signal) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            response = await self._export(signal, request)
            self.sink.count_request("http", signal, str(response.status))
            return response

        return handler

    async def _export(self, signal: Signal, request: web.Request) -> web.Response:
        content_type = request.content_type.lower()
        is_json = content_type == JSON
        if not is_json and content_type not in _PROTOBUF_TYPES:
            return _error(
                415,
                UNIMPLEMENTED,
                f"unsupported Content-Type {content_type!r}; use {PROTOBUF} or {JSON}",
                json=True,
            )
        declared = request.content_length
        if declared is not None and declared > self.max_request_bytes:
            return _error(
                413,
                RESOURCE_EXHAUSTED,
                f"body exceeds {self.max_request_bytes} bytes",
                json=is_json,
            )
        try:
            raw = await _read_limited(request, self.max_request_bytes)
            body = decompress(
                raw, request.headers.get("Content-Encoding", ""), self.max_decompressed_bytes
            )
        except _TooLarge as exc:
            return _error(413, RESOURCE_EXHAUSTED, str(exc), json=is_json)
        except ValueError as exc:
            if isinstance(exc, DecodeError):
                return _error(400, INVALID_ARGUMENT, str(exc), json=is_json)
            return _error(415, UNIMPLEMENTED, str(exc), json=is_json)
        try:
            batch = decode_json(signal, body) if is_json else decode_protobuf(signal, body)
        except DecodeError as exc:
            return _error(400, INVALID_ARGUMENT, str(exc), json=is_json)
        result = await self.sink.otlp(signal, batch)
        if result.outcome is not Outcome.OK:
            seconds = max(1, round(result.retry_after))
            code = 503
            message = RETRY_MESSAGES[result.outcome]
            response = _error(code, UNAVAILABLE, message, json=is_json, retry_after=seconds)
            response.headers["Retry-After"] = str(seconds)
            return response
        if is_json:
            return web.Response(body=_response_json(signal, result), content_type=JSON)
        return web.Response(body=_response_message(signal, result), content_type=PROTOBUF)

    async def _healthz(self, request: web.Request) -> web.Response:
        import orjson

        ok, detail = self.health()
        return web.Response(status=200 if ok else 503, body=orjson.dumps(detail), content_type=JSON)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            text=self.metrics_text(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Prometheus-Format": "0.0.4"},
        )


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The raw (still compressed) body, chunked or not, refusing more than `limit` bytes."""
    out = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        out += chunk
        if len(out) > limit:
            raise _TooLarge(f"body exceeds {limit} bytes")
    return bytes(out)


def _error(
    status: int, code: int, message: str, *, json: bool, retry_after: float | None = None
) -> web.Response:
    if json:
        return web.Response(status=status, body=status_json(code, message), content_type=JSON)
    body = status_protobuf(code, message, retry_after=retry_after)
    return web.Response(status=status, body=body, content_type=PROTOBUF)
