"""`beacon run`: the collector's lifecycle — listeners, signals, health, metrics, shutdown.

One asyncio process. The OTLP receivers and the HTTP hook intake decode and hand what
they received to the one ingest path (`beacon.ingest.Ingest`: map, pipeline, writer),
answering only once it is written; the collector owns only their lifecycle. Shutdown stops
both listeners, lets in-flight requests finish, then drains and fsyncs the writer: nothing
accepted is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from beacon.collector.address import Address, is_loopback, parse_address
from beacon.config import BeaconConfig, chain_key
from beacon.errors import ConfigError
from beacon.ingest import Ingest
from beacon.logfiles.writer import EventWriter
from beacon.runtimes.context import MapContext, MapOptions
from beacon.runtimes.registry import Mapper

if TYPE_CHECKING:
    from beacon.pipeline.base import Pipeline

__all__ = ["Address", "Collector", "is_loopback", "parse_address"]

SHUTDOWN_GRACE_SECONDS = 5.0
WRITER_CLOSE_SECONDS = 10.0
ALLOW_REMOTE = "pass --allow-remote (or set collector.allow_remote) to listen beyond this machine"


class Collector:
    """Serves the one ingest path over OTLP gRPC, OTLP/HTTP and the HTTP hook intake."""

    def __init__(
        self,
        config: BeaconConfig,
        *,
        pipeline: Pipeline | None = None,
        writer: EventWriter | None = None,
        out: TextIO | None = None,
        spool_dirs: list[Path] | None = None,
    ) -> None:
        self.config = config
        self.spool_dirs = spool_dirs  # None: the hooks' default spool directories
        options = MapOptions(
            include_codex_spans=config.collector.include_codex_spans,
            include_runtime_metrics=config.collector.include_runtime_metrics,
        )
        self.mapper = Mapper(MapContext(options))
        if pipeline is None:
            from beacon.pipeline import build_pipeline

            pipeline = build_pipeline(config)
        if writer is None:
            writer = EventWriter(config.writer, key=chain_key(config))
        self.pipeline = pipeline
        self.writer = writer
        self.ingest = Ingest(
            pipeline, writer, queue_events=config.writer.queue_events, mapper=self.mapper
        )
        self.ingest.accepting = False  # until the listeners are up
        self.out = out or sys.stdout
        self.started_at = time.monotonic()
        self.addresses: dict[str, Address] = {}

    @property
    def accepting(self) -> bool:
        """Whether the listeners take requests (False before start and while stopping)."""
        return self.ingest.accepting

    # ------------------------------------------------------------------ health and metrics

    def health(self) -> tuple[bool, dict[str, object]]:
        """`/healthz`: ok while accepting; listen addresses, uptime and the log files."""
        detail: dict[str, object] = {
            "status": "ok" if self.accepting else "stopping",
            "uptime_seconds": round(time.monotonic() - self.started_at, 3),
            **{name: str(addr) for name, addr in self.addresses.items()},
            "log_dir": str(self.config.writer.log_path),
            "writer_mode": self.config.writer.mode,
        }
        return self.accepting, detail

    def metrics_text(self) -> str:
        """Prometheus text exposition of collector, pipeline and writer counters."""
        from beacon.collector.metrics import collector_metrics

        return collector_metrics(
            self.ingest.stats,
            self.pipeline.stats,
            self.pipeline.counters(),
            self.mapper.context.dropped,
            self.mapper.mapping_errors,
            self.writer.stats,
        )

    # ------------------------------------------------------------------ serving

    async def serve(self, stop: asyncio.Event | None = None) -> None:
        """Run until `stop` is set or SIGINT/SIGTERM arrives, then shut down cleanly."""
        from aiohttp import web

        from beacon.hooks.intake import add_hook_intake
        from beacon.receivers.otlp_grpc import build_server
        from beacon.receivers.otlp_http import OtlpHttpReceiver

        collector = self.config.collector
        allow = collector.allow_remote
        grpc_addr = parse_address(
            collector.otlp_grpc, allow_remote=allow, what="--otlp-grpc", how_to_allow=ALLOW_REMOTE
        )
        http_addr = parse_address(
            collector.otlp_http, allow_remote=allow, what="--otlp-http", how_to_allow=ALLOW_REMOTE
        )
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not possible off the main thread or on Windows; the caller then sets `stop`.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

        self.writer.start()
        grpc_server = build_server(self.ingest, max_message_bytes=collector.max_decompressed_bytes)
        try:
            grpc_port = grpc_server.add_insecure_port(str(grpc_addr))
        except RuntimeError:  # grpcio raises on a port in use (older versions returned 0)
            grpc_port = 0
        if grpc_port == 0:
            self.writer.close(WRITER_CLOSE_SECONDS)
            raise ConfigError(f"--otlp-grpc: cannot listen on {grpc_addr} (address in use?)")
        receiver = OtlpHttpReceiver(
            self.ingest,
            max_request_bytes=collector.max_request_bytes,
            max_decompressed_bytes=collector.max_decompressed_bytes,
            health=self.health,
            metrics_text=self.metrics_text,
        )
        runner = web.AppRunner(
            add_hook_intake(receiver.app(), self.ingest, self.spool_dirs),
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
        self.ingest.accepting = True
        from beacon.inventory.schedule import run_schedule

        inventory = asyncio.create_task(run_schedule(self.config, stop, ingest=self.ingest))
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
            self.ingest.accepting = False
            await asyncio.to_thread(self.writer.close, WRITER_CLOSE_SECONDS)
