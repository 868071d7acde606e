"""The collector's event writer: one thread, a bounded queue, group commit into the streams.

Producers `submit` batches of lines (serialized and routed in their own thread, see
`beacon.logfiles.lines`) with a callback; a full queue says no at once, which the receivers
turn into 503 or `UNAVAILABLE` so clients retry: backpressure, never unbounded memory. The
writer thread joins the queued batches of all producers and appends each stream in one
locked write (group commit), then calls each batch's callback: that is when a request may be
acknowledged. When the writer is idle (nothing queued, nothing being written), a batch is
written at once in the producer's thread instead, which spares a request the hand-over to
the writer thread; under load batches queue and are group-committed as before. A failing
disk is retried in the writer thread (and reported); accepted events are not dropped.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from beacon.config import WriterConfig
from beacon.logfiles.chain import ChainKey
from beacon.logfiles.jsonl import FileModes, JsonlFile, ensure_directory
from beacon.logfiles.lines import Lines
from beacon.logfiles.names import STREAM_FILES
from beacon.pipeline.base import to_json
from beacon.schema.event import Event

OnWritten = Callable[[bool], None]
"""Called once a submitted batch is on disk (True) or given up at close (False)."""

_RETRY_MIN, _RETRY_MAX = 0.2, 5.0
_GROUP_EVENTS = 2048  # events per group commit


@dataclass
class WriterStats:
    """What the writer did, for `/metrics` and status."""

    submitted: int = 0
    rejected: int = 0
    written: dict[str, int] = field(default_factory=lambda: {"runtime": 0, "inventory": 0})
    bytes_written: int = 0
    errors: int = 0
    last_error: str = ""
    batches: int = 0
    write_seconds_total: float = 0.0
    write_seconds_max: float = 0.0
    unwritten_at_close: int = 0
    queue_depth: int = 0


def serialize(event: Event) -> bytes:
    """One event as one JSONL line; values JSON cannot hold exactly become strings."""
    return to_json(event) + b"\n"


def lines_of(events: list[Event]) -> Lines:
    """Serialize and route events the pipeline has not serialized."""
    return Lines.of(events, to_json)


class EventWriter:
    """Appends events to the log directory's streams from a single background thread."""

    def __init__(
        self,
        config: WriterConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        key: ChainKey | None = None,
    ) -> None:
        """`key` makes the hash chain keyed (HMAC-SHA256); see `beacon.config.chain_key`."""
        self.config = config
        self.log_dir = config.log_path
        modes = FileModes.for_mode(config.mode, config.group)
        self._modes = modes
        self._files = {
            name: JsonlFile(
                self.log_dir / filename,
                rotate_bytes=config.rotate_bytes,
                archives=config.rotate_archives,
                modes=modes,
                key=key,
                sha256=hashlib.sha256,  # OpenSSL: every line is hashed here
            )
            for name, filename in STREAM_FILES.items()
        }
        self.stats = WriterStats()
        self._clock = clock
        self._queue: deque[tuple[Lines, OnWritten | None]] = deque()
        self._pending = 0
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._last_fsync = clock()
        self._dirty = False
        self._busy = False  # a write or fsync is under way (in the writer or a producer)

    @property
    def paths(self) -> dict[str, Path]:
        """Where each stream is written."""
        return {name: Path(f.path) for name, f in self._files.items()}

    def start(self) -> None:
        """Create the directory, repair torn tails left by a crash, start the thread."""
        ensure_directory(self.log_dir, self._modes)
        for jsonl in self._files.values():
            jsonl.repair_torn_tail()
        self._thread = threading.Thread(target=self._run, name="beacon-writer", daemon=True)
        self._thread.start()

    def submit(
        self, events: list[Event] | Lines, timeout: float = 0, on_written: OnWritten | None = None
    ) -> bool:
        """Queue a batch; False (nothing queued) when it does not fit within `timeout` s.

        `on_written` runs in the writer thread once the batch is on disk (see the module
        docstring). Events are serialized here, in the caller's thread.
        """
        if not events:
            if on_written is not None:
                on_written(True)
            return True
        if not isinstance(events, Lines):
            events = lines_of(events)
        with self._cond:
            deadline = self._clock() + timeout
            while self._pending + len(events) > self.config.queue_events and self._pending:
                remaining = deadline - self._clock()
                if remaining <= 0 or self._closing:
                    self.stats.rejected += len(events)
                    return False
                self._cond.wait(remaining)
            if self._closing:
                self.stats.rejected += len(events)
                return False
            # Written here and now when nothing is queued or being written (order kept),
            # the thread runs, and no fsync is due with each batch.
            now = (
                not self._queue
                and not self._busy
                and self._thread is not None
                and self.config.fsync != "always"
            )
            if now:
                self._busy = True
            else:
                self._queue.append((events, on_written))
                self._cond.notify_all()
            self._pending += len(events)
            self.stats.submitted += len(events)
            self.stats.queue_depth = self._pending
        if now:
            self._write_through(events, on_written)
        return True

    def _write_through(self, lines: Lines, on_written: OnWritten | None) -> None:
        """Append `lines` in the producer's thread; what cannot be written now (the lock is
        held by another process, or the disk fails) goes to the writer thread, which waits
        and retries: a producer (the event loop) never blocks on either."""
        leftover = Lines()
        for stream, stream_lines in lines.streams():
            jsonl = self._files[stream]
            started = time.perf_counter()
            try:
                jsonl.append(stream_lines, fsync=False, wait=False)
            except BlockingIOError:
                getattr(leftover, stream).extend(stream_lines)
                continue
            except OSError as exc:  # the writer thread retries the rest, with backoff
                done = jsonl.appended
                getattr(leftover, stream).extend(stream_lines[done:])
                stream_lines = stream_lines[:done]
                self.stats.errors += 1
                self.stats.last_error = f"{jsonl.path}: {exc.strerror or exc}"
            else:
                elapsed = time.perf_counter() - started
                self.stats.batches += 1
                self.stats.write_seconds_total += elapsed
                self.stats.write_seconds_max = max(self.stats.write_seconds_max, elapsed)
            self.stats.written[stream] += len(stream_lines)
            self.stats.bytes_written += sum(len(line) for line in stream_lines)
        with self._cond:
            self._busy = False
            self._pending -= len(lines) - len(leftover)
            if leftover:
                self._queue.appendleft((leftover, on_written))  # before anything queued since
            self.stats.queue_depth = self._pending
            wake = bool(leftover) or not self._dirty  # the thread fsyncs what is now dirty
            self._dirty = True
            if wake or self._queue:
                self._cond.notify_all()
        if not leftover and on_written is not None:
            on_written(True)

    @property
    def queue_depth(self) -> int:
        """Events accepted but not yet written."""
        return self._pending

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking events, write what is queued, fsync, and stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            while self._busy and self._thread is None:  # a producer mid-write, no thread
                self._cond.wait(0.1)
        if self._thread is not None:
            self._thread.join(timeout)
        self.stats.unwritten_at_close += self._pending
        for jsonl in self._files.values():
            jsonl.close()

    # -- the writer thread ------------------------------------------------------------------
    def _take(self) -> list[tuple[Lines, OnWritten | None]] | None:
        """Queued batches up to `_GROUP_EVENTS` events, waiting up to the fsync interval.

        None when closed and empty. Groups are bounded because one huge write costs more
        per event (allocation of the joined buffer) than a few medium ones.
        """
        with self._cond:
            while not self._queue or self._busy:
                if self._closing and not self._queue and not self._busy:
                    return None
                self._cond.wait(self._wait_seconds())
                if not self._queue or self._busy:
                    return []
            self._busy = True
            batches = [self._queue.popleft()]
            size = len(batches[0][0])
            while self._queue and size + len(self._queue[0][0]) <= _GROUP_EVENTS:
                size += len(self._queue[0][0])
                batches.append(self._queue.popleft())
            return batches

    def _wait_seconds(self) -> float:
        if self.config.fsync == "interval" and self._dirty:
            return max(0.0, self.config.fsync_interval - (self._clock() - self._last_fsync))
        return 1.0

    def _run(self) -> None:
        while (batches := self._take()) is not None:
            if batches:
                self._write(batches)
            self._maybe_fsync()
        self._maybe_fsync(final=True)

    def _write(self, batches: list[tuple[Lines, OnWritten | None]]) -> None:
        lines: dict[str, list[bytes]] = {"runtime": [], "inventory": []}
        for batch, _ in batches:
            lines["runtime"] += batch.runtime
            lines["inventory"] += batch.inventory
        fsync_now = self.config.fsync == "always"
        complete = True
        for stream, stream_lines in lines.items():
            if stream_lines:
                complete &= self._append_retrying(stream, stream_lines, fsync_now)
        count = sum(len(b) for b, _ in batches)
        with self._cond:
            self._busy = False
            self._pending -= count
            self.stats.queue_depth = self._pending
            self._cond.notify_all()
        for _, on_written in batches:
            if on_written is not None:
                on_written(complete)

    def _append_retrying(self, stream: str, lines: list[bytes], fsync: bool) -> bool:
        """Append, retrying with backoff on I/O errors (full disk, deleted directory).

        Accepted events are never dropped while running; only a close that cannot write
        gives up, counts what it could not write, and returns False.
        """
        delay = _RETRY_MIN
        jsonl = self._files[stream]
        while True:
            started = time.perf_counter()
            try:
                jsonl.append(lines, fsync=fsync)
            except OSError as exc:
                # Lines written whole before the error (ahead of a rotation) stay written.
                done, lines = lines[: jsonl.appended], lines[jsonl.appended :]
                self.stats.written[stream] += len(done)
                self.stats.bytes_written += sum(len(line) for line in done)
                self.stats.errors += 1
                self.stats.last_error = f"{jsonl.path}: {exc.strerror or exc}"
                if self._closing and delay >= _RETRY_MAX:
                    self.stats.unwritten_at_close += len(lines)
                    return False
                with self._cond:
                    self._cond.wait(delay)
                delay = min(delay * 2, _RETRY_MAX)
                self._recover(jsonl)
                continue
            elapsed = time.perf_counter() - started
            self.stats.batches += 1
            self.stats.written[stream] += len(lines)
            self.stats.bytes_written += sum(len(line) for line in lines)
            self.stats.write_seconds_total += elapsed
            self.stats.write_seconds_max = max(self.stats.write_seconds_max, elapsed)
            self._dirty = self._dirty or not fsync
            return True

    def _recover(self, jsonl: JsonlFile) -> None:
        """Reopen handles (the lock file may be gone) and recreate a deleted log directory."""
        jsonl.close()
        try:
            ensure_directory(self.log_dir, self._modes)
        except Exception as exc:
            self.stats.last_error = str(exc)

    def _maybe_fsync(self, *, final: bool = False) -> None:
        """Fsync when the interval has passed, and always once more when closing."""
        if self.config.fsync != "interval" or not self._dirty:
            return
        due = self._clock() - self._last_fsync >= self.config.fsync_interval
        if not (due or final):
            return
        with self._cond:
            while self._busy:  # a producer is writing through: its handles are in use
                self._cond.wait(0.05)
            self._busy = True
            self._dirty = False  # lines written from here on make it dirty again
        try:
            for jsonl in self._files.values():
                try:
                    jsonl.fsync()
                except OSError as exc:
                    self.stats.errors += 1
                    self.stats.last_error = f"fsync {jsonl.path}: {exc}"
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        self._last_fsync = self._clock()
