"""`beacon-hooks` as runtimes run it: collector up, down, unwritable log, garbage, full disk."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from collector_harness import RunningCollector
from hook_harness import HOOKS_BIN, recorded_payloads, run_hook

from beacon.hooks.cli import event_name_of, parse_args, split_url

pytestmark = pytest.mark.network
RECORDED = recorded_payloads()
DOWN = "http://127.0.0.1:9"  # discard port: nothing listens, connect is refused at once


def _reply_for(platform: str, body: bytes) -> bytes:
    if platform == "codex" and b"agent-turn-complete" in body:
        return b""
    return b"{}\n"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_collector_down_every_recorded_payload_is_appended_locally(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """With no collector each payload is mapped and appended; reply exact, stderr silent."""
    logs = tmp_path / "logs"
    expected = 0
    for platform, name, body in RECORDED:
        done = run_hook(
            ["--platform", platform, "--collector", DOWN, "--log-dir", str(logs)], body, hook_env
        )
        assert done.returncode == 0, name
        assert done.stdout == _reply_for(platform, body), name
        assert done.stderr == b"", (name, done.stderr)
        expected += 1
    events = _lines(logs / "runtime.jsonl")
    assert len(events) == expected
    assert {e["event"]["source"] for e in events} == {"hook.command"}
    commands = [e for e in events if e["event"]["action"] == "command.executed"]
    assert {e["command"]["command"] for e in commands} == {"echo BEACON_MARKER"}
    assert all("endpoint" in e and "id" in e["event"] for e in events)
    assert not (tmp_path / "spool").exists()


def test_collector_up_payloads_are_forwarded_not_written_locally(
    tmp_path: Path, hook_env: dict[str, str], hooks_collector: RunningCollector
) -> None:
    """With the collector up, events land in the collector's log and nothing local."""
    hooks_collector.mark()
    sample = [
        r
        for r in RECORDED
        if r[1].startswith(
            ("claude-code-2.1.197/json1/hooks/command", "codex-0.169.0/json1", "gemini-cli")
        )
    ]
    url = f"http://{hooks_collector.http}"
    for platform, name, body in sample:
        done = run_hook(
            ["--platform", platform, "--collector", url, "--log-dir", str(tmp_path / "local")],
            body,
            hook_env,
        )
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            _reply_for(platform, body),
            b"",
        ), name
    events = hooks_collector.new_events(len(sample))
    assert len(events) == len(sample)
    assert {e["event"]["source"] for e in events} == {"hook.command"}
    assert not (tmp_path / "local").exists()


def test_collector_url_from_env(
    tmp_path: Path, hook_env: dict[str, str], hooks_collector: RunningCollector
) -> None:
    """`$BEACON_COLLECTOR_URL` is used when `--collector` is absent."""
    hooks_collector.mark()
    body = RECORDED[0][2]
    env = {**hook_env, "BEACON_COLLECTOR_URL": f"http://{hooks_collector.http}"}
    done = run_hook(["--platform", "claude", "--log-dir", str(tmp_path / "local")], body, env)
    assert done.returncode == 0 and done.stderr == b""
    assert len(hooks_collector.new_events(1)) == 1
    assert not (tmp_path / "local").exists()


def test_unwritable_log_dir_spools_the_raw_payload(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """A log dir under a regular file cannot be created (ENOTDIR, even for root): spool it."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file, not a directory")
    body = RECORDED[0][2]
    done = run_hook(
        ["--platform", "claude", "--collector", DOWN, "--log-dir", str(blocker / "logs")],
        body,
        hook_env,
    )
    assert done.returncode == 0 and done.stdout == b"{}\n"
    assert done.stderr.count(b"\n") == 1 and b"spooled" in done.stderr
    (spooled,) = (tmp_path / "spool").glob("*.hook")
    header, _, raw = spooled.read_bytes().partition(b"\n")
    assert raw == body
    assert json.loads(header)["platform"] == "claude"
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700


def test_nothing_writable_still_exits_zero_with_one_stderr_line(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """Log and spool both impossible: the reply, exit 0, and one line saying the event is lost."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    env = {**hook_env, "BEACON_SPOOL_DIR": str(blocker / "spool")}
    done = run_hook(
        ["--platform", "cursor", "--collector", DOWN, "--log-dir", str(blocker / "logs")],
        b'{"hook_event_name": "beforeShellExecution", "command": "ls"}',
        env,
    )
    assert done.returncode == 0
    assert done.stdout == b'{"permission": "allow"}\n'
    assert done.stderr.count(b"\n") == 1 and b"event lost" in done.stderr


def test_full_disk_spools_instead(tmp_path: Path, hook_env: dict[str, str]) -> None:
    """A file size limit makes the log append fail (EFBIG, as on a full disk): payload spooled."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "runtime.jsonl").write_bytes(b"{}\n" * 40_000)  # 120 kB, over the limit below

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run(
        [str(HOOKS_BIN), "--platform", "claude", "--collector", DOWN, "--log-dir", str(logs)],
        input=RECORDED[0][2],
        capture_output=True,
        env=hook_env,
        preexec_fn=limit,
        timeout=30,
    )
    assert done.returncode == 0 and done.stdout == b"{}\n"
    assert b"spooled" in done.stderr
    assert len(list((tmp_path / "spool").glob("*.hook"))) == 1
    assert (logs / "runtime.jsonl").stat().st_size == 120_000  # nothing torn onto the log


@pytest.mark.parametrize(
    ("args", "stdin", "reply"),
    [
        (["--platform", "claude"], b"\x00\xffnot json", b"{}\n"),
        (["--platform", "cursor", "beforeSubmitPrompt"], b"{{{", b'{"continue": true}\n'),
        (["--platform", "gemini"], b"", b"{}\n"),
        (["--platform", "nonesuch"], b'{"a": 1}', b"{}\n"),
        (["--bogus-flag", "--platform"], b"[]", b"{}\n"),
    ],
)
def test_garbage_input_gets_the_exact_noop_reply_and_exit_zero(
    tmp_path: Path, hook_env: dict[str, str], args: list[str], stdin: bytes, reply: bytes
) -> None:
    """Bad JSON, empty stdin, unknown platform or flags: exit 0 and exactly the reply."""
    done = run_hook(
        [*args, "--collector", DOWN, "--log-dir", str(tmp_path / "logs")], stdin, hook_env
    )
    assert done.returncode == 0
    assert done.stdout == reply
    assert done.stderr.count(b"\n") <= 1
    events = _lines(tmp_path / "logs" / "runtime.jsonl")
    assert len(events) == 1  # kept, as telemetry.unclassified where it cannot be mapped


def test_codex_notify_payload_from_the_last_argument(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """Codex passes the notify JSON as the last argument; nothing is printed."""
    body = next(b for p, n, b in RECORDED if "notify" in n).decode()
    done = run_hook(
        ["--platform", "codex", "--collector", DOWN, "--log-dir", str(tmp_path / "logs"), body],
        b"",
        hook_env,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    (event,) = _lines(tmp_path / "logs" / "runtime.jsonl")
    assert event["event"]["action"] == "agent.response"
    assert event["session"]["id"] == json.loads(body)["thread-id"]


def test_concurrent_hooks_and_collector_write_whole_lines(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    """Hook processes appending locally while the collector writes the same log: whole lines."""
    from collector_harness import start_collector

    logs = tmp_path / "logs"
    collector = start_collector(
        logs, env={"HOME": hook_env["HOME"], "BEACON_SPOOL_DIR": str(tmp_path / "cspool")}
    )
    try:
        body = next(b for p, n, b in RECORDED if "json1/hooks/http/0003" in n)
        big = json.loads(body)
        big["tool_response"]["stdout"] = "x" * 20_000  # long lines make interleaving visible
        payload = json.dumps(big).encode()
        procs = [
            subprocess.Popen(
                [
                    str(HOOKS_BIN),
                    "--platform",
                    "claude",
                    "--collector",
                    DOWN,
                    "--log-dir",
                    str(logs),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=hook_env,
            )
            for _ in range(12)
        ]
        import httpx

        with httpx.Client(timeout=10) as client:
            for _ in range(40):
                r = client.post(
                    collector.url("/v1/hooks/claude"),
                    content=payload,
                    headers={"Content-Type": "application/json"},
                )
                assert r.status_code == 200
        for proc in procs:
            out, _ = proc.communicate(payload, timeout=60)
            assert proc.returncode == 0 and out == b"{}\n"
        events = collector.new_events(52)
    finally:
        assert collector.stop() == 0
    raw = (logs / "runtime.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.splitlines()
    assert len(lines) == 52 and len(events) == 52
    for line in lines:
        assert json.loads(line)["event"]["action"] == "command.executed"


def test_parse_args_and_event_name_without_json() -> None:
    """Hand-rolled parsing of flags, `=` forms, EVENT and the escaped-key guard."""
    inv = parse_args(["--platform=cursor", "--log-dir", "/l", "stop", "--collector", "h:1"])
    assert (inv.platform, inv.log_dir, inv.collector, inv.event) == ("cursor", "/l", "h:1", "stop")
    assert event_name_of(b'{"x": "\\"hook_event_name\\"", "hook_event_name" : "Stop"}') == "Stop"
    assert event_name_of(b'{"type":"agent-turn-complete"}') == "agent-turn-complete"
    assert event_name_of(b"garbage") == ""
    assert split_url("http://[::1]:4318/base/") == ("::1", 4318, "/base")
    assert split_url("127.0.0.1:4318") == ("127.0.0.1", 4318, "")
    with pytest.raises(ValueError):
        split_url("https://127.0.0.1:4318")


@pytest.mark.parametrize("how", ["script", "module"])
def test_exit_without_teardown_still_flushes_every_output(
    tmp_path: Path, hook_env: dict[str, str], how: str
) -> None:
    """`entry` ends with `os._exit`: `--help` (returned before `main`'s own flush) and a
    problem line still reach their pipes, from the console script and from `python -m`."""
    program = [str(HOOKS_BIN)] if how == "script" else [sys.executable, "-m", "beacon.hooks.cli"]
    shown = subprocess.run(
        [*program, "--help"], capture_output=True, env=hook_env, timeout=30, check=False
    )
    assert shown.returncode == 0
    assert shown.stdout.startswith(b"usage: beacon-hooks --platform RUNTIME")
    done = subprocess.run(
        [*program, "--platform", "nonesuch", "--collector", DOWN, "--log-dir", str(tmp_path)],
        input=b'{"a": 1}',
        capture_output=True,
        env=hook_env,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"{}\n")
    assert done.stderr.startswith(b"beacon-hooks: unknown --platform 'nonesuch'")
