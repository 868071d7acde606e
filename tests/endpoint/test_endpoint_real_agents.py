"""Acceptance: after `beacon endpoint install`, the real Codex, Claude Code and Gemini CLIs deliver
their telemetry to `beacon run` with no hand edits, and uninstall puts the home back.

Each test installs into a temporary HOME through the real command line (`--service none`,
free ports), starts the collector with exactly the command install printed, runs one
scripted agent turn against a fake model API on loopback, and reads runtime.jsonl. The
agents get no `OTEL_*` variables: everything comes from the files install wrote. Skips
only when npm is missing; a failing npm install is a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from claude_cli_harness import COMMAND as CLAUDE_COMMAND
from claude_cli_harness import PROMPT as CLAUDE_PROMPT
from claude_cli_harness import claude_agent_env, claude_binary, fake_api, run_claude_turn
from codex_cli_harness import (
    PROMPT as CODEX_PROMPT,
)
from codex_cli_harness import (
    codex_binary,
    codex_env,
    fake_openai,
    run_codex_turn,
    user_config,
)
from endpoint_harness import free_ports, install_args, run_beacon
from gemini_cli_harness import COMMAND as GEMINI_COMMAND
from gemini_cli_harness import PROMPT as GEMINI_PROMPT
from gemini_cli_harness import (
    fake_gemini,
    gemini_binary,
    gemini_env,
    run_gemini_turn,
    write_user_settings,
)

pytestmark = [pytest.mark.slow, pytest.mark.network]
__all__ = ["fake_api", "fake_gemini", "fake_openai"]  # fixtures, imported for pytest


def beacon(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_beacon(home, home, *args, path=os.environ.get("PATH", ""))
    assert result.returncode == 0, result.stderr
    return result


class Collector:
    """`beacon run` started from the command line `beacon endpoint install` printed."""

    def __init__(self, install_output: str, home: Path) -> None:
        line = next(x for x in install_output.splitlines() if "run the collector yourself:" in x)
        argv = line.split("run the collector yourself: ", 1)[1].split()
        self.log = Path(argv[argv.index("--log-dir") + 1]) / "runtime.jsonl"
        env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert first.startswith("listening "), (
            first,
            self.process.stderr and self.process.stderr.read(),
        )

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(x) for x in self.log.read_text().splitlines() if x.strip()]

    def wait_for(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 60
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        events = self.events()
        while time.monotonic() < deadline and not done(events):
            time.sleep(0.25)
            events = self.events()
        return events

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(20)


@pytest.fixture
def agent_home(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    yield home, project


def is_otlp(event: dict[str, Any]) -> bool:
    """Whether the event came over OTLP (`event.source` otlp.logs/metrics/traces)."""
    return str(event["event"].get("source", "")).startswith("otlp.")


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(harness, action, source) per event, for assertion messages."""
    return [
        (e["harness"]["name"], e["event"]["action"], e["event"].get("source", "")) for e in events
    ]


def actions(events: list[dict[str, Any]], harness: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["harness"]["name"] == harness:
            out.setdefault(event["event"]["action"], []).append(event)
    return out


def otlp_actions(events: list[dict[str, Any]], harness: str) -> dict[str, list[dict[str, Any]]]:
    """`actions`, keeping the events that came over OTLP."""
    return {a: [e for e in es if is_otlp(e)] for a, es in actions(events, harness).items()}


def delivered(harness: str, hook_sources: set[str]) -> Callable[[list[dict[str, Any]]], bool]:
    """Done waiting: `harness` has sent its hook events and a command over OTLP."""

    def done(events: list[dict[str, Any]]) -> bool:
        ours = [e for e in events if e["harness"]["name"] == harness]
        return hook_sources <= {e["event"].get("source") for e in ours} and any(
            is_otlp(e) and e["event"]["action"] == "command.executed" for e in ours
        )

    return done


def test_real_codex_cli_reads_the_installed_config_and_reaches_the_collector(
    agent_home: tuple[Path, Path], tmp_path: Path, fake_openai: str
) -> None:
    """`install --harness codex --hooks`: Codex's OTLP logs (prompt, shell command) and its
    hook events land in runtime.jsonl; uninstall restores config.toml byte for byte."""
    binary = codex_binary()
    home, project = agent_home
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    original = user_config(fake_openai).encode()
    config.write_bytes(original)
    grpc, http = free_ports()
    installed = beacon(home, *install_args("codex", "--hooks", ports=(grpc, http)))
    written = config.read_text()
    assert written.startswith(original.decode()), "the user's config must survive unchanged"
    assert f'endpoint = "http://127.0.0.1:{http}/v1/logs"' in written
    collector = Collector(installed.stdout, home)
    try:
        env = codex_env(home, tmp_path)
        assert not any(k.startswith("OTEL_") for k in env)
        run_codex_turn(binary, project, env, "--dangerously-bypass-hook-trust")

        def complete(events: list[dict[str, Any]]) -> bool:
            seen = actions(events, "codex_cli")
            otlp = [e for e in seen.get("command.executed", []) if is_otlp(e)]
            return "prompt.submitted" in seen and bool(otlp)

        events = collector.wait_for(complete)
    finally:
        assert collector.stop() == 0
    seen = actions(events, "codex_cli")
    assert "prompt.submitted" in seen and "command.executed" in seen, summary(events)
    prompt = next(e for e in seen["prompt.submitted"] if is_otlp(e))
    assert prompt["prompt"]["text"] == CODEX_PROMPT
    commands = [e for e in seen["command.executed"] if is_otlp(e)]
    assert "echo BEACON_MARKER" in commands[0]["command"]["command"]
    hooked = {e["event"].get("source") for e in events if e["harness"]["name"] == "codex_cli"}
    assert "hook.command" in hooked
    assert [e for e in events if e["event"]["action"] == "telemetry.enabled"]

    beacon(home, "endpoint", "uninstall")
    assert config.read_bytes() == original
    assert not (home / ".codex" / "hooks.json").exists()
    assert not (home / ".beacon").exists()


def test_real_claude_code_reads_the_installed_settings_and_reaches_the_collector(
    agent_home: tuple[Path, Path], tmp_path: Path, fake_api: str
) -> None:
    """`install --harness claude --hooks`: Claude Code's OTLP events and its command and
    HTTP hook events land in runtime.jsonl; uninstall restores settings.json byte for byte."""
    binary = claude_binary()
    home, project = agent_home
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = b'{\n  "model": "claude-test",\n  "env": {"MY_VAR": "kept"}\n}\n'
    settings.write_bytes(original)
    grpc, http = free_ports()
    installed = beacon(home, *install_args("claude", "--hooks", ports=(grpc, http)))
    assert json.loads(settings.read_text())["env"]["MY_VAR"] == "kept"
    collector = Collector(installed.stdout, home)
    env = claude_agent_env(tmp_path, home, fake_api)
    try:
        run_claude_turn(binary, project, env)

        events = collector.wait_for(delivered("claude_code", {"hook.command", "hook.http"}))
    finally:
        assert collector.stop() == 0
    otlp = otlp_actions(events, "claude_code")
    assert otlp.get("prompt.submitted") and otlp.get("command.executed"), summary(events)
    assert otlp["prompt.submitted"][0]["prompt"]["text"] == CLAUDE_PROMPT
    assert otlp["command.executed"][0]["command"]["command"] == CLAUDE_COMMAND
    sources = {e["event"].get("source") for e in events if e["harness"]["name"] == "claude_code"}
    assert {"otlp.logs", "hook.command", "hook.http"} <= sources, summary(events)

    beacon(home, "endpoint", "uninstall")
    assert settings.read_bytes() == original
    assert not (home / ".beacon").exists()


def test_real_gemini_cli_reads_the_installed_settings_and_reaches_the_collector(
    agent_home: tuple[Path, Path], tmp_path: Path, fake_gemini: str
) -> None:
    """`install --harness gemini --hooks`: Gemini CLI's OTLP (gRPC) events and its command
    hook events land in runtime.jsonl; uninstall restores settings.json byte for byte."""
    binary = gemini_binary()
    home, project = agent_home
    original = write_user_settings(home, {"telemetry": {"enabled": False, "outfile": "x.log"}})
    settings = home / ".gemini" / "settings.json"
    grpc, http = free_ports()
    installed = beacon(home, *install_args("gemini", "--hooks", ports=(grpc, http)))
    written = json.loads(settings.read_text())
    assert written["security"]["auth"]["selectedType"] == "gemini-api-key"  # the user's kept
    assert written["telemetry"]["otlpEndpoint"] == f"http://127.0.0.1:{grpc}"
    collector = Collector(installed.stdout, home)
    try:
        env = gemini_env(home, tmp_path, fake_gemini)
        assert not any(k.startswith(("OTEL_", "GEMINI_TELEMETRY")) for k in env)
        run_gemini_turn(binary, project, env)

        events = collector.wait_for(delivered("gemini_cli", {"hook.command"}))
    finally:
        assert collector.stop() == 0
    otlp = otlp_actions(events, "gemini_cli")
    assert otlp.get("prompt.submitted") and otlp.get("command.executed"), summary(events)
    assert otlp["prompt.submitted"][0]["prompt"]["text"] == GEMINI_PROMPT
    assert GEMINI_COMMAND in otlp["command.executed"][0]["command"]["command"]
    sources = {e["event"].get("source") for e in events if e["harness"]["name"] == "gemini_cli"}
    assert "hook.command" in sources, summary(events)

    beacon(home, "endpoint", "uninstall")
    assert settings.read_bytes() == original
    assert not (home / ".beacon").exists()
