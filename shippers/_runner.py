"""The shipping loop: tail → batch → record pending → send with retries → checkpoint.

One thread per stream. A batch is one contiguous, line-aligned byte range of one file;
it is written to the checkpoint as *pending* before the first request and committed only
after the sink acknowledged it, so a crash re-sends exactly that range under the same key.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from beacon.errors import BeaconError, ConfigError, GaveUp, StorageError
from shippers._checkpoint import CheckpointStore, Pending, StreamState
from shippers._retry import RetryPolicy, Shutdown
from shippers._tailer import Chunk, StreamTailer, first_day, first_timestamp, next_day_offset
from shippers.config import STREAMS, ShipConfig
from shippers.sinks import Batch, PermanentError, Sink, build_sink, host_label

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

CommitHook = Callable[[StreamState, Batch], None]


def object_key(stream: str, host: str, file_id: str, start: int, end: int, data: bytes) -> str:
    """`<stream>/date=YYYY-MM-DD/<host>-<file-id>-<start>-<end>.jsonl.gz` (sinks add prefix).

    The date is that of the batch's first event, so it is the same on every re-send.
    """
    ts = first_timestamp(data) or ""
    date = ts[:10] if _DATE.match(ts) else datetime.now(UTC).strftime("%Y-%m-%d")
    safe_host = host_label(host)
    return f"{stream}/date={date}/{safe_host}-{file_id}-{start:012d}-{end:012d}.jsonl.gz"


def _split(chunk: Chunk, at: int) -> tuple[Chunk, Chunk]:
    """Split a raw chunk at byte `at` (a line start). Cut/malformed tallies stay with the
    head: only their totals are reported, and both halves are always delivered in order."""
    head = chunk.data[:at]
    lines = head.count(b"\n")
    first = Chunk(head, chunk.start, chunk.start + at, lines, chunk.cut, chunk.malformed)
    rest = Chunk(chunk.data[at:], chunk.start + at, chunk.end, chunk.lines - lines)
    return first, rest


class StreamShipper:
    """Ships one stream until shutdown (or, with `once`, until its files are drained)."""

    def __init__(
        self,
        stream: str,
        config: ShipConfig,
        sink: Sink,
        store: CheckpointStore,
        shutdown: Shutdown,
        once: bool = False,
        on_commit: CommitHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.config = config
        self.sink = sink
        self.store = store
        self.shutdown = shutdown
        self.once = once
        self.on_commit = on_commit
        self.clock = clock
        self.error: BaseException | None = None
        state = store.load(stream)
        if state is None:
            state = StreamState(stream, sink.name, sink.destination)
        elif (state.sink, state.destination) != (sink.name, sink.destination):
            raise ConfigError(
                f"state dir {store.state_dir} holds checkpoints for {state.sink} "
                f"{state.destination}, not {sink.name} {sink.destination}; "
                "use a separate --state-dir per destination"
            )
        state.stopped = None
        self.state = state
        self.tailer = StreamTailer(config.log_dir / STREAMS[stream], state, config.max_line_bytes)
        self.retry = RetryPolicy(
            shutdown, config.retry_initial, config.retry_max, on_retry=self._on_retry
        )
        self._chunks: list[bytes] = []
        self._batch_fp = ""
        self._batch_start = 0
        self._batch_end = 0
        self._batch_lines = 0
        self._batch_cut = 0
        self._batch_malformed = 0
        self._batch_t0 = 0.0
        self._batch_len = 0
        self._batch_day: bytes | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def run(self) -> None:
        """The loop; records a fatal error in `self.error` instead of raising."""
        try:
            self._recover()
            self._loop()
        except GaveUp:
            pass  # deadline passed during shutdown; the pending batch is re-sent next start
        except PermanentError as exc:
            self._fail(exc)
        except BeaconError as exc:
            self._fail(exc)
        finally:
            self.tailer.close()

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        message = f"stream {self.stream} stopped: {exc}"
        self.state.last_error = message
        self.state.last_error_at = time.time()
        self.state.stopped = message
        with contextlib.suppress(StorageError):
            self.store.save(self.state)
        print(f"beacon ship: error: {message}", file=sys.stderr, flush=True)

    def _loop(self) -> None:
        cfg = self.config
        while True:
            if self.shutdown.requested.is_set():
                self._flush()
                return
            if not self.tailer.resolve():
                if self.once:
                    return
                self._idle()
                continue
            room = cfg.batch_max_bytes - self._batch_len
            if room <= 0:
                self._flush()
                continue
            chunk = self.tailer.read(room)
            if chunk is not None:
                self._add(chunk)
                if self._batch_len >= cfg.batch_max_bytes or self._aged():
                    self._flush()
                continue
            if self.tailer.rotated():
                chunk = self.tailer.read(room, final=True)
                if chunk is not None:
                    self._add(chunk)
                    continue
                self._flush()
                if self.tailer.advance():
                    self.store.save(self.state)
                    continue
                if self.once:
                    return
                self._idle()
                continue
            if self.once:
                self._flush()
                return
            if self._batch_len and self._aged():
                self._flush()
                continue
            self._idle()

    def _idle(self) -> None:
        self.shutdown.requested.wait(self.config.poll_interval)

    def _aged(self) -> bool:
        return self._batch_len > 0 and self.clock() - self._batch_t0 >= self.config.batch_max_age

    # -- batches -----------------------------------------------------------------------

    def _add(self, chunk: Chunk, split_days: bool = True) -> None:
        """Append a chunk; a line dated after the batch's first day starts a new batch, so
        an object's `date=` partition holds no event of a later day (query engines prune
        on it). Re-sending a pending range never splits: it must keep its key."""
        assert self.state.file is not None
        fp = self.state.file.fingerprint
        if self._batch_len and (fp != self._batch_fp or chunk.start != self._batch_end):
            self._flush()
        while split_days:
            day = self._batch_day if self._batch_len else first_day(chunk.data)
            at = next_day_offset(chunk.data, day) if day is not None else None
            if at is None or (at == 0 and not self._batch_len):
                break
            if at > 0:
                if len(chunk.data) != chunk.end - chunk.start:
                    break  # a cut-line stub is one line: nothing to split
                head, chunk = _split(chunk, at)
                self._append(fp, head)
            self._flush()
        self._append(fp, chunk)

    def _append(self, fp: str, chunk: Chunk) -> None:
        if not self._batch_len:
            self._batch_fp = fp
            self._batch_start = chunk.start
            self._batch_t0 = self.clock()
            self._batch_day = first_day(chunk.data)
        self._chunks.append(chunk.data)
        self._batch_end = chunk.end
        self._batch_len += len(chunk.data)
        self._batch_lines += chunk.lines
        self._batch_cut += chunk.cut
        self._batch_malformed += chunk.malformed

    def _flush(self) -> None:
        if not self._batch_len:
            return
        data = b"".join(self._chunks)
        fp, start, end = self._batch_fp, self._batch_start, self._batch_end
        key = object_key(self.stream, self.config.host, fp[:16], start, end, data)
        batch = Batch(self.stream, fp[:16], start, end, key, data, self._batch_lines)
        cut, malformed = self._batch_cut, self._batch_malformed
        self._chunks = []
        self._batch_len = self._batch_lines = self._batch_cut = self._batch_malformed = 0
        self.state.pending = Pending(fp, start, end, key)
        self.store.save(self.state)
        self._deliver(batch, cut, malformed)

    def _deliver(self, batch: Batch, cut: int, malformed: int) -> None:
        self.sink.send(batch, self.retry)
        st = self.state
        if st.file is not None and st.file.fingerprint.startswith(batch.file_id):
            st.offset = max(st.offset, batch.end)
        st.pending = None
        c = st.counters
        c["lines"] += batch.lines
        c["bytes"] += batch.end - batch.start
        c["batches"] += 1
        c["lines_cut"] += cut
        # Sinks that parse lines (HEC, Sentinel) count every malformed one, torn tails too.
        c["lines_malformed"] += batch.malformed or malformed
        st.last_success = time.time()
        self.store.save(st)
        if self.on_commit is not None:
            self.on_commit(st, batch)

    def _recover(self) -> None:
        """Re-send the pending batch of a crashed run: same range, same key."""
        st = self.state
        if st.pending is None:
            return
        for _ in range(5):
            if self.tailer.resolve():
                break
        pending = st.pending
        if pending is None:  # its file is gone; resolve() counted the bytes as lost
            self.store.save(st)
            return
        if st.file is None or st.file.fingerprint != pending.fingerprint:
            st.counters["bytes_lost"] += pending.end - pending.start
            st.pending = None
            self.store.save(st)
            return
        self.tailer.pos = pending.start
        while self.tailer.pos < pending.end:
            chunk = self.tailer.read(pending.end - self.tailer.pos, final=True)
            if chunk is None:
                break
            self._add(chunk, split_days=False)
        if self._batch_end != pending.end or self._batch_start != pending.start:
            raise StorageError(
                f"stream {self.stream}: pending range {pending.start}-{pending.end} of "
                f"{pending.fingerprint[:16]} can no longer be read back; not re-sent"
            )
        data = b"".join(self._chunks)
        batch = Batch(
            self.stream,
            pending.fingerprint[:16],
            pending.start,
            pending.end,
            pending.key,
            data,
            self._batch_lines,
        )
        cut, malformed = self._batch_cut, self._batch_malformed
        self._chunks = []
        self._batch_len = self._batch_lines = self._batch_cut = self._batch_malformed = 0
        self._deliver(batch, cut, malformed)

    def _on_retry(self, exc: BaseException, delay: float) -> None:
        st = self.state
        st.counters["retries"] += 1
        st.last_error = f"{type(exc).__name__}: {exc}"
        st.last_error_at = time.time()
        try:
            self.tailer.note_chain()
            self.store.save(st)
        except (OSError, StorageError):
            pass


class Shipper:
    """All configured streams of one `beacon ship` process."""

    def __init__(
        self,
        config: ShipConfig,
        sink: Sink | None = None,
        shutdown: Shutdown | None = None,
        on_commit: CommitHook | None = None,
    ) -> None:
        self.config = config
        self.sink = sink if sink is not None else build_sink(config)
        self.shutdown = shutdown or Shutdown()
        self.store = CheckpointStore(config.state_dir)
        self.on_commit = on_commit
        self.streams: list[StreamShipper] = []

    def run(self, once: bool = False) -> int:
        """Ship until shutdown (or until drained with `once`); 0 if no stream failed."""
        self.store.prepare()
        lock = self.store.lock()
        try:
            self.streams = [
                StreamShipper(
                    name,
                    self.config,
                    self.sink,
                    self.store,
                    self.shutdown,
                    once=once,
                    on_commit=self.on_commit,
                )
                for name in self.config.streams
            ]
            threads = [
                threading.Thread(target=s.run, name=f"ship-{s.stream}", daemon=True)
                for s in self.streams
            ]
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        finally:
            CheckpointStore.unlock(lock)
        return 1 if any(s.error for s in self.streams) else 0

    def request_stop(self) -> None:
        """Flush open batches and stop within `shutdown_deadline` seconds."""
        self.shutdown.request(self.config.shutdown_deadline)

    @property
    def states(self) -> list[StreamState]:
        """Live per-stream state (for metrics)."""
        return [s.state for s in self.streams]


def log_path(config: ShipConfig, stream: str) -> Path:
    """The active file of a stream."""
    return config.log_dir / STREAMS[stream]
