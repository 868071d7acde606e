"""The hash chain as written: format, the documented hash, rotation, restarts, keys, heads."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import orjson
import pytest
from chained_logs import KEY_HEX, all_lines, chain_files, event_line
from conftest import WriteLog

from beacon.audit.verify import Damage, Keys, verify_stream
from beacon.config import load_config, with_log_dir
from beacon.errors import ConfigError
from beacon.ingest import write_events
from beacon.logfiles.chain import (
    GENESIS,
    ChainKey,
    HeadRecord,
    Sealer,
    resolve_key,
    sha256_constructor,
    split_line,
)
from beacon.logfiles.jsonl import JsonlFile
from beacon.logfiles.writer import EventWriter
from beacon.schema import new_event

REPO = Path(__file__).resolve().parents[2]


def _integrity(line: bytes) -> dict[str, object]:
    return dict(orjson.loads(line)["integrity"])


def _third_party_hash(line: bytes, key: bytes | None = None) -> str:
    """The hash as docs/audit.md defines it, computed without Beacon's code."""
    document = json.loads(line)
    block = document["integrity"]
    cut = line.rindex(b',"integrity":{')
    canonical = line[:cut] + b"}"
    message = block["prev"].encode() + b"\n" + str(block["seq"]).encode() + b"\n" + canonical
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_every_line_ends_with_its_link_and_the_hash_follows_the_documented_recipe(
    write_log: WriteLog,
) -> None:
    """`integrity` is the last key; SHA-256(prev \\n seq \\n line-without-integrity) links."""
    lines = all_lines(write_log(5, batch=2))
    assert len(lines) == 5
    prev = GENESIS
    for seq, line in enumerate(lines, start=1):
        document = json.loads(line)
        assert list(document)[-1] == "integrity"
        block = document["integrity"]
        assert block["seq"] == seq and block["prev"] == prev and "key" not in block
        assert block["hash"] == _third_party_hash(line)
        del document["integrity"]
        assert json.loads(split_line(line)[0]) == document  # type: ignore[index]
        prev = block["hash"]


def test_keyed_chain_is_hmac_sha256_and_names_its_key(write_log: WriteLog) -> None:
    """With a key the hash is HMAC-SHA256 with that key and each line carries the key id."""
    key = ChainKey.from_hex(KEY_HEX, "test")
    lines = all_lines(write_log(3, key=key))
    for line in lines:
        block = _integrity(line)
        assert block["key"] == key.key_id and len(key.key_id) == 16
        assert block["hash"] == _third_party_hash(line, bytes.fromhex(KEY_HEX))
        assert block["hash"] != _third_party_hash(line)


def test_builtin_and_openssl_sha256_seal_identically() -> None:
    """The hook path's `_sha256` and the collector's OpenSSL give the same chain."""
    lines = [event_line(n) for n in range(4)]
    fast = Sealer(sha256=sha256_constructor(fast_import=True)).seal(lines, 0, GENESIS)
    openssl = Sealer(sha256=hashlib.sha256).seal(lines, 0, GENESIS)
    assert fast == openssl
    key = ChainKey.from_hex(KEY_HEX, "test")
    assert Sealer(key, sha256_constructor(True)).seal(lines, 7, "a" * 64) == Sealer(
        key, hashlib.sha256
    ).seal(lines, 7, "a" * 64)


def test_chain_continues_across_rotation_into_each_new_file(write_log: WriteLog) -> None:
    """The first line of each file links to the last line of the file before it."""
    log_dir = write_log(60, rotate_bytes=1500, archives=20, batch=3)
    files = chain_files(log_dir)
    assert len(files) > 5
    for older, newer in pairwise(files):
        last = _integrity(older.read_bytes().splitlines()[-1])
        first = _integrity(newer.read_bytes().splitlines()[0])
        assert first["prev"] == last["hash"] and first["seq"] == last["seq"] + 1  # type: ignore[operator]
    report = verify_stream(log_dir, "runtime")
    assert report.intact and report.chained == 60


def test_rotation_that_drops_archives_still_verifies_and_records_what_it_dropped(
    write_log: WriteLog,
) -> None:
    """Old archives deleted by rotation are not damage: the lock file says up to which seq."""
    for archives in (2, 0):
        log_dir = write_log(40, rotate_bytes=1200, archives=archives)
        record = HeadRecord.read_path(str(log_dir / "runtime.jsonl.lock"))
        assert record is not None and record.seq == 40 and record.dropped > 0
        first = _integrity(all_lines(log_dir)[0])
        assert first["seq"] == record.dropped + 1
        report = verify_stream(log_dir, "runtime")
        assert report.intact, report.findings


def test_a_new_writer_process_continues_the_chain(write_log: WriteLog, tmp_path: Path) -> None:
    """Restarting (a fresh process, nothing cached) links to the last line on disk."""
    log_dir = write_log(5)
    script = (
        "import sys, orjson\n"
        "from beacon.logfiles.jsonl import JsonlFile\n"
        "j = JsonlFile(sys.argv[1] + '/runtime.jsonl')\n"
        "j.append([orjson.dumps({'restart': n}) + b'\\n' for n in range(3)])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(log_dir)], check=True, cwd=REPO)
    lines = all_lines(log_dir)
    assert [_integrity(line)["seq"] for line in lines] == list(range(1, 9))
    assert _integrity(lines[5])["prev"] == _integrity(lines[4])["hash"]
    assert verify_stream(log_dir, "runtime").intact


def test_interleaved_writers_in_one_process_never_fork_the_chain(tmp_path: Path) -> None:
    """Two handles on one file (like two processes): each notices the other's appends."""
    a = JsonlFile(tmp_path / "runtime.jsonl", rotate_bytes=2000, archives=50)
    b = JsonlFile(tmp_path / "runtime.jsonl", rotate_bytes=2000, archives=50)
    for n in range(40):
        (a if n % 3 else b).append([event_line(n)])
    a.close()
    b.close()
    report = verify_stream(tmp_path, "runtime")
    assert report.intact and report.chained == 40 and report.last is not None
    assert report.last.seq == 40


def test_both_writers_and_the_cli_producer_path_seal_lines(tmp_path: Path) -> None:
    """`EventWriter` (collector) and `write_events` (command-line producers) share one chain."""
    config = with_log_dir(load_config(env={}), tmp_path)
    writer = EventWriter(replace(config.writer, fsync="never"))
    writer.start()
    assert writer.submit([new_event("tool.invoked", harness="test")] * 3, timeout=10)
    writer.close()
    assert write_events([new_event("tool.completed", harness="test")], config) == 1
    assert write_events([new_event("inventory.snapshot", harness="test")], config) == 1
    runtime = verify_stream(tmp_path, "runtime")
    inventory = verify_stream(tmp_path, "inventory")
    assert runtime.intact and runtime.chained == 4
    assert inventory.intact and inventory.chained == 1  # each stream has its own chain


def test_torn_tail_left_by_a_crash_is_set_aside_before_the_next_append(tmp_path: Path) -> None:
    """A partial last line goes to `.torn`; the chain continues from the last whole line."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path)
    jsonl.append([event_line(0), event_line(1)])
    jsonl.close()
    with path.open("ab") as fh:
        fh.write(event_line(2)[:30])  # a crash mid-write
    JsonlFile(path).append([event_line(3)])
    assert (tmp_path / "runtime.jsonl.torn").read_bytes() == event_line(2)[:30] + b"\n"
    report = verify_stream(tmp_path, "runtime")
    assert report.intact and report.chained == 3


def test_lines_cut_off_the_end_stay_visible_after_the_next_append(tmp_path: Path) -> None:
    """The writer continues from the recorded head, so a cut tail shows up as a gap."""
    path = tmp_path / "runtime.jsonl"
    JsonlFile(path).append([event_line(n) for n in range(6)])
    kept = path.read_bytes().splitlines(keepends=True)[:4]
    path.write_bytes(b"".join(kept))
    report = verify_stream(tmp_path, "runtime")
    assert [f.kind for f in report.findings] == [Damage.TRUNCATED_TAIL]
    JsonlFile(path).append([event_line(6)])
    report = verify_stream(tmp_path, "runtime")
    assert [(f.kind, f.line) for f in report.findings] == [(Damage.DELETED, 5)]
    assert "seq 5-6" in report.findings[0].detail


def test_key_resolution_order_and_file_checks(tmp_path: Path) -> None:
    """$BEACON_AUDIT_KEY, then the configured file, then `audit.key` in the state dir."""
    state = tmp_path / "state"
    state.mkdir()
    assert resolve_key("", {}, str(state)) is None
    default = state / "audit.key"
    default.write_text("ab" * 32 + "\n")
    default.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        resolve_key("", {}, str(state))
    default.chmod(0o600)
    from_default = resolve_key("", {}, str(state))
    assert from_default is not None and from_default.secret == bytes.fromhex("ab" * 32)
    other = tmp_path / "other.key"
    other.write_text("cd" * 32)
    other.chmod(0o400)
    from_file = resolve_key(str(other), {}, str(state))
    assert from_file is not None and from_file.secret == bytes.fromhex("cd" * 32)
    from_env = resolve_key(str(other), {"BEACON_AUDIT_KEY": "ef" * 32}, str(state))
    assert from_env is not None and from_env.secret == bytes.fromhex("ef" * 32)
    with pytest.raises(ConfigError, match="hex"):
        resolve_key("", {"BEACON_AUDIT_KEY": "not hex"}, str(state))
    with pytest.raises(ConfigError, match="32 hex digits"):
        resolve_key("", {"BEACON_AUDIT_KEY": "abcd"}, str(state))
    with pytest.raises(ConfigError, match="No such file"):
        resolve_key(str(tmp_path / "missing.key"), {}, str(state))
    assert "secret" not in repr(from_env) and "ef" * 8 not in repr(from_env)


def test_configured_key_file_seals_the_hook_fallback_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[audit] key_file` (via $BEACON_AUDIT_KEY_FILE) keys what command-line producers write."""
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY_HEX)
    key_file.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"BEACON_AUDIT_KEY_FILE": str(key_file)}
    config = with_log_dir(load_config(env=env), tmp_path / "logs")
    monkeypatch.setenv("BEACON_AUDIT_KEY_FILE", str(key_file))
    assert write_events([new_event("tool.invoked", harness="test")], config) == 1
    line = (tmp_path / "logs" / "runtime.jsonl").read_bytes()
    assert _integrity(line)["key"] == ChainKey.from_hex(KEY_HEX, "k").key_id
    keys = Keys([ChainKey.load(str(key_file))])
    assert verify_stream(tmp_path / "logs", "runtime", keys).intact


def test_head_record_is_fixed_size_and_round_trips() -> None:
    """The lock file record always has the same size (one pwrite never leaves a stale tail)."""
    keyed = Sealer(ChainKey.from_hex(KEY_HEX, "test"))
    for seq in (0, 7, 10**15):
        for sealer in (Sealer(), keyed):
            record = HeadRecord(seq, "c" * 64, seq // 2, seq // 3).sealed(sealer)
            data = record.encode()
            assert len(data) == 256 and data.endswith(b"\n")
            decoded = HeadRecord.decode(data)
            assert decoded is not None
            assert (decoded.seq, decoded.hash, decoded.dropped, decoded.unchained) == (
                seq,
                "c" * 64,
                seq // 2,
                seq // 3,
            )
            assert decoded.mac == record.mac and bool(decoded.mac) == (sealer is keyed)
            assert keyed.mac(decoded) == record.mac or sealer is not keyed
    assert HeadRecord.decode(b"") is None
    assert HeadRecord.decode(b'{"seq":1,"hash":"zz","dropped":0}') is None


def test_lock_file_keeps_its_mode(tmp_path: Path) -> None:
    """The lock file that now holds the head is private like the log (0600)."""
    JsonlFile(tmp_path / "runtime.jsonl").append([event_line(0)])
    assert (os.stat(tmp_path / "runtime.jsonl.lock").st_mode & 0o777) == 0o600


def test_collector_refuses_to_start_with_an_unusable_key(tmp_path: Path) -> None:
    """A configured key that others can read stops `beacon run` before it writes a line."""
    from beacon.collector.service import Collector

    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY_HEX)
    key_file.chmod(0o644)
    config = with_log_dir(load_config(env={"BEACON_AUDIT_KEY_FILE": str(key_file)}), tmp_path)
    with pytest.raises(ConfigError, match="readable by others"):
        Collector(config)
    assert not (tmp_path / "runtime.jsonl").exists()
