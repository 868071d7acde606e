"""Several real processes appending to one rotating JSONL chain through the shared lock."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from beacon.audit.verify import verify_stream

REPO = Path(__file__).resolve().parents[2]
ROTATE_BYTES = 16 * 1024
LINES_PER_PROCESS = 3000
EVENTS_FROM_WRITER = 1500

# A hook-fallback-like appender: `JsonlFile` directly, batches of 1-4 lines of varied size.
_APPENDER = r"""
import json, sys, time
from pathlib import Path
from beacon.logfiles.jsonl import JsonlFile

path, ident, count, rotate, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), Path(sys.argv[5])
jsonl = JsonlFile(path, rotate_bytes=rotate, archives=1000)
go.with_name(f"ready-{ident}").touch()
deadline = time.monotonic() + 30
while not go.exists():
    assert time.monotonic() < deadline, "no go signal"
    time.sleep(0.001)
n = 0
while n < count:
    size = min(1 + n % 4, count - n)
    jsonl.append([json.dumps({"w": ident, "n": m, "pad": "x" * (m * 7 % 150)}).encode() + b"\n"
                  for m in range(n, n + size)])
    n += size
jsonl.close()
"""

# The collector's side: an `EventWriter` (its own thread, group commit) on the same file.
_COLLECTOR = r"""
import sys, time
from dataclasses import replace
from pathlib import Path
from beacon.config import load_config, with_log_dir
from beacon.schema import new_event
from beacon.logfiles.writer import EventWriter

log_dir, ident, count, rotate, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), Path(sys.argv[5])
config = with_log_dir(load_config(env={}), log_dir).writer
writer = EventWriter(replace(config, fsync="never", rotate_bytes=rotate, rotate_archives=1000))
writer.start()
go.with_name(f"ready-{ident}").touch()
deadline = time.monotonic() + 30
while not go.exists():
    assert time.monotonic() < deadline, "no go signal"
    time.sleep(0.001)
for n in range(0, count, 5):
    batch = [new_event("tool.completed", harness="test", w=ident, n=m) for m in range(n, n + 5)]
    assert writer.submit(batch, timeout=30)
writer.close(30)
assert writer.stats.unwritten_at_close == 0 and writer.stats.errors == 0, writer.stats
"""


def _chain(path: Path) -> list[Path]:
    archives = sorted(path.parent.glob(path.name + ".*[0-9]"), key=lambda p: int(p.suffix[1:]))
    assert [int(p.suffix[1:]) for p in archives] == list(range(1, len(archives) + 1))
    return [*reversed(archives), path]


def test_concurrent_processes_append_whole_lines_none_lost_duplicated_or_reordered(
    tmp_path: Path,
) -> None:
    """4 appender processes plus an EventWriter process, many rotations: the files are exact
    and the hash chain runs unbroken through all of them."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir(mode=0o700)
    path = log_dir / "runtime.jsonl"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _APPENDER,
                str(path),
                f"a{i}",
                str(LINES_PER_PROCESS),
                str(ROTATE_BYTES),
                str(go),
            ],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _COLLECTOR,
                str(log_dir),
                "c",
                str(EVENTS_FROM_WRITER),
                str(ROTATE_BYTES),
                str(go),
            ],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    try:
        deadline = time.monotonic() + 30
        while len(list(tmp_path.glob("ready-*"))) < len(procs):
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.005)
        go.touch()  # release all writers at once so their appends contend for the lock
        for proc in procs:
            _, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    chain = _chain(path)
    assert len(chain) > 50  # rotation happened many times during the run, nothing dropped
    seen: dict[str, list[int]] = defaultdict(list)
    order: list[str] = []
    for file in chain:
        data = file.read_bytes()
        assert data.endswith(b"\n")
        lines = data.splitlines()
        assert len(data) <= ROTATE_BYTES
        for line in lines:
            record = json.loads(line)  # a torn or interleaved line would not parse
            seen[record["w"]].append(record["n"])
            order.append(record["w"])
    expected = {f"a{i}": list(range(LINES_PER_PROCESS)) for i in range(4)}
    expected["c"] = list(range(EVENTS_FROM_WRITER))
    assert dict(seen) == expected  # none lost, none duplicated, each process in order
    switches = sum(1 for a, b in pairwise(order) if a != b)
    assert switches > 10  # the processes really did run concurrently
    # One hash chain through every process's lines and every rotation, no fork, no gap.
    report = verify_stream(log_dir, "runtime")
    assert report.intact, report.findings[:5]
    assert report.chained == len(order) and report.first is not None and report.first.seq == 1
