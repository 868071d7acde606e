"""Property: across any append/rotate/truncate/crash/restart sequence, no line is shipped
twice to an object store, and every line not destroyed before shipping arrives."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shippers._checkpoint import CheckpointStore
from shippers._retry import Shutdown
from shippers._runner import Shipper, StreamShipper
from shippers.config import ShipConfig
from shippers.testing import InMemorySink, RotatingLog, SimulatedCrash, make_event

SEQ = re.compile(rb'"seq":(\d+)')

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 12), st.integers(0, 400)),
        st.tuples(st.just("rotate"), st.just(0), st.just(0)),
        st.tuples(st.just("truncate"), st.just(0), st.just(0)),
        st.tuples(st.just("ship"), st.just(0), st.just(0)),
        st.tuples(st.just("crash"), st.just(0), st.just(0)),
        st.tuples(st.just("torn"), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _run(ops: list[tuple[str, int, int]], root: Path) -> None:
    logs = root / "logs"
    logs.mkdir()
    log = RotatingLog(logs / "runtime.jsonl", rotate_bytes=3000, keep=2)
    cfg = ShipConfig(
        sink="s3",
        log_dir=logs,
        state_dir=root / "state",
        streams=("runtime",),
        batch_max_bytes=1500,
        max_line_bytes=700,
        poll_interval=0.001,
        retry_initial=0.001,
        retry_max=0.002,
    )
    sink = InMemorySink()
    chain: list[list[int]] = [[]]  # model of files, oldest first; last = active
    written: list[int] = []
    maybe_lost: set[int] = set()
    observed: set[int] = set()  # lines present while a full shipper run ran
    seq = 0

    def rotate() -> None:
        log.rotate()
        chain.append([])
        while len(chain) > log.keep + 1:
            maybe_lost.update(chain.pop(0))

    for op, count, pad in ops:
        if op == "append":
            for _ in range(count):
                line = make_event(seq, pad=pad)
                size = log.path.stat().st_size if log.path.exists() else 0
                if size > 0 and size + len(line) > log.rotate_bytes:
                    rotate()
                log.append(line)  # after a torn prefix: one fused, malformed line
                chain[-1].append(seq)
                written.append(seq)
                seq += 1
        elif op == "rotate" and log.path.exists() and log.path.stat().st_size > 0:
            rotate()
        elif op == "truncate":
            maybe_lost.update(chain[-1])
            chain[-1] = []
            log.truncate()
        elif op == "torn":
            with log.path.open("ab") as fh:
                fh.write(b'{"torn":')
        if op == "ship":
            observed.update(seq for file in chain for seq in file)
        if op == "ship":
            Shipper(cfg, sink=sink).run(once=True)
        elif op == "crash":
            store = CheckpointStore(cfg.state_dir)
            store.prepare()
            sink.crash_after_store = True
            try:
                StreamShipper("runtime", cfg, sink, store, Shutdown(), once=True).run()
            except SimulatedCrash:
                pass
            finally:
                sink.crash_after_store = False
    Shipper(cfg, sink=sink).run(once=True)

    shipped = [int(m) for line in sink.lines() for m in SEQ.findall(line)]
    assert len(shipped) == len(set(shipped)), "a line reached the object store twice"
    missing = set(written) - set(shipped) - maybe_lost
    assert not missing, f"lines lost without cause: {sorted(missing)[:10]}"
    kinds = {op for op, _, _ in ops}
    state_path = cfg.state_dir / "runtime.checkpoint.json"
    if not maybe_lost and not kinds & {"truncate", "torn"} and state_path.exists():
        c = json.loads(state_path.read_bytes())["counters"]
        assert (c["bytes_lost"], c["files_lost"], c["truncations"]) == (0, 0, 0), "false loss"
    if (set(written) - set(shipped)) & observed:
        state = json.loads((cfg.state_dir / "runtime.checkpoint.json").read_bytes())
        c = state["counters"]
        assert c["bytes_lost"] + c["files_lost"] + c["truncations"] + c["lines_malformed"] > 0


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_every_line_once_across_append_rotate_truncate_restart(
    ops: list[tuple[str, int, int]],
) -> None:
    """Random writer/shipper interleavings never duplicate and never lose silently."""
    root = Path(tempfile.mkdtemp(prefix="beacon-ship-prop-"))
    try:
        _run(ops, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
