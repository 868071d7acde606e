"""`beacon-hooks` with the collector down seals its lines into the chain, keyed when a key
is found, and never writes unkeyed lines because of a broken key (it spools instead)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hook_harness import FIXTURES, run_hook

from beacon.audit.verify import Keys, verify_stream
from beacon.logfiles.chain import ChainKey

pytestmark = pytest.mark.network
DOWN = "http://127.0.0.1:9"
PAYLOAD = (
    (FIXTURES / "claude-code-2.1.197/json1/hooks/command/PreToolUse.jsonl")
    .read_bytes()
    .splitlines()[0]
)
KEY_HEX = "a1" * 32


def _env(tmp_path: Path) -> dict[str, str]:
    """Only what a runtime passes: no config override, so the hook takes its fast path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env["HOME"] = str(tmp_path / "home")
    env["BEACON_SPOOL_DIR"] = str(tmp_path / "spool")
    return env


def _default_key(tmp_path: Path, mode: int) -> Path:
    state = tmp_path / "home" / ".beacon" / "endpoint" / "state"
    state.mkdir(parents=True)
    key = state / "audit.key"
    key.write_text(KEY_HEX + "\n")
    key.chmod(mode)
    return key


def test_hook_lines_are_chained_and_keyed_with_the_default_key(tmp_path: Path) -> None:
    """Three hook runs, one chain; each line names the key found in the state directory."""
    key = _default_key(tmp_path, 0o600)
    logs = tmp_path / "logs"
    for _ in range(3):
        done = run_hook(
            ["--platform", "claude", "--collector", DOWN, "--log-dir", str(logs)],
            PAYLOAD,
            _env(tmp_path),
        )
        assert done.returncode == 0 and done.stderr == b"", done.stderr
    lines = [json.loads(line) for line in (logs / "runtime.jsonl").read_bytes().splitlines()]
    assert [line["integrity"]["seq"] for line in lines] == [1, 2, 3]
    assert {line["integrity"]["key"] for line in lines} == {ChainKey.load(str(key)).key_id}
    report = verify_stream(logs, "runtime", Keys([ChainKey.load(str(key))]))
    assert report.intact and report.keyed == 3


def test_a_key_others_can_read_spools_the_payload_instead_of_writing_it(tmp_path: Path) -> None:
    """The agent is not blocked, nothing unkeyed is written, the payload waits in the spool."""
    _default_key(tmp_path, 0o644)
    logs = tmp_path / "logs"
    done = run_hook(
        ["--platform", "claude", "--collector", DOWN, "--log-dir", str(logs)],
        PAYLOAD,
        _env(tmp_path),
    )
    assert done.returncode == 0 and done.stdout == b"{}\n"
    assert b"readable by others" in done.stderr and b"spooled" in done.stderr
    assert not (logs / "runtime.jsonl").exists() or not (logs / "runtime.jsonl").read_bytes()
    assert any((tmp_path / "spool").rglob("*"))


def test_configured_key_file_applies_on_the_configured_path(tmp_path: Path) -> None:
    """$BEACON_AUDIT_KEY_FILE (a config override) keys the hook's lines too."""
    key = tmp_path / "elsewhere.key"
    key.write_text("b2" * 32)
    key.chmod(0o400)
    env = {**_env(tmp_path), "BEACON_AUDIT_KEY_FILE": str(key)}
    logs = tmp_path / "logs"
    done = run_hook(
        ["--platform", "claude", "--collector", DOWN, "--log-dir", str(logs)], PAYLOAD, env
    )
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    line = json.loads((logs / "runtime.jsonl").read_bytes())
    assert line["integrity"]["key"] == ChainKey.load(str(key)).key_id
