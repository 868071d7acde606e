"""Keeping the stream alive: TTL and back-off state, the SessionStart trigger of
`beacon-hooks` (detached, never waited for), and `beacon run`'s schedule."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO, Endpoint

from beacon.config import BeaconConfig, InventoryConfig, WriterConfig, state_dir
from beacon.inventory import state, trigger
from beacon.inventory.run import run_inventory
from beacon.inventory.schedule import run_schedule
from beacon.inventory.scope import Scope

HOOKS_BIN = Path(sys.executable).parent / "beacon-hooks"
NOW = 1_800_000_000.0


def _config(endpoint: Endpoint, **inventory: object) -> BeaconConfig:
    return BeaconConfig(
        writer=WriterConfig(log_dir=str(endpoint.logs)),
        inventory=replace(InventoryConfig(), **inventory),  # type: ignore[arg-type]
    )


def _scope(endpoint: Endpoint) -> Scope:
    return Scope.of(endpoint.home, endpoint.project, endpoint.env)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"HOME": "/home/a"},
        {"BEACON_STATE_DIR": "/srv/state"},
        {"HOME": "/h", "BEACON_STATE_DIR": "~/s"},
    ],
)
def test_state_dir_agrees_with_config(env: dict[str, str]) -> None:
    """The hook path's copy of `beacon.config.state_dir` (user mode) gives the same answer."""
    if "HOME" not in env:
        env = {**env, "HOME": os.environ.get("HOME", "/root")}
    assert state.state_dir(env) == str(state_dir(env))


def test_state_file_round_trip_and_mode(tmp_path: Path) -> None:
    """0600 file in a 0700 directory; values read back; a corrupt file is moved aside."""
    directory = str(tmp_path / "state")
    state.write(directory, {"last_emitted_at": "12.5", "on_hook": "1", "ttl_seconds": "60"})
    path = Path(directory) / state.STATE_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert Path(directory).stat().st_mode & 0o777 == 0o700
    values, problem = state.read(directory)
    assert problem is None and state.number(values, "last_emitted_at") == 12.5
    path.write_text("garbage without equals\n")
    values, problem = state.read(directory)
    assert values == {} and problem is not None and "kept as" in problem
    assert [p.name for p in Path(directory).iterdir() if ".corrupt-" in p.name]


def _decide(
    env: dict[str, str], event: str = "SessionStart", now: float = NOW
) -> tuple[str, str | None]:
    return trigger.decide(event, env, now)


def test_trigger_decisions(tmp_path: Path) -> None:
    """Only session starts; TTL, back-off, the spawn marker, the lock and opt-outs hold it back."""
    env = {"BEACON_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    directory = env["BEACON_STATE_DIR"]
    assert _decide(env) == ("spawn", None)  # no state yet: the first run is due
    assert _decide(env, "sessionStart") == ("spawn", None)  # Cursor's spelling
    assert _decide(env, "PreToolUse") == ("skip", "not a session start")
    assert _decide({**env, "BEACON_INVENTORY_ON_HOOK": "0"})[0] == "skip"
    state.write(directory, {"last_emitted_at": str(NOW - 100), "ttl_seconds": "3600"})
    assert _decide(env) == ("skip", "ttl_active")
    state.write(
        directory,
        {
            "last_emitted_at": str(NOW - 7200),
            "ttl_seconds": "3600",
            "last_attempt_at": str(NOW - 10),
        },
    )
    assert _decide(env) == ("skip", "backoff")
    state.write(
        directory, {"last_emitted_at": str(NOW - 7200), "ttl_seconds": "3600", "on_hook": "0"}
    )
    assert _decide(env) == ("skip", "disabled by configuration")
    state.write(directory, {"last_emitted_at": str(NOW - 7200), "ttl_seconds": "3600"})
    with state.Locked(directory, wait=0) as held:
        assert held
        assert _decide(env) == ("skip", "busy")
    assert _decide(env) == ("spawn", None)
    argv: list[list[str]] = []
    assert (
        trigger.maybe_trigger(
            "claude", "SessionStart", log_dir="/l", env=env, now=NOW, spawn=argv.append
        )
        == "spawned"
    )
    assert argv == [
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "inventory",
            "--write-event",
            "--trigger",
            "hook",
            "--trigger-harness",
            "claude_code",
            "--log-dir",
            "/l",
        ]
    ]
    # The spawn marker holds a burst of session starts back.
    assert (
        trigger.maybe_trigger("claude", "SessionStart", env=env, now=NOW + 1, spawn=argv.append)
        == "skipped: backoff"
    )
    assert len(argv) == 1


def test_maybe_trigger_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"BEACON_STATE_DIR": str(blocker / "state"), "HOME": str(tmp_path)}

    def boom(argv: list[str]) -> None:
        raise RuntimeError("no")

    assert trigger.maybe_trigger("claude", "SessionStart", env=env, spawn=boom).startswith(
        "skipped:"
    )


def test_hook_runs_honour_ttl_and_backoff_unless_forced(endpoint: Endpoint) -> None:
    """A hook run after a fresh heartbeat is skipped; --force writes; manual always writes."""
    config, scope = _config(endpoint, ttl=3600, backoff=300), _scope(endpoint)
    assert run_inventory(config, trigger="hook", scope=scope, clock=lambda: NOW).status == "written"
    skipped = run_inventory(config, trigger="hook", scope=scope, clock=lambda: NOW + 60)
    assert (skipped.status, skipped.reason) == ("skipped", "ttl_active")
    forced = run_inventory(config, trigger="hook", force=True, scope=scope, clock=lambda: NOW + 61)
    assert (forced.status, forced.change_reason) == ("written", "unchanged")
    manual = run_inventory(config, trigger="manual", scope=scope, clock=lambda: NOW + 62)
    assert manual.status == "written"
    later = run_inventory(config, trigger="hook", scope=scope, clock=lambda: NOW + 62 + 3601)
    assert later.status == "written"
    values, _ = state.read(str(endpoint.state))
    assert values["last_trigger"] == "hook" and values["ttl_seconds"] == "3600"
    heartbeats = [e for e in endpoint.events() if e["event"]["action"] == "inventory.heartbeat"]
    assert [h["raw"]["inventory"]["trigger"] for h in heartbeats] == [
        "hook",
        "hook",
        "manual",
        "hook",
    ]


def test_a_held_lock_makes_a_hook_run_skip(endpoint: Endpoint) -> None:
    with state.Locked(str(endpoint.state), wait=0):
        outcome = run_inventory(_config(endpoint), trigger="hook", scope=_scope(endpoint))
    assert outcome.status == "skipped" and outcome.reason.startswith("busy")  # type: ignore[union-attr]
    assert not endpoint.log_file.exists()


def test_schedule_writes_at_start_and_every_interval(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run_schedule`: a heartbeat at once, then each interval, until stopped."""
    for key, value in endpoint.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(endpoint.project)
    config = _config(endpoint, interval=1)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_schedule(config, stop))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(endpoint.events()) < 3:
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    asyncio.run(scenario())
    events = endpoint.events()
    heartbeats = [
        e["raw"]["inventory"] for e in events if e["event"]["action"] == "inventory.heartbeat"
    ]
    assert len(heartbeats) >= 2
    assert {h["trigger"] for h in heartbeats} == {"schedule"}
    assert [h["change_reason"] for h in heartbeats[:2]] == ["initial", "unchanged"]


def test_schedule_off_when_interval_is_zero(endpoint: Endpoint) -> None:
    asyncio.run(asyncio.wait_for(run_schedule(_config(endpoint, interval=0), asyncio.Event()), 5))
    assert not endpoint.log_file.exists()


def _wait_for(path: Path, seconds: float = 60) -> list[dict[str, object]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            events = [json.loads(line) for line in lines]
            if any(e["event"]["action"] == "inventory.heartbeat" for e in events):  # type: ignore[index]
                return events
        time.sleep(0.1)
    raise AssertionError(f"no heartbeat in {path} after {seconds} s")


def test_session_start_hook_starts_a_detached_run(endpoint: Endpoint) -> None:
    """`beacon-hooks` answers at once; the inventory run it started finishes later, alone.

    The fake `claude --version` takes 4 s (allowed by the config), so the run outlives the
    hook: the hook's exit comes before any heartbeat exists, and the heartbeat arrives later.
    """
    endpoint.fake_agent("claude", 'time.sleep(4)\nprint("2.1.220 (Claude Code)")')
    config = endpoint.root / "beacon.toml"
    config.write_text("[inventory]\nversion_timeout = 10.0\n")
    env = {**endpoint.env, "BEACON_CONFIG": str(config)}
    payload = json.dumps(
        {
            "session_id": "s-1",
            "hook_event_name": "SessionStart",
            "cwd": str(endpoint.project),
            "source": "startup",
        }
    )

    def session_start() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [
                str(HOOKS_BIN),
                "--platform",
                "claude",
                "--collector",
                "http://127.0.0.1:9",
                "--log-dir",
                str(endpoint.logs),
            ],
            input=payload.encode(),
            capture_output=True,
            env=env,
            cwd=endpoint.project,
            timeout=30,
        )

    done = session_start()
    assert done.returncode == 0 and done.stdout.strip() == b"{}"
    assert not endpoint.log_file.exists()  # the hook did not wait for the inventory
    events = _wait_for(endpoint.log_file)
    heartbeat = next(e for e in events if e["event"]["action"] == "inventory.heartbeat")  # type: ignore[index]
    inventory = heartbeat["raw"]["inventory"]  # type: ignore[index]
    assert (inventory["trigger"], inventory["trigger_harness"]) == ("hook", "claude_code")
    assert inventory["counts"]["mcp_servers"] == 24
    snapshot = next(e for e in events if e["event"]["action"] == "inventory.snapshot")  # type: ignore[index]
    runtimes = {r["name"]: r for r in snapshot["raw"]["inventory"]["runtimes"]}  # type: ignore[index]
    assert runtimes["claude_code"]["version"] == "2.1.220"  # the slow probe was waited for
    # The session start itself is in runtime.jsonl, recorded locally (collector down).
    assert "session.started" in (endpoint.logs / "runtime.jsonl").read_text()
    # A second session start right after is held back by the state (TTL now active).
    again = session_start()
    assert again.returncode == 0
    assert trigger.decide("SessionStart", endpoint.env, time.time())[1] == "ttl_active"


def test_beacon_run_writes_a_heartbeat_at_start(endpoint: Endpoint) -> None:
    """The collector's schedule: `beacon run` inventories its user once it listens."""
    sys.path.insert(0, str(REPO / "tests" / "collector"))
    from collector_harness import start_collector

    env = {k: v for k, v in endpoint.env.items() if k != "PYTHONPATH"}
    env["BEACON_INVENTORY_INTERVAL"] = "21600"  # the harness turns the schedule off by default
    running = start_collector(endpoint.logs, env=env)
    try:
        events = _wait_for(endpoint.log_file)
        with urllib.request.urlopen(running.url("/metrics"), timeout=10) as reply:
            metrics = reply.read().decode()
    finally:
        assert running.stop() == 0
    heartbeat = next(e for e in events if e["event"]["action"] == "inventory.heartbeat")  # type: ignore[index]
    assert heartbeat["raw"]["inventory"]["trigger"] == "schedule"  # type: ignore[index]
    # Written by the collector's own writer, so its /metrics counts them.
    written = re.search(r'^beacon_events_written_total\{stream="inventory"\} (\d+)', metrics, re.M)
    assert written is not None, metrics
    assert int(written.group(1)) >= 1


def test_hook_defaults_match_the_config_defaults() -> None:
    """The hook path's fallbacks (before any run recorded its own) are the config's."""
    defaults = InventoryConfig()
    assert (defaults.ttl, defaults.backoff) == (trigger.DEFAULT_TTL, trigger.DEFAULT_BACKOFF)
