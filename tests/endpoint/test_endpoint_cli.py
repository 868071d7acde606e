"""`beacon endpoint …` and `beacon status` as a user runs them: subprocesses on a temporary
HOME and working directory; plus docs/endpoint.md naming every command and flag."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from endpoint_harness import REPO, free_ports, install_args, tree
from endpoint_harness import run_beacon as beacon

from beacon.endpoint import cli as endpoint_cli

pytestmark = pytest.mark.network


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def fake_agent(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_install_status_test_event_doctor_uninstall_round_trip(
    home: Path, cwd: Path, tmp_path: Path
) -> None:
    """The whole CLI on an empty home with `--service none`: install configures the named
    agents and prints how to run the collector; status/doctor read the result; test-event
    lands; uninstall leaves the home empty again."""
    grpc, http = free_ports()
    ports = ["--otlp-grpc-port", str(grpc), "--otlp-http-port", str(http)]
    dry = beacon(
        home,
        cwd,
        "endpoint",
        "install",
        "--harness",
        "claude,codex",
        "--service",
        "none",
        "--dry-run",
        *ports,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout and tree(home) == {}

    done = beacon(
        home, cwd, "endpoint", "install", "--harness", "claude,codex", "--service", "none", *ports
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"run the collector yourself: {sys.executable}" in done.stdout
        or "beacon run" in done.stdout
    )
    assert f"--otlp-http 127.0.0.1:{http}" in done.stdout
    settings = json.loads((home / ".claude" / "settings.json").read_text())
    assert settings["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://127.0.0.1:{http}"

    again = beacon(
        home, cwd, "endpoint", "install", "--harness", "claude,codex", "--service", "none"
    )
    assert again.returncode == 0 and "Already installed" in again.stdout  # ports kept

    status = beacon(home, cwd, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["installed"] and report["collector"]["otlp_http_port"] == http
    assert not report["collector"]["reachable"]
    assert {h["name"] for h in report["harnesses"]} == {"claude", "codex"}

    sent = beacon(home, cwd, "endpoint", "test-event", "--json")
    assert sent.returncode == 0, sent.stderr
    landed = json.loads(sent.stdout)
    assert landed["ok"] and landed["log_path"] == str(home / ".beacon/endpoint/logs/runtime.jsonl")
    lines = Path(landed["log_path"]).read_text().splitlines()
    test_event = json.loads(lines[-1])
    assert test_event["harness"]["name"] == "test_harness"
    assert test_event["event"]["action"] == "endpoint.validation"
    assert test_event["event"]["category"] == "validation"
    assert landed["nonce"] in test_event["message"]

    doctor = beacon(home, cwd, "endpoint", "doctor", "--json")
    assert doctor.returncode == 1  # the collector is not running
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["collector_health"]["status"] == "fail"
    assert checks["harness_claude"]["status"] == "ok"
    assert checks["last_event"]["status"] == "ok"

    gone = beacon(home, cwd, "endpoint", "uninstall")
    assert gone.returncode == 0, gone.stderr
    assert tree(home) == {}


def test_status_and_doctor_with_a_running_collector(home: Path, cwd: Path) -> None:
    """`beacon run` started with the command install printed: status is healthy, doctor
    exits 0 and the text output says so."""
    grpc, http = free_ports()
    done = beacon(home, cwd, *install_args("claude", ports=(grpc, http)))
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "run the collector yourself:" in x)
    argv = line.split("run the collector yourself: ", 1)[1].split()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(b"listening ")
        status = beacon(home, cwd, "endpoint", "status")
        assert f"healthy on 127.0.0.1:{grpc}" in status.stdout, status.stdout
        doctor = beacon(home, cwd, "endpoint", "doctor")
        assert "[FAIL]" not in doctor.stdout
        assert doctor.returncode == 0, doctor.stdout
    finally:
        process.terminate()
        process.wait(15)


def test_discover_writes_one_agent_detected_per_agent(
    home: Path, cwd: Path, tmp_path: Path
) -> None:
    """Fake agents on PATH (one hangs on --version): each is listed with its version, the
    hanging one without, within the 2 s cap; one agent.detected event each."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_agent(bin_dir, "codex", 'echo "codex-cli 0.169.0"')
    fake_agent(bin_dir, "gemini", "/bin/sleep 30")
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text("{}")
    began = time.monotonic()
    result = beacon(home, cwd, "endpoint", "discover", "--json", path=str(bin_dir))
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    found = {r["name"]: r for r in doc["runtimes"]}
    assert set(found) == {"claude_code", "codex_cli", "gemini_cli"}
    assert found["codex_cli"]["version"] == "0.169.0"
    assert found["gemini_cli"]["version"] is None
    assert elapsed < 20
    assert doc["events_written"] == 3
    events: list[dict[str, Any]] = [
        json.loads(x)
        for x in (home / ".beacon/endpoint/logs/runtime.jsonl").read_text().splitlines()
    ]
    assert [e["event"]["action"] for e in events] == ["agent.detected"] * 3
    codex = next(e for e in events if e["harness"]["name"] == "codex_cli")
    assert codex["harness"]["version"] == "0.169.0"
    assert codex["harness"]["executable_path"] == str(bin_dir / "codex")
    assert codex["event"]["category"] == "inventory"
    text = beacon(home, cwd, "endpoint", "discover", path=str(bin_dir))
    assert "codex_cli" in text.stdout and "0.169.0" in text.stdout


def test_usage_errors_are_clear(home: Path, cwd: Path) -> None:
    """Unknown harness, equal ports and an empty machine are refused with exit 2."""
    bad = beacon(home, cwd, "endpoint", "install", "--harness", "emacs", "--service", "none")
    assert bad.returncode == 2 and "unknown harness 'emacs'" in bad.stderr
    same = beacon(home, cwd, *install_args("claude", ports=(5000, 5000)))
    assert same.returncode == 2 and "must differ" in same.stderr
    nothing = beacon(home, cwd, "endpoint", "install", "--service", "none")
    assert nothing.returncode == 2 and "no agent detected" in nothing.stderr
    assert tree(home) == {}


def test_endpoint_inventory_is_the_inventory_command(home: Path, cwd: Path) -> None:
    """`beacon endpoint inventory --json` prints the same document as `beacon inventory`."""
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text('model = "o3"\n')
    ours = beacon(home, cwd, "endpoint", "inventory", "--json")
    theirs = beacon(home, cwd, "inventory", "--json")
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    a.pop("generated_at", None), b.pop("generated_at", None)
    assert a == b and "codex_cli" in ours.stdout


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    endpoint_cli.register(sub)
    endpoint = sub.choices["endpoint"]
    group = next(a for a in endpoint._actions if isinstance(a, argparse._SubParsersAction))
    return {f"endpoint {n}": p for n, p in group.choices.items()} | {
        "status": sub.choices["status"]
    }


def test_docs_name_every_command_and_flag() -> None:
    """docs/endpoint.md has a section per command naming each of its flags, and the
    README links it."""
    doc = (REPO / "docs" / "endpoint.md").read_text()
    missing = []
    for name, parser in _commands().items():
        if f"beacon {name}" not in doc:
            missing.append(f"beacon {name}")
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and f"`{flag}" not in doc:
                    missing.append(f"{name} {flag}")
    assert not missing, f"undocumented in docs/endpoint.md: {missing}"
    for check in (
        "config_valid",
        "install",
        "log_dir",
        "log_permissions",
        "collector_health",
        "ports",
        "service",
        "systemd_unit",
        "launchd_plist",
        "harness_<name>",
        "last_event",
        "runtime_log_source",
    ):
        assert f"`{check}`" in doc, check
    assert "docs/endpoint.md" in (REPO / "README.md").read_text()


def test_public_surface_resolves_lazily() -> None:
    """Every name in `beacon.endpoint.__all__` exists; registering the CLI imports none of
    the library (every `beacon` command would pay for it)."""
    code = (
        "import sys; from beacon.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('beacon.endpoint.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "['beacon.endpoint.cli']"
    import beacon.endpoint

    for name in beacon.endpoint.__all__:
        assert getattr(beacon.endpoint, name) is not None
