"""The collector behind `beacon run`: OTLP receivers -> runtime mappers -> pipeline -> writer.

One asyncio process. Receivers decode; `Collector.ingest` maps each record with its
runtime's mapper, runs the pipeline and queues the events on the writer; a full queue
answers "retry later" instead of buffering without bound. Shutdown stops both listeners,
lets in-flight requests finish, then drains and fsyncs the writer: nothing accepted is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from beacon.config import BeaconConfig
from beacon.errors import ConfigError
from beacon.receivers.ingest import IngestResult, Outcome
from beacon.receivers.otlp_decode import Signal
from beacon.runtimes.context import MapContext, MapOptions
from beacon.runtimes.records import Batch
from beacon.runtimes.registry import Mapper
from beacon.schema.event import Event
from beacon.writer import Lines

SHUTDOWN_GRACE_SECONDS = 5.0
WRITER_CLOSE_SECONDS = 10.0


class EventSink(Protocol):
    """The writer contract the collector relies on (`beacon.writer.EventWriter`)."""

    stats: Any

    def start(self) -> None: ...

    def submit(self, events: list[Event] | Lines, timeout: float = 0) -> bool: ...

    def close(self, timeout: float = 10.0) -> None: ...


class EventPipeline(Protocol):
    """The pipeline contract (`beacon.pipeline.Pipeline`)."""

    stats: Any

    def process_serialized(self, events: list[Event]) -> list[tuple[Event, bytes]]: ...

    def counters(self) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class Address:
    """A listen address; port 0 means "pick a free port"."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(value: str, *, allow_remote: bool, what: str) -> Address:
    """`HOST:PORT` (IPv6 as `[::1]:4317`); a non-loopback host needs `allow_remote`."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"{what}: expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"{what}: {host} is not a loopback address; pass --allow-remote (or set "
            "collector.allow_remote) to listen beyond this machine"
        )
    return Address(host, int(port_text))


def is_loopback(host: str) -> bool:
    """Whether every address `host` resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


class Collector:
    """Maps, processes and queues decoded OTLP data; serves it over gRPC and HTTP."""

    def __init__(
        self,
        config: BeaconConfig,
        *,
        pipeline: EventPipeline | None = None,
        writer: EventSink | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.config = config
        options = MapOptions(
            include_codex_spans=config.collector.include_codex_spans,
            include_runtime_metrics=config.collector.include_runtime_metrics,
        )
        self.mapper = Mapper(MapContext(options))
        if pipeline is None:
            from beacon.pipeline import build_pipeline

            pipeline = build_pipeline(config)
        if writer is None:
            from beacon.writer import EventWriter

            writer = EventWriter(config.writer)
        self.pipeline = pipeline
        self.writer = writer
        self.out = out or sys.stdout
        self.accepting = False
        self.started_at = time.monotonic()
        self.received: Counter[str] = Counter()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.events_mapped = 0
        self.events_queued = 0
        self.busy_rejections = 0
        self.degraded_records = 0
        self.ingest_seconds = 0.0
        self.addresses: dict[str, Address] = {}

    # ------------------------------------------------------------------ ingest

    def _queue_full(self, records: int) -> bool:
        """Whether this request's events (about one per record; room for two) may not fit.

        Deciding before mapping matters: mapping has effects (cumulative metrics become
        deltas), so a request refused after mapping would be counted twice when retried.
        """
        depth = getattr(self.writer, "queue_depth", None)
        if not isinstance(depth, int):
            depth = getattr(self.writer.stats, "queue_depth", 0)
        if not isinstance(depth, int) or depth == 0:
            return False
        return depth + 2 * records > self.config.writer.queue_events

    def ingest(self, signal: Signal, batch: Batch, transport: str) -> IngestResult:
        """Map, process and queue one decoded request; BUSY when the writer is full."""
        if not self.accepting:
            return IngestResult(Outcome.CLOSED)
        if self._queue_full(len(batch)):
            self.busy_rejections += 1
            return IngestResult(Outcome.BUSY)
        began = time.perf_counter()
        self.received[signal] += len(batch)
        events = self.mapper.map(batch)
        processed = Lines.of_serialized(self.pipeline.process_serialized(events))
        self.events_mapped += len(events)
        if processed and not self.writer.submit(processed, timeout=0):
            self.busy_rejections += 1
            self.ingest_seconds += time.perf_counter() - began
            return IngestResult(Outcome.BUSY)
        self.events_queued += len(processed)
        self.ingest_seconds += time.perf_counter() - began
        rejected = len(events) - len(processed)
        notes = []
        if rejected:
            notes.append(f"{rejected} events dropped by the pipeline")
        if batch.degraded:
            self.degraded_records += len(batch.degraded)
            notes.append(f"{len(batch.degraded)} values nested too deep were cut")
        return IngestResult(Outcome.OK, rejected=rejected, message="; ".join(notes))

    def count_request(self, transport: str, signal: str, code: str) -> None:
        """Count one answered request (for `/metrics`)."""
        self.requests[(transport, signal, code)] += 1

    # ------------------------------------------------------------------ health and metrics

    def health(self) -> tuple[bool, dict[str, object]]:
        """`/healthz`: ok while accepting; the listen addresses, uptime and the log directory
        (endpoint status uses it to tell which runtime.jsonl the events reach)."""
        detail: dict[str, object] = {
            "status": "ok" if self.accepting else "stopping",
            "uptime_seconds": round(time.monotonic() - self.started_at, 3),
            **{name: str(addr) for name, addr in self.addresses.items()},
            "log_dir": str(self.config.writer.log_path.absolute()),
        }
        return self.accepting, detail

    def metrics_text(self) -> str:
        """Prometheus text exposition of collector, pipeline and writer counters."""
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                lines.append(f"{name}{labels} {_number(value)}")

        metric(
            "beacon_otlp_records_received_total",
            "counter",
            "OTLP log records, spans and data points received.",
            [(f'{{signal="{s}"}}', n) for s, n in sorted(self.received.items())]
            or [('{signal="logs"}', 0)],
        )
        metric(
            "beacon_otlp_requests_total",
            "counter",
            "OTLP export requests answered, by transport, signal and status.",
            [
                (f'{{transport="{t}",signal="{s}",code="{c}"}}', n)
                for (t, s, c), n in sorted(self.requests.items())
            ],
        )
        pstats = self.pipeline.stats
        metric(
            "beacon_events_mapped_total",
            "counter",
            "Events produced by runtime mappers.",
            [("", self.events_mapped)],
        )
        metric(
            "beacon_events_accepted_total",
            "counter",
            "Events accepted by the pipeline.",
            [("", getattr(pstats, "accepted", 0))],
        )
        metric(
            "beacon_events_queued_total",
            "counter",
            "Events handed to the writer.",
            [("", self.events_queued)],
        )
        dropped: Counter[str] = Counter()
        dropped.update(
            {f"pipeline_{k}": v for k, v in dict(getattr(pstats, "dropped", {})).items()}
        )
        dropped.update({f"mapper_{k}": v for k, v in self.mapper.context.dropped.items()})
        metric(
            "beacon_events_dropped_total",
            "counter",
            "Records or events deliberately dropped, by reason.",
            [(f'{{reason="{_label(r)}"}}', n) for r, n in sorted(dropped.items())]
            or [('{reason="none"}', 0)],
        )
        processor_counts = self.pipeline.counters()
        metric(
            "beacon_redactions_total",
            "counter",
            "Secrets redacted.",
            [("", processor_counts.get("redactions", 0))],
        )
        metric(
            "beacon_truncations_total",
            "counter",
            "Fields truncated.",
            [("", processor_counts.get("truncations", 0))],
        )
        metric(
            "beacon_events_degraded_total",
            "counter",
            "Events written with parts cut (size cap, nesting depth).",
            [("", processor_counts.get("degraded", 0) + self.degraded_records)],
        )
        metric(
            "beacon_events_duplicates_marked_total",
            "counter",
            "Events marked as a repeat of the same tool call seen on another path.",
            [("", processor_counts.get("duplicates", 0))],
        )
        metric(
            "beacon_mapping_errors_total",
            "counter",
            "Records a mapper failed on (kept as telemetry.unclassified).",
            [("", self.mapper.mapping_errors)],
        )
        metric(
            "beacon_backpressure_rejections_total",
            "counter",
            "Requests refused because the writer queue was full.",
            [("", self.busy_rejections)],
        )
        metric(
            "beacon_ingest_seconds_total",
            "counter",
            "Time spent mapping and processing.",
            [("", self.ingest_seconds)],
        )
        wstats = self.writer.stats
        written = getattr(wstats, "written", 0)
        if isinstance(written, dict):
            samples = [(f'{{stream="{k}"}}', v) for k, v in sorted(written.items())]
        else:
            samples = [("", written)]
        metric("beacon_events_written_total", "counter", "Events written to disk.", samples)
        metric(
            "beacon_writer_errors_total",
            "counter",
            "Writer errors.",
            [("", getattr(wstats, "errors", 0))],
        )
        metric(
            "beacon_writer_queue_depth",
            "gauge",
            "Events waiting in the writer queue.",
            [("", getattr(wstats, "queue_depth", 0))],
        )
        metric(
            "beacon_write_latency_seconds",
            "summary",
            "Writer batch write (append + fsync) latency.",
            [
                ("_sum", float(getattr(wstats, "write_seconds_total", 0.0))),
                ("_count", getattr(wstats, "batches", 0)),
            ],
        )
        metric(
            "beacon_write_latency_max_seconds",
            "gauge",
            "Slowest writer batch so far.",
            [("", float(getattr(wstats, "write_seconds_max", 0.0)))],
        )
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ serving

    async def serve(self, stop: asyncio.Event | None = None) -> None:
        """Run until `stop` is set or SIGINT/SIGTERM arrives, then shut down cleanly."""
        from aiohttp import web

        from beacon.receivers.hooks_http import add_hook_intake
        from beacon.receivers.otlp_grpc import build_server
        from beacon.receivers.otlp_http import OtlpHttpReceiver

        collector = self.config.collector
        allow = collector.allow_remote
        grpc_addr = parse_address(collector.otlp_grpc, allow_remote=allow, what="--otlp-grpc")
        http_addr = parse_address(collector.otlp_http, allow_remote=allow, what="--otlp-http")
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not possible off the main thread or on Windows; the caller then sets `stop`.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

        self.writer.start()
        grpc_server = build_server(self, max_message_bytes=collector.max_decompressed_bytes)
        try:
            grpc_port = grpc_server.add_insecure_port(str(grpc_addr))
        except RuntimeError:  # grpcio raises on a port in use (older versions returned 0)
            grpc_port = 0
        if grpc_port == 0:
            self.writer.close(WRITER_CLOSE_SECONDS)
            raise ConfigError(f"--otlp-grpc: cannot listen on {grpc_addr} (address in use?)")
        receiver = OtlpHttpReceiver(
            self,
            max_request_bytes=collector.max_request_bytes,
            max_decompressed_bytes=collector.max_decompressed_bytes,
            health=self.health,
            metrics_text=self.metrics_text,
        )
        runner = web.AppRunner(
            add_hook_intake(receiver.app(), self),
            auto_decompress=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        try:
            family = socket.AF_INET6 if ":" in http_addr.host else socket.AF_INET
            sock = socket.create_server(
                (http_addr.host, http_addr.port), family=family, backlog=512
            )
        except OSError as exc:
            await runner.cleanup()
            self.writer.close(WRITER_CLOSE_SECONDS)
            raise ConfigError(f"--otlp-http: cannot listen on {http_addr}: {exc}") from None
        site = web.SockSite(runner, sock)
        await site.start()
        await grpc_server.start()
        self.addresses = {
            "otlp-grpc": Address(grpc_addr.host, grpc_port),
            "otlp-http": Address(http_addr.host, sock.getsockname()[1]),
        }
        self.accepting = True
        from beacon.inventory.schedule import run_schedule

        inventory = asyncio.create_task(run_schedule(self.config, stop))
        grpc_text, http_text = self.addresses["otlp-grpc"], self.addresses["otlp-http"]
        print(
            f"listening otlp-grpc={grpc_text} otlp-http={http_text}",
            file=self.out,
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            inventory.cancel()
            # Stop accepting connections, let in-flight requests finish, then drain the writer.
            await asyncio.gather(grpc_server.stop(SHUTDOWN_GRACE_SECONDS), runner.cleanup())
            self.accepting = False
            await asyncio.to_thread(self.writer.close, WRITER_CLOSE_SECONDS)


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
