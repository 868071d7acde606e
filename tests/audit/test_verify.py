"""`beacon verify`: intact logs pass; every kind of damage is detected at the right place."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from chained_logs import KEY_HEX, chain_files, event_line
from conftest import WriteLog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon.audit.verify import Damage, Keys, verify_paths, verify_stream
from beacon.cli import main
from beacon.errors import ConfigError
from beacon.logfiles.chain import GENESIS, ChainKey, HeadRecord, Sealer, split_line
from beacon.logfiles.jsonl import JsonlFile

Files = dict[str, list[bytes]]  # file name -> its lines (with newlines), oldest file first
Damager = Callable[[Files], tuple[Damage, str, int]]


def _load(log_dir: Path) -> Files:
    return {p.name: p.read_bytes().splitlines(keepends=True) for p in chain_files(log_dir)}


def _store(log_dir: Path, files: Files) -> None:
    for name, lines in files.items():
        (log_dir / name).write_bytes(b"".join(lines))


def _plain_reseal(line: bytes, seq: int, prev: str) -> bytes:
    """What an attacker without a key can do: recompute a plain hash for a changed line."""
    canonical = split_line(line)
    body = canonical[0] if canonical else line.rstrip(b"\n")
    return Sealer().seal([body + b"\n"], seq - 1, prev)[0][0]


def _link(line: bytes) -> dict[str, object]:
    return dict(orjson.loads(line)["integrity"])


# Each damager changes the files and says which finding must come first: kind, file, line.
def _edit(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl.1"]
    lines[2] = lines[2].replace(b'"message":"line', b'"message":"LINE')
    return Damage.EDITED, "runtime.jsonl.1", 3


def _edit_and_rehash(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl.1"]
    old = _link(lines[2])
    changed = lines[2].replace(b'"message":"line', b'"message":"LINE')
    lines[2] = _plain_reseal(changed, int(str(old["seq"])), str(old["prev"]))
    return Damage.EDITED, "runtime.jsonl.1", 3


def _delete(files: Files) -> tuple[Damage, str, int]:
    del files["runtime.jsonl.1"][3]
    return Damage.DELETED, "runtime.jsonl.1", 4


def _delete_last_of_a_file(files: Files) -> tuple[Damage, str, int]:
    files["runtime.jsonl.2"].pop()
    return Damage.DELETED, "runtime.jsonl.1", 1


def _insert_plain(files: Files) -> tuple[Damage, str, int]:
    files["runtime.jsonl.1"].insert(2, b'{"message":"planted"}\n')
    return Damage.INSERTED, "runtime.jsonl.1", 3


def _insert_copy(files: Files) -> tuple[Damage, str, int]:
    files["runtime.jsonl.1"].insert(4, files["runtime.jsonl.1"][1])
    return Damage.INSERTED, "runtime.jsonl.1", 5


def _insert_forged(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl.1"]
    before = _link(lines[1])
    forged = _plain_reseal(event_line(999), int(str(before["seq"])) + 1, str(before["hash"]))
    lines.insert(2, forged)
    return Damage.INSERTED, "runtime.jsonl.1", 3


def _swap(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl.1"]
    lines[1], lines[2] = lines[2], lines[1]
    return Damage.REORDERED, "runtime.jsonl.1", 2


def _move_far(files: Files) -> tuple[Damage, str, int]:
    moved = files["runtime.jsonl.2"].pop(1)
    files["runtime.jsonl"].insert(1, moved)
    return Damage.REORDERED, "runtime.jsonl.2", 2


def _torn_tail(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl"]
    lines[-1] = lines[-1][:40]
    return Damage.TRUNCATED_TAIL, "runtime.jsonl", len(lines)


def _cut_tail(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl"]
    del lines[-2:]
    return Damage.TRUNCATED_TAIL, "runtime.jsonl", len(lines) + 1


def _restart(files: Files) -> tuple[Damage, str, int]:
    fresh = Sealer().seal([event_line(n) for n in range(2)], 0, GENESIS)[0]
    files["runtime.jsonl"][2:] = fresh
    return Damage.CHAIN_RESTARTED, "runtime.jsonl", 3


def _drop_first_line(files: Files) -> tuple[Damage, str, int]:
    oldest = next(iter(files))
    del files[oldest][0]
    return Damage.DELETED, oldest, 1


def _strip_integrity(files: Files) -> tuple[Damage, str, int]:
    lines = files["runtime.jsonl.1"]
    lines[2] = split_line(lines[2])[0] + b"\n"  # type: ignore[index]
    return Damage.EDITED, "runtime.jsonl.1", 3


DAMAGE: dict[str, Damager] = {
    "edited": _edit,
    "edited-and-rehashed": _edit_and_rehash,
    "integrity-stripped": _strip_integrity,
    "deleted": _delete,
    "deleted-at-file-end": _delete_last_of_a_file,
    "deleted-oldest-line": _drop_first_line,
    "inserted-plain": _insert_plain,
    "inserted-copy": _insert_copy,
    "inserted-forged": _insert_forged,
    "reordered-adjacent": _swap,
    "reordered-across-files": _move_far,
    "truncated-torn": _torn_tail,
    "truncated-lines": _cut_tail,
    "chain-restarted": _restart,
}


@pytest.fixture
def rotated(write_log: WriteLog) -> Path:
    """30 lines over 3+ files (rotation), nothing dropped."""
    log_dir = write_log(30, rotate_bytes=3000, archives=10, batch=2)
    assert len(chain_files(log_dir)) >= 3
    return log_dir


def test_intact_rotated_log_verifies_clean(rotated: Path) -> None:
    """No findings; every line chained; first and last seq reported."""
    report = verify_stream(rotated, "runtime")
    assert report.intact and report.findings == []
    assert (report.lines, report.chained, report.unchained) == (30, 30, 0)
    assert report.first is not None and report.first.seq == 1 and report.first.prev == GENESIS
    assert report.last is not None and report.last.seq == 30
    assert [Path(f).name for f in report.files] == [p.name for p in chain_files(rotated)]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_damage_is_named_and_located(rotated: Path, damage: str) -> None:
    """The first finding has the right kind, file and line; verification fails."""
    files = _load(rotated)
    kind, name, line = DAMAGE[damage](files)
    _store(rotated, files)
    report = verify_stream(rotated, "runtime")
    assert not report.intact
    first = report.findings[0]
    assert (first.kind, Path(first.path).name, first.line) == (kind, name, line), report.findings


def test_a_deleted_archive_file_is_a_gap(rotated: Path) -> None:
    """Removing a whole middle archive shows as lines deleted before the next file."""
    (rotated / "runtime.jsonl.2").unlink()
    report = verify_stream(rotated, "runtime")
    assert [(f.kind, Path(f.path).name, f.line) for f in report.findings[:1]] == [
        (Damage.DELETED, "runtime.jsonl.1", 1)
    ]


def test_lines_from_before_the_chain_are_unchained_not_damage(tmp_path: Path) -> None:
    """An upgraded install: old unsealed lines first, then the chain from genesis."""
    path = tmp_path / "runtime.jsonl"
    path.write_bytes(b"".join(event_line(n) for n in range(4)))
    JsonlFile(path).append([event_line(n) for n in range(4, 7)])
    report = verify_stream(tmp_path, "runtime")
    assert report.intact and (report.unchained, report.chained) == (4, 3)
    assert report.first is not None and report.first.prev == GENESIS


def test_keyed_chain_needs_its_key_and_catches_a_plain_rewrite(write_log: WriteLog) -> None:
    """Without the key verification refuses; with it, a re-hashed line is caught."""
    key = ChainKey.from_hex(KEY_HEX, "test")
    log_dir = write_log(6, key=key)
    with pytest.raises(ConfigError, match="keyed"):
        verify_stream(log_dir, "runtime")
    keys = Keys([key])
    assert verify_stream(log_dir, "runtime", keys).intact
    wrong = Keys([ChainKey.from_hex("01" * 32, "other")])
    assert verify_stream(log_dir, "runtime", wrong).findings[0].kind is Damage.UNKNOWN_KEY
    files = _load(log_dir)
    lines = files["runtime.jsonl"]
    old = _link(lines[3])
    changed = lines[3].replace(b"line 3", b"line X")
    lines[3] = _plain_reseal(changed, int(str(old["seq"])), str(old["prev"]))
    _store(log_dir, files)
    findings = verify_stream(log_dir, "runtime", keys).findings
    assert (findings[0].kind, findings[0].line) == (Damage.UNKEYED, 4)


def test_a_keyed_head_record_cannot_be_rewritten_to_hide_a_cut_tail(write_log: WriteLog) -> None:
    """Cutting lines and fixing the (plain) record to match is caught: it needs the MAC."""
    key = ChainKey.from_hex(KEY_HEX, "test")
    keys = Keys([key])
    log_dir = write_log(6, key=key)
    lock = log_dir / "runtime.jsonl.lock"
    record = HeadRecord.read_path(str(lock))
    assert record is not None and len(record.mac) == 64
    lines = (log_dir / "runtime.jsonl").read_bytes().splitlines(keepends=True)
    (log_dir / "runtime.jsonl").write_bytes(b"".join(lines[:4]))
    last = _link(lines[3])
    forged = HeadRecord(4, str(last["hash"]), record.dropped, record.unchained)
    lock.write_bytes(forged.encode())
    findings = verify_stream(log_dir, "runtime", keys).findings
    assert [(f.kind, Path(f.path).name) for f in findings] == [
        (Damage.UNKEYED, "runtime.jsonl.lock")
    ]
    lock.write_bytes(HeadRecord(4, str(last["hash"]), mac="0" * 64).encode())
    findings = verify_stream(log_dir, "runtime", keys).findings
    assert [(f.kind, Path(f.path).name) for f in findings] == [
        (Damage.EDITED, "runtime.jsonl.lock")
    ]


def test_lines_slipped_in_before_the_chain_are_not_taken_for_old_ones(rotated: Path) -> None:
    """The writers counted the lines from before the chain (none here): extra ones fail."""
    oldest = chain_files(rotated)[0]
    oldest.write_bytes(b'{"message":"backdated"}\n' + oldest.read_bytes())
    findings = verify_stream(rotated, "runtime").findings
    assert [(f.kind, Path(f.path).name, f.line) for f in findings] == [
        (Damage.INSERTED, oldest.name, 1)
    ]


def test_a_keyed_log_rewritten_entirely_as_plain_fails_when_verified_with_the_key(
    write_log: WriteLog, tmp_path: Path
) -> None:
    """The downgrade attack: a whole plain chain is rejected once a key is expected."""
    plain_dir = write_log(5)
    (plain_dir / "runtime.jsonl.lock").unlink()
    keys = Keys([ChainKey.from_hex(KEY_HEX, "test")])
    report = verify_stream(plain_dir, "runtime", keys)
    assert [f.kind for f in report.findings] == [Damage.UNKEYED]


def test_a_cut_record_from_the_shipper_is_reported(rotated: Path) -> None:
    """A line the shipper replaced (too long) cannot be verified: reported as cut."""
    files = _load(rotated)
    files["runtime.jsonl.1"][2] = (
        b'{"timestamp":"2026-12-01T10:00:00.000Z","shipper":{"line_cut":true,'
        b'"original_bytes":9999}}\n'
    )
    _store(rotated, files)
    report = verify_stream(rotated, "runtime")
    assert [(f.kind, f.line) for f in report.findings] == [(Damage.CUT, 3)]


def test_exported_then_shipped_style_chain_may_start_mid_stream(rotated: Path) -> None:
    """Files given as paths may begin mid-chain but must continue without a gap."""
    files = chain_files(rotated)
    assert verify_paths(files[1:]).intact
    assert verify_paths(list(reversed(files[1:]))).intact  # ordered by links, not argv
    assert not verify_paths([files[0], files[2]]).intact


def test_cli_exit_status_and_json_report(rotated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0 when intact, 1 when damaged; --json names the first damage."""
    assert main(["verify", "--log-dir", str(rotated)]) == 0
    out = capsys.readouterr().out
    assert "runtime: intact: 30 lines" in out
    files = _load(rotated)
    _delete(files)
    _store(rotated, files)
    assert main(["verify", "--log-dir", str(rotated), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["intact"] is False
    finding = document["streams"][0]["findings"][0]
    assert finding["kind"] == "deleted" and finding["line"] == 4
    assert finding["path"].endswith("runtime.jsonl.1")
    assert main(["verify", "--log-dir", str(rotated / "nothing-here")]) == 2


def test_cli_uses_key_files_and_refuses_readable_ones(
    write_log: WriteLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--key-file verifies a keyed chain; a key file others can read is refused (exit 2)."""
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY_HEX + "\n")
    key_file.chmod(0o600)
    log_dir = write_log(4, key=ChainKey.load(str(key_file)))
    assert main(["verify", "--log-dir", str(log_dir)]) == 2  # keyed, no key given
    assert "keyed" in capsys.readouterr().err
    assert main(["verify", "--log-dir", str(log_dir), "--key-file", str(key_file)]) == 0
    assert "keyed (key" in capsys.readouterr().out
    key_file.chmod(0o644)
    assert main(["verify", "--log-dir", str(log_dir), "--key-file", str(key_file)]) == 2


# -- property: no random damage passes ------------------------------------------------------
@pytest.fixture(scope="module")
def pristine() -> Iterator[Path]:
    """One rotated chained log, copied for every example."""
    base = Path(tempfile.mkdtemp(prefix="beacon-verify-prop-"))
    jsonl = JsonlFile(base / "runtime.jsonl", rotate_bytes=1500, archives=10)
    for n in range(12):
        jsonl.append([event_line(n)])
    jsonl.close()
    yield base
    shutil.rmtree(base)


def _mutate(data: list[bytes], choice: int, a: int, b: int, byte: int) -> list[bytes]:
    """One random change to the concatenated lines of the stream (at least one byte differs)."""
    lines = list(data)
    i, j = a % len(lines), b % len(lines)
    if choice == 0:  # change one byte somewhere in a line (newline included)
        line = bytearray(lines[i])
        at = b % len(line)
        line[at] = (line[at] + 1 + byte % 255) % 256
        lines[i] = bytes(line)
    elif choice == 1:
        del lines[i]
    elif choice == 2:
        lines.insert(i, lines[j])
    elif choice == 3:
        lines[i], lines[j] = lines[j], lines[i]
    elif choice == 4:
        lines.insert(i, b'{"planted":%d}\n' % byte)
    else:  # truncate the stream at a byte offset before its end
        blob = b"".join(lines)
        cut = (a * 7919 + b) % len(blob)
        blob = blob[:cut]
        lines = blob.splitlines(keepends=True)
    return lines


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    choice=st.integers(0, 5),
    a=st.integers(0, 10_000),
    b=st.integers(0, 10_000),
    byte=st.integers(0, 254),
)
def test_random_damage_never_verifies(
    pristine: Path, choice: int, a: int, b: int, byte: int
) -> None:
    """Any single byte change, line deletion, duplication, swap, insertion or cut fails."""
    files = chain_files(pristine)
    data = [line for p in files for line in p.read_bytes().splitlines(keepends=True)]
    sizes = [len(p.read_bytes().splitlines()) for p in files]
    mutated = _mutate(data, choice, a, b, byte)
    if mutated == data:
        return  # a swap of a line with itself changes nothing
    with tempfile.TemporaryDirectory() as temp:
        target = Path(temp)
        shutil.copy(pristine / "runtime.jsonl.lock", target / "runtime.jsonl.lock")
        # Keep the files' boundaries where they were (the last file takes any surplus).
        start = 0
        for k, (path, size) in enumerate(zip(files, sizes, strict=True)):
            end = len(mutated) if k == len(files) - 1 else min(start + size, len(mutated))
            (target / path.name).write_bytes(b"".join(mutated[start:end]))
            start = end
        report = verify_stream(target, "runtime")
    assert not report.intact, (choice, a, b, byte)
