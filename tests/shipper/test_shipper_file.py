"""File sink: the S3 layout on a directory, durable writes, exactly-once keys, outages."""

from __future__ import annotations

import errno
import gzip
import os
import re
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from beacon.errors import ConfigError
from shippers._retry import RetryPolicy, Shutdown
from shippers._runner import Shipper
from shippers.config import FileOptions, ShipConfig, build
from shippers.sinks import Batch, PermanentError
from shippers.sinks import file as file_sink
from shippers.sinks.file import STAGING_DIR, FileSink
from shippers.testing import InMemorySink, RotatingLog, make_event

Seqs = Callable[[list[bytes]], list[int]]
KEY = re.compile(
    r"^(runtime|inventory)/date=\d{4}-\d{2}-\d{2}/host-1-[0-9a-f]{16}-\d{12}-\d{12}\.jsonl\.gz$"
)


def _cfg(tmp_path: Path, log_dir: Path, root: Path, **kw: Any) -> ShipConfig:
    options: dict[str, Any] = {
        "sink": "file",
        "log_dir": log_dir,
        "state_dir": tmp_path / "state",
        "host": "host-1",
        "batch_max_bytes": 4096,
        "batch_max_age": 0.1,
        "poll_interval": 0.02,
        "retry_initial": 0.02,
        "retry_max": 0.1,
        "file": FileOptions(root=str(root)),
    }
    options.update(kw)
    return ShipConfig(**options)


def objects(root: Path) -> dict[str, bytes]:
    """Every published object under `root` (staging excluded), by key."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*.jsonl.gz")
        if STAGING_DIR not in p.parts
    }


def lines_of(root: Path) -> list[bytes]:
    """All lines of all objects under `root`."""
    return [line for body in objects(root).values() for line in gzip.decompress(body).splitlines()]


def test_objects_follow_the_s3_layout_with_private_modes(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, seqs: Seqs
) -> None:
    """Both streams land under Hive-style `date=` dirs; files 0600, dirs 0700, no temp files."""
    root = tmp_path / "share"
    root.mkdir()
    inventory = RotatingLog(log_dir / "inventory_state.jsonl")
    for i in range(50):
        runtime_log.append(make_event(i, pad=100))
    for i in range(1000, 1005):
        inventory.append(make_event(i, action="inventory.snapshot"))
    assert Shipper(_cfg(tmp_path, log_dir, root)).run(once=True) == 0
    keys = objects(root)
    assert len(keys) > 2 and all(KEY.match(k) for k in keys)
    assert {k.split("/")[0] for k in keys} == {"runtime", "inventory"}
    assert sorted(seqs(lines_of(root))) == [*range(50), *range(1000, 1005)]
    for path in root.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if STAGING_DIR in path.parts and path.is_file():
            pytest.fail(f"temp file left behind: {path}")
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(root.stat().st_mode) == 0o755  # the root itself is never changed


def test_group_readable_objects_for_a_shared_collection_point(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """`group_readable` gives 0640 objects in 0750 dirs, for a reader in the owner's group."""
    root = tmp_path / "share"
    root.mkdir()
    runtime_log.append(make_event(0))
    cfg = _cfg(tmp_path, log_dir, root, file=FileOptions(root=str(root), group_readable=True))
    assert Shipper(cfg).run(once=True) == 0
    (key,) = objects(root)
    assert stat.S_IMODE((root / key).stat().st_mode) == 0o640
    assert stat.S_IMODE((root / key).parent.stat().st_mode) == 0o750


def test_keys_match_the_s3_keys_of_the_same_log(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """The same log gives the same keys and bytes as the in-memory reference sink."""
    for i in range(40):
        runtime_log.append(make_event(i, pad=120))
    root = tmp_path / "share"
    root.mkdir()
    assert Shipper(_cfg(tmp_path, log_dir, root, streams=("runtime",))).run(once=True) == 0
    reference = InMemorySink()
    cfg = _cfg(tmp_path, log_dir, root, streams=("runtime",), state_dir=tmp_path / "ref")
    assert Shipper(cfg, sink=reference).run(once=True) == 0
    assert reference.objects == {k: gzip.decompress(v) for k, v in objects(root).items()}


def _batch(data: bytes, key: str = "runtime/date=2026-11-22/host-1-00-0-1.jsonl.gz") -> Batch:
    return Batch("runtime", "0" * 16, 0, len(data), key, data, data.count(b"\n"))


def _retry() -> RetryPolicy:
    return RetryPolicy(Shutdown(), initial=0.01, maximum=0.02)


def test_an_existing_identical_object_is_success_and_left_untouched(tmp_path: Path) -> None:
    """Re-sending a batch after a crash finds its object and does not rewrite it."""
    root = tmp_path / "share"
    root.mkdir()
    cfg = _cfg(tmp_path, tmp_path, root)
    data = make_event(1) + make_event(2)
    FileSink(cfg).send(_batch(data), _retry())
    (key,) = objects(root)
    before = os.stat(root / key)
    zlib_cfg = _cfg(tmp_path, tmp_path, root, compressor="zlib", compress_level=9)
    FileSink(zlib_cfg).send(_batch(data), _retry())  # other gzip bytes, same lines
    after = os.stat(root / key)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert gzip.decompress((root / key).read_bytes()) == data


def test_an_existing_object_with_other_lines_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key collision with different content stops with a clear error, data kept."""
    root = tmp_path / "share"
    root.mkdir()
    sink = FileSink(_cfg(tmp_path, tmp_path, root))
    sink.send(_batch(make_event(1)), _retry())
    (key,) = objects(root)
    original = (root / key).read_bytes()
    with pytest.raises(PermanentError, match="exists with different content"):
        sink.send(_batch(make_event(2)), _retry())
    assert (root / key).read_bytes() == original


def test_full_disk_is_retried_until_space_returns(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC and EIO are outages: counted as retries, temp files removed, nothing lost."""
    root = tmp_path / "share"
    root.mkdir()
    for i in range(20):
        runtime_log.append(make_event(i, pad=50))
    failures = [errno.ENOSPC, errno.ENOSPC, errno.EIO]
    real = file_sink._publish

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if failures:
            raise OSError(failures.pop(0), os.strerror(errno.ENOSPC))
        real(src, dst)

    monkeypatch.setattr(file_sink, "_publish", flaky)
    shipper = Shipper(_cfg(tmp_path, log_dir, root, streams=("runtime",)))
    assert shipper.run(once=True) == 0
    assert shipper.states[0].counters["retries"] == 3
    assert len(lines_of(root)) == 20
    assert os.listdir(root / STAGING_DIR) == []


def test_a_missing_root_is_an_outage_and_is_never_created(
    tmp_path: Path, log_dir: Path, runtime_log: RotatingLog
) -> None:
    """An unmounted share (root absent) is retried; shipping resumes once it appears."""
    root = tmp_path / "mnt" / "beacon"
    for i in range(10):
        runtime_log.append(make_event(i))
    shipper = Shipper(_cfg(tmp_path, log_dir, root, streams=("runtime",)))
    thread = threading.Thread(target=shipper.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not (shipper.states and shipper.states[0].counters["retries"] >= 2):
            assert time.monotonic() < deadline, "no retry while the root is missing"
            time.sleep(0.02)
        assert not root.exists(), "the sink must not create its root"
        assert "not a directory (not mounted?)" in (shipper.states[0].last_error or "")
        root.mkdir(parents=True)
        while len(lines_of(root)) < 10:
            assert time.monotonic() < deadline, "shipping did not resume"
            time.sleep(0.02)
    finally:
        shipper.request_stop()
        thread.join(30)
    assert len(lines_of(root)) == 10


def test_stale_temp_files_of_this_host_are_swept_on_start(tmp_path: Path) -> None:
    """Temp files a killed run left are removed; other hosts' files are not touched."""
    root = tmp_path / "share"
    (root / STAGING_DIR).mkdir(parents=True)
    mine = root / STAGING_DIR / "host-1.99999-deadbeef.tmp"
    other = root / STAGING_DIR / "host-2.99999-deadbeef.tmp"
    mine.write_bytes(b"partial")
    other.write_bytes(b"partial")
    FileSink(_cfg(tmp_path, tmp_path, root)).send(_batch(make_event(1)), _retry())
    assert not mine.exists() and other.exists()


def test_root_is_required_absolute_and_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--root`, else `BEACON_DATA_ROOT`; a relative root is refused."""
    with pytest.raises(ConfigError, match="BEACON_DATA_ROOT"):
        FileSink(build({"sink": "file", "state_dir": str(tmp_path)}))
    with pytest.raises(ConfigError, match="absolute"):
        FileSink(build({"sink": "file", "root": "rel/dir", "state_dir": str(tmp_path)}))
    monkeypatch.setenv("BEACON_DATA_ROOT", str(tmp_path / "r"))
    sink = FileSink(build({"sink": "file", "state_dir": str(tmp_path)}))
    assert sink.destination == (tmp_path / "r").as_uri()


def _stamped(seq: int, stamp: str) -> bytes:
    return (
        f'{{"timestamp":"{stamp}","event":{{"id":"00000000-0000-7000-8000-{seq:012d}",'
        f'"action":"tool.invoked"}},"seq":{seq}}}\n'
    ).encode()


def test_objects_never_hold_an_event_dated_after_their_partition(
    tmp_path: Path, log_dir: Path, seqs: Seqs
) -> None:
    """A batch closes at midnight, so `date=` bounds every event in the object from above;
    a late event (stamped before the batch's day) stays where the log put it."""
    stamps = [f"2026-11-2{d}T{h:02d}:00:00.000Z" for d in (1, 2, 3) for h in (0, 8, 23)]
    stamps.insert(4, "2026-11-21T23:59:59.000Z")  # late: written among day 22's events
    (log_dir / "runtime.jsonl").write_bytes(
        b"".join(_stamped(i, ts) for i, ts in enumerate(stamps))
    )
    root = tmp_path / "share"
    root.mkdir()
    cfg = _cfg(tmp_path, log_dir, root, streams=("runtime",), batch_max_bytes=1 << 20)
    assert Shipper(cfg).run(once=True) == 0
    found = objects(root)
    assert sorted(k.split("/")[1] for k in found) == [
        "date=2026-11-21",
        "date=2026-11-22",
        "date=2026-11-23",
    ]
    for key, body in found.items():
        day = key.split("/")[1].removeprefix("date=")
        days = [
            line.split(b'"timestamp":"')[1][:10].decode()
            for line in gzip.decompress(body).splitlines()
        ]
        assert max(days) == day, key
    assert sorted(seqs(lines_of(root))) == list(range(len(stamps)))
