"""`beacon endpoint install` killed with SIGKILL mid-way: the journal it leaves lets the next
install or uninstall put the user's files back first (subprocesses on a temporary HOME)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from endpoint_harness import install_args, run_beacon, tree
from test_endpoint_install import FILE_HARNESSES, seed_home

from beacon.endpoint.layout import Layout
from beacon.endpoint.manifest import load_manifest
from beacon.endpoint.transaction import Transaction, recover

# Runs `beacon endpoint install` with Transaction.write SIGKILLing the process on its Nth
# call, before that file changes: what a power cut or `kill -9` at that moment leaves.
KILLER = """
import os, signal, sys
from beacon.endpoint.transaction import Transaction
from beacon.cli import main
real, calls, kill_at = Transaction.write, [0], int(sys.argv[1])
def write(self, *args, **kwargs):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, *args, **kwargs)
Transaction.write = write
sys.exit(main(sys.argv[2:]))
"""


def _install_args() -> list[str]:
    return install_args(FILE_HARNESSES, "--no-start")


def _killed_install(layout: Layout, kill_at: int, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(kill_at), *args],
        env={"HOME": str(layout.home), "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
        cwd=layout.home,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert layout.journal_path.exists()


def _beacon(layout: Layout, *args: str) -> subprocess.CompletedProcess[str]:
    return run_beacon(layout.home, layout.home, *args, path=os.environ.get("PATH", ""))


@pytest.mark.parametrize("kill_at", [2, 4, 6])
def test_uninstall_after_a_killed_install_leaves_the_home_as_it_was(
    layout: Layout, kill_at: int
) -> None:
    """Killed before its 2nd, 4th or 6th file (the 6th is the manifest): some agent files
    already hold Beacon's keys; uninstall rolls them back byte for byte."""
    seed_home(layout)
    before = tree(layout.home)
    _killed_install(layout, kill_at, _install_args())
    assert tree(layout.home) != before  # the crash left changes behind
    done = _beacon(layout, "endpoint", "uninstall")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rolled back an interrupted install" in done.stdout
    assert tree(layout.home) == before


def test_install_after_a_killed_install_records_the_users_originals(layout: Layout) -> None:
    """The next install starts from the rolled-back files, so its manifest holds the user's
    own bytes as "before", and its uninstall restores exactly those."""
    files = seed_home(layout)
    before = tree(layout.home)
    args = _install_args()
    _killed_install(layout, 4, args)
    done = _beacon(layout, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rolled back an interrupted install" in done.stdout
    assert not layout.journal_path.exists()
    manifest = load_manifest(layout.manifest_path)
    assert manifest is not None
    for path in files.values():
        record = manifest.record(path)
        assert record is not None and record.existed
        original = before[str(path.relative_to(layout.home))][2]
        assert original is not None
        assert record.sha256_before == "sha256:" + hashlib.sha256(original).hexdigest()
    assert _beacon(layout, "endpoint", "uninstall").returncode == 0
    assert tree(layout.home) == before


def test_a_finished_install_leaves_no_journal_and_dry_run_names_a_left_one(
    layout: Layout,
) -> None:
    """Journal only while an install runs; a dry run says it would roll one back first
    and changes nothing."""
    seed_home(layout)
    args = _install_args()
    assert _beacon(layout, *args).returncode == 0
    assert not layout.journal_path.exists()
    assert _beacon(layout, "endpoint", "uninstall").returncode == 0
    _killed_install(layout, 3, args)
    journal = json.loads(layout.journal_path.read_bytes())
    assert {e["existed"] for e in journal["files"]} <= {True, False}
    snapshot = tree(layout.home)
    dry = _beacon(layout, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would first roll back the interrupted install" in dry.stdout
    assert tree(layout.home) == snapshot


@pytest.mark.parametrize("kill_at", [3, 6])
def test_a_killed_reinstall_rolls_back_to_the_first_install(layout: Layout, kill_at: int) -> None:
    """A second install (new ports, so every file changes) killed mid-way: the next
    uninstall first restores the first install's files and manifest, then the user's."""
    seed_home(layout)
    before = tree(layout.home)
    assert _beacon(layout, *_install_args()).returncode == 0
    installed = tree(layout.home)
    _killed_install(layout, kill_at, _install_args())
    assert tree(layout.home) != installed
    done = _beacon(layout, "endpoint", "uninstall")
    assert done.returncode == 0, done.stdout + done.stderr
    assert tree(layout.home) == before
    backups = layout.backup_dir
    assert not backups.exists() or not any(backups.iterdir())


def test_doctor_fails_the_install_check_while_a_journal_is_left(layout: Layout) -> None:
    """`doctor --json` names the interrupted install and exits 1, `status` warns; uninstall
    clears both."""
    seed_home(layout)
    _killed_install(layout, 3, _install_args())
    done = _beacon(layout, "endpoint", "doctor", "--json")
    assert done.returncode == 1
    (check,) = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "install"]
    assert check["status"] == "fail"
    assert "interrupted" in check["evidence"]
    status = json.loads(_beacon(layout, "endpoint", "status", "--json").stdout)
    assert any("install was interrupted" in w for w in status["warnings"])
    assert _beacon(layout, "endpoint", "uninstall").returncode == 0
    assert json.loads(_beacon(layout, "endpoint", "status", "--json").stdout)["warnings"] == []
    again = json.loads(_beacon(layout, "endpoint", "doctor", "--json").stdout)
    (check,) = [c for c in again["checks"] if c["name"] == "install"]
    assert check["status"] == "warn"  # nothing installed now, nothing half-installed


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file another owner")
def test_rollback_puts_back_the_owner_too(tmp_path: Path) -> None:
    """A failed system-mode install run as root leaves a user's file theirs, not root's."""
    target = tmp_path / "settings.json"
    target.write_bytes(b"{}\n")
    os.chown(target, 4242, 4243)
    tx = Transaction(tmp_path / "backups", journal=tmp_path / "journal.json")
    tx.write(target, b'{"beacon": true}\n')
    assert target.stat().st_uid == 0  # written as root
    assert tx.rollback() == []
    info = target.stat()
    assert (target.read_bytes(), info.st_uid, info.st_gid) == (b"{}\n", 4242, 4243)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file another owner")
def test_recover_puts_back_bytes_mode_and_owner(tmp_path: Path) -> None:
    """A system-mode install edits a user's file as root; a crash before commit is undone
    with the file's own bytes, mode and owner, and the created directory goes."""
    target = tmp_path / "home" / "settings.json"
    target.parent.mkdir()
    target.write_bytes(b'{"user": true}\n')
    target.chmod(0o640)
    os.chown(target, 4242, 4243)
    journal = tmp_path / "state" / "journal.json"
    tx = Transaction(tmp_path / "state" / "backups", journal=journal)
    tx.mkdir(tmp_path / "state")
    tx.write(target, b'{"beacon": true}\n')
    tx.write(tmp_path / "home" / "new.json", b"{}\n")
    assert journal.exists()  # no commit: as a killed process leaves it
    done, problems = recover(journal)
    assert problems == [] and len(done) == 2
    info = target.stat()
    assert target.read_bytes() == b'{"user": true}\n'
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 4242, 4243)
    assert not (tmp_path / "home" / "new.json").exists()
    assert not (tmp_path / "state").exists()


def test_a_journal_that_cannot_be_undone_stops_install_and_says_how_to_go_on(
    layout: Layout,
) -> None:
    """A backup the journal names is gone: install changes nothing more and names the
    journal to delete once the files are put right."""
    seed_home(layout)
    _killed_install(layout, 3, _install_args())
    for entry in json.loads(layout.journal_path.read_bytes())["files"]:
        if entry["backup"]:
            Path(entry["backup"]).unlink()
    snapshot = tree(layout.home)
    done = _beacon(layout, *_install_args())
    assert done.returncode != 0
    assert "could not be rolled back" in done.stderr
    assert f"then delete {layout.journal_path}" in done.stderr
    assert tree(layout.home) == snapshot
