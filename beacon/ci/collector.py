"""The temporary collector of a CI session: loopback, free ports, the session's log and spool.

It is `beacon run`'s collector with CI settings: both listeners on 127.0.0.1 port 0,
`runtime.jsonl` in the session directory, hook spool replay from the session's spool
only, and every event stamped `origin: ci` with the job's `run` and `ci` objects. `exec`
serves it from a thread of its own process; `start` from a background process
(`beacon.ci.background`). Stopping it drains and fsyncs the writer: requests are answered
only once written, so after the agent exited (its exporters flushed) nothing is missing.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from beacon.errors import CIError

if TYPE_CHECKING:
    from beacon.ci.providers import RunMetadata
    from beacon.ci.session import Session
    from beacon.collector.service import Collector
    from beacon.config import BeaconConfig

READY_SECONDS = 15.0
STOP_SECONDS = 30.0
LOOPBACK_ANY_PORT = "127.0.0.1:0"


def collector_config(session: Session, env: Mapping[str, str]) -> BeaconConfig:
    """The user's Beacon config (`$BEACON_CONFIG`, `BEACON_*`: redaction, limits) with the
    listeners, log directory and origin of CI mode, and no inventory schedule (a CI session
    records the agent's activity, not the runner's inventory)."""
    from beacon.config import load_config

    config = load_config(env=env)
    return replace(
        config,
        collector=replace(
            config.collector,
            otlp_grpc=LOOPBACK_ANY_PORT,
            otlp_http=LOOPBACK_ANY_PORT,
            allow_remote=False,
        ),
        writer=replace(config.writer, log_dir=str(session.base_dir), mode="user", group=""),
        endpoint=replace(config.endpoint, origin="ci"),
        inventory=replace(config.inventory, interval=0),
    )


def build_collector(session: Session, run: RunMetadata, env: Mapping[str, str]) -> Collector:
    """A collector for `session` whose events carry `run`'s metadata."""
    from beacon.collector.service import Collector
    from beacon.pipeline import build_pipeline

    config = collector_config(session, env)
    return Collector(
        config,
        pipeline=build_pipeline(config, context=run.context()),
        out=io.StringIO(),  # the CI report names the addresses; keep the agent's output clean
        spool_dirs=[session.spool_dir],
    )


def addresses(collector: Collector) -> tuple[str, str]:
    """(`host:port` of OTLP/gRPC, of OTLP/HTTP) of a collector that is listening."""
    return str(collector.addresses["otlp-grpc"]), str(collector.addresses["otlp-http"])


def collector_stats(collector: Collector) -> dict[str, Any]:
    """What the collector did, for the summary."""
    stats = collector.ingest.stats
    return {
        "records_received": dict(stats.received),
        "events_written": stats.events_written,
        "write_timeouts": stats.write_timeouts,
        "busy_rejections": stats.busy_rejections,
    }


async def serve(collector: Collector, stop: asyncio.Event, on_ready: Callable[[], None]) -> None:
    """Serve until `stop` is set; call `on_ready` once both listeners accept."""
    task = asyncio.create_task(collector.serve(stop))
    while not collector.accepting:
        if task.done():
            await task  # raises why it could not start
            raise CIError("the collector stopped before it was ready")
        await asyncio.sleep(0.01)
    on_ready()
    await task


class ThreadedCollector:
    """A collector served from a thread of this process (`beacon ci exec`)."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="beacon-ci-collector", daemon=True)

    def start(self, timeout: float = READY_SECONDS) -> tuple[str, str]:
        """Start listening; returns the addresses. Raises `CIError` when it cannot."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise CIError(f"the collector was not ready within {timeout:.0f} s")
        if self._error is not None:
            raise CIError(f"the collector could not start: {self._error}") from self._error
        return addresses(self.collector)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start() or stop()
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await serve(self.collector, self._stop, self._ready.set)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop accepting, finish in-flight requests, drain and fsync the writer."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise CIError(f"the collector did not stop within {timeout:.0f} s")
        if self._error is not None:
            raise CIError(f"the collector failed: {self._error}") from self._error
