"""Install and uninstall on a temporary home: keys, modes, rollback, dry run, idempotence."""

from __future__ import annotations

import json
import socket
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from endpoint_harness import ProcessControl, RecordingControl, no_serve, tree

from beacon.endpoint.harnesses import resolve
from beacon.endpoint.install import InstallRequest, install
from beacon.endpoint.layout import Layout
from beacon.endpoint.manifest import load_manifest
from beacon.endpoint.service import Service
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.status import gather
from beacon.endpoint.transaction import Transaction
from beacon.endpoint.uninstall import uninstall
from beacon.errors import ConfigError, EndpointError

CLAUDE = """{
    "model": "opus",
    "env": {
        "ANTHROPIC_API_KEY": "sk-ant-api03-SECRETSECRETSECRETSECRET",
        "OTEL_LOGS_EXPORTER": "console"
    },
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard"}]}
        ]
    }
}
"""
CODEX = """# my Codex settings
model = "o3"  # the good one
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp@1.2.3"]

[otel]  # sends to our old collector
environment = "prod"
exporter = { otlp-grpc = { endpoint = "http://collector.corp:4317" } }

[otel.trace_exporter.otlp-grpc]
endpoint = "http://collector.corp:4317"

[profiles.fast]
model = "o4-mini"
"""
GEMINI = '{"theme": "dark", "telemetry": {"enabled": false, "outfile": "/tmp/gemini.log"}}\n'
CURSOR = '{"version": 1, "hooks": {"stop": [{"command": "/opt/audit.sh"}]}}\n'
VSCODE = """// my VS Code settings
{
    "editor.fontSize": 14, // big
    /* a block comment */
    "files.autoSave": "afterDelay",
}
"""
FILE_HARNESSES = "claude,codex,gemini,cursor,vscode"


def seed_home(layout: Layout) -> dict[str, Path]:
    """Realistic pre-existing agent configs (0644, as editors leave them)."""
    home = layout.home
    files = {
        "claude": home / ".claude" / "settings.json",
        "codex": home / ".codex" / "config.toml",
        "gemini": home / ".gemini" / "settings.json",
        "cursor": home / ".cursor" / "hooks.json",
        "vscode": home / ".config" / "Code" / "User" / "settings.json",
    }
    for name, text in zip(files, (CLAUDE, CODEX, GEMINI, CURSOR, VSCODE), strict=True):
        files[name].parent.mkdir(parents=True, exist_ok=True)
        files[name].write_text(text)
        files[name].chmod(0o644)
    return files


def request(settings: EndpointSettings, names: str = FILE_HARNESSES, **kw: Any) -> InstallRequest:
    return InstallRequest(settings=settings, harnesses=resolve(names), **kw)


def events(settings: EndpointSettings) -> list[dict[str, Any]]:
    path = settings.log_dir / "runtime.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_install_writes_each_agents_keys_and_keeps_user_content(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """Every harness file holds Beacon's keys, the user's keys, comments and other tables; 0600."""
    service, control = recording
    files = seed_home(layout)
    result = install(request(settings, start=False), layout, service=service)

    claude = json.loads(files["claude"].read_text())
    assert claude["model"] == "opus"
    assert claude["env"]["ANTHROPIC_API_KEY"].startswith("sk-ant-")
    assert claude["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert claude["env"]["OTEL_LOGS_EXPORTER"] == "otlp"
    assert claude["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == settings.http_endpoint
    assert claude["env"]["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert claude["env"]["OTEL_LOG_USER_PROMPTS"] == claude["env"]["OTEL_LOG_TOOL_DETAILS"] == "1"
    assert claude["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == "/usr/local/bin/guard"
    assert files["claude"].read_text().startswith('{\n    "model"')  # the file's 4-space indent

    codex_text = files["codex"].read_text()
    assert codex_text.startswith('# my Codex settings\nmodel = "o3"  # the good one\n')
    assert "collector.corp" not in codex_text and "environment" not in codex_text
    codex = tomllib.loads(codex_text)
    assert codex["mcp_servers"]["docs"]["args"] == ["-y", "docs-mcp@1.2.3"]
    assert codex["profiles"]["fast"]["model"] == "o4-mini"
    assert codex["otel"] == {
        "log_user_prompt": True,
        "exporter": {
            "otlp-http": {"endpoint": f"{settings.http_endpoint}/v1/logs", "protocol": "binary"}
        },
        "metrics_exporter": {
            "otlp-http": {"endpoint": f"{settings.http_endpoint}/v1/metrics", "protocol": "binary"}
        },
    }
    assert codex_text.index("[otel]") < codex_text.index("[profiles.fast]")  # replaced in place

    gemini = json.loads(files["gemini"].read_text())
    assert gemini["theme"] == "dark" and "outfile" not in gemini["telemetry"]
    assert gemini["telemetry"]["otlpEndpoint"] == settings.grpc_endpoint
    assert gemini["telemetry"]["enabled"] is True

    cursor = json.loads(files["cursor"].read_text())
    assert cursor["hooks"]["stop"][0] == {"command": "/opt/audit.sh"}
    assert "--platform cursor" in cursor["hooks"]["stop"][1]["command"]
    assert set(cursor["hooks"]) >= {"sessionStart", "beforeSubmitPrompt", "afterShellExecution"}

    vscode = files["vscode"].read_text()
    assert vscode.startswith("// my VS Code settings\n{")
    assert '"editor.fontSize": 14, // big' in vscode and "/* a block comment */" in vscode
    assert f'"github.copilot.chat.otel.otlpEndpoint": "{settings.http_endpoint}",' in vscode
    import pyjson5

    assert pyjson5.decode(vscode)["github.copilot.chat.otel.enabled"] is True

    for path in files.values():
        assert path.stat().st_mode & 0o777 == 0o600, path
    unit = service.unit_path.read_text()
    assert f"--otlp-http 127.0.0.1:{settings.http_port}" in unit
    assert layout.manifest_path.stat().st_mode & 0o777 == 0o600
    assert control.calls == ["state"]  # --no-start: nothing started
    assert "systemctl --user enable --now beacon-collector.service" in "\n".join(result.lines)
    enabled = [e for e in events(settings) if e["event"]["action"] == "telemetry.enabled"]
    assert len(enabled) == 1 and enabled[0]["harness"]["name"] == "endpoint"
    assert enabled[0]["raw"]["install"]["harnesses"] == [
        "claude_code",
        "codex_cli",
        "gemini_cli",
        "cursor",
        "vscode_copilot",
    ]


def test_uninstall_leaves_the_home_byte_identical(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """Install then uninstall: every file, mode and directory is as it was; logs are gone."""
    service, control = recording
    seed_home(layout)
    before = tree(layout.home)
    install(request(settings, start=False), layout, service=service)
    assert tree(layout.home) != before
    for name in (
        "runtime.jsonl.1",
        "runtime.jsonl.5",
        "runtime.jsonl.lock",
        "inventory_state.jsonl",
    ):
        (settings.log_dir / name).write_text("{}\n")  # rotated archives hold prompts too
    result = uninstall(layout, service=service)
    assert result.problems == []
    assert tree(layout.home) == before
    assert not (layout.home / ".beacon").exists()
    assert "reload" in control.calls  # the removed unit is forgotten


def test_uninstall_on_an_empty_home_removes_every_created_file_and_dir(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """Files and directories install created (agent dirs, unit dir, state, logs) all go."""
    service, _ = recording
    install(request(settings, start=False), layout, service=service)
    assert (layout.home / ".codex" / "config.toml").exists()
    uninstall(layout, service=service)
    assert tree(layout.home) == {}


def test_second_install_changes_nothing(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """The same install twice: no file, mode, manifest or log byte changes the second time."""
    service, _ = recording
    seed_home(layout)
    install(request(replace(settings, hooks=True), start=False), layout, service=service)
    first = tree(layout.home)
    again = install(request(replace(settings, hooks=True), start=False), layout, service=service)
    assert again.changed == []
    assert "Already installed: nothing to change." in again.lines
    assert tree(layout.home) == first
    claude = json.loads((layout.home / ".claude" / "settings.json").read_text())
    assert len(claude["hooks"]["SessionStart"]) == 1  # Beacon's groups not duplicated


def test_dry_run_prints_redacted_diffs_and_changes_nothing(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """`--dry-run` shows files, diffs (secrets redacted) and commands; the home is untouched."""
    service, control = recording
    seed_home(layout)
    before = tree(layout.home)
    result = install(request(settings, dry_run=True), layout, service=service)
    text = "\n".join(result.lines)
    assert tree(layout.home) == before
    assert f"would modify {layout.home}/.codex/config.toml" in text
    assert "+[otel.exporter.otlp-http]" in text
    assert f"would create {service.unit_path}" in text
    assert "would run: systemctl --user enable --now beacon-collector.service" in text
    assert "SECRETSECRET" not in text  # the API key sits next to a changed line
    assert "reload" not in control.calls and "start" not in control.calls


def test_a_write_failing_midway_restores_every_file(
    layout: Layout,
    settings: EndpointSettings,
    recording: tuple[Service, RecordingControl],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The third file write fails: the two written files and the created dirs are undone."""
    service, _ = recording
    seed_home(layout)
    before = tree(layout.home)
    real_write = Transaction.write
    calls = {"n": 0}

    def flaky(self: Transaction, path: Path, data: bytes, mode: int = 0o600, **kw: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device (injected)")
        return real_write(self, path, data, mode, **kw)

    monkeypatch.setattr(Transaction, "write", flaky)
    with pytest.raises(EndpointError, match=r"rolled back.*No space left"):
        install(request(settings, start=False), layout, service=service)
    assert calls["n"] == 3
    assert tree(layout.home) == before


def test_a_service_that_fails_to_start_rolls_back_files_and_service(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """`systemctl start` fails: files restored, unit removed, manager reloaded, unit stopped."""
    service, control = recording
    control.fail_on = "start"
    seed_home(layout)
    before = tree(layout.home)
    with pytest.raises(EndpointError, match="start failed"):
        install(request(settings), layout, service=service)
    assert tree(layout.home) == before
    assert control.calls == ["state", "reload", "start", "reload", "stop"]


def test_a_collector_that_never_gets_healthy_rolls_back_and_restarts_the_old_one(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """The service was running before; the new one never answers /healthz: all restored and
    the previous service started again."""
    service, control = recording
    control.running = control.loaded = True
    seed_home(layout)
    before = tree(layout.home)
    with pytest.raises(EndpointError, match="did not answer /healthz"):
        install(
            request(settings),
            layout,
            service=service,
            probe=no_serve,
            ready_timeout=0.05,
            sleep=lambda _: None,
        )  # type: ignore[arg-type]
    assert tree(layout.home) == before
    assert control.calls[-2:] == ["reload", "restart"]


def test_a_config_beacon_cannot_parse_stops_before_any_change(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """Broken TOML: ConfigError naming the file, and the home is untouched."""
    service, _ = recording
    files = seed_home(layout)
    files["codex"].write_text('model = "o3\n[broken')
    before = tree(layout.home)
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML"):
        install(request(settings, start=False), layout, service=service)
    assert tree(layout.home) == before


def test_uninstall_after_user_edits_removes_only_beacons_keys(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """Files edited after install keep the edits; Beacon's keys go, originals come back."""
    service, _ = recording
    files = seed_home(layout)
    install(request(replace(settings, hooks=True), start=False), layout, service=service)
    claude = json.loads(files["claude"].read_text())
    claude["permissions"] = {"allow": ["Bash(ls)"]}
    files["claude"].write_text(json.dumps(claude, indent=2))
    files["codex"].write_text(
        files["codex"].read_text() + "\n# added later\n[tools]\nweb_search = true\n"
    )
    vscode = (
        files["vscode"]
        .read_text()
        .replace('"files.autoSave"', '"editor.tabSize": 2,\n    "files.autoSave"')
    )
    files["vscode"].write_text(vscode)

    result = uninstall(layout, service=service)
    assert result.problems == []
    claude = json.loads(files["claude"].read_text())
    assert claude["permissions"] == {"allow": ["Bash(ls)"]}
    assert claude["env"] == {
        "ANTHROPIC_API_KEY": "sk-ant-api03-SECRETSECRETSECRETSECRET",
        "OTEL_LOGS_EXPORTER": "console",  # the user's value is back
    }
    assert claude["hooks"] == {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard"}]}
        ]
    }
    codex_text = files["codex"].read_text()
    codex = tomllib.loads(codex_text)
    assert codex["tools"] == {"web_search": True}
    assert codex["otel"]["exporter"] == {"otlp-grpc": {"endpoint": "http://collector.corp:4317"}}
    assert codex["otel"]["trace_exporter"] == {
        "otlp-grpc": {"endpoint": "http://collector.corp:4317"}
    }
    assert "# my Codex settings" in codex_text and "# added later" in codex_text
    vscode_after = files["vscode"].read_text()
    assert vscode_after == VSCODE.replace(
        '"files.autoSave"', '"editor.tabSize": 2,\n    "files.autoSave"'
    )
    assert files["gemini"].read_text() == GEMINI  # untouched since install: byte-identical


def test_keep_logs_and_keep_config(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """`--keep-logs` keeps the log (with a telemetry.disabled event); `--keep-config` keeps
    the agents' settings; the service and manifest go either way."""
    service, _ = recording
    files = seed_home(layout)
    install(request(settings, "claude", start=False), layout, service=service)
    configured = files["claude"].read_bytes()
    uninstall(layout, service=service, keep_logs=True, keep_config=True)
    assert files["claude"].read_bytes() == configured
    actions = [e["event"]["action"] for e in events(settings)]
    assert actions == ["telemetry.enabled", "telemetry.disabled"]
    assert not service.unit_path.exists() and not layout.manifest_path.exists()


def test_uninstall_without_install_is_a_no_op(layout: Layout) -> None:
    """No manifest: uninstall says so and changes nothing."""
    result = uninstall(layout, service=None)
    assert not result.installed and result.problems == []
    assert "Nothing to uninstall" in result.lines[0]


def test_install_refuses_ports_held_by_another_program(
    layout: Layout, settings: EndpointSettings, recording: tuple[Service, RecordingControl]
) -> None:
    """A non-Beacon listener on the HTTP port: a clear error, nothing changed."""
    service, _ = recording
    seed_home(layout)
    before = tree(layout.home)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", settings.http_port))
        busy.listen()
        with pytest.raises(EndpointError, match=f"127.0.0.1:{settings.http_port} in use"):
            install(request(settings), layout, service=service)
    assert tree(layout.home) == before


def test_install_with_a_real_collector_then_status_then_uninstall(
    layout: Layout, settings: EndpointSettings, process_service: tuple[Service, ProcessControl]
) -> None:
    """The unit's command line really runs: healthy within the deadline, status agrees,
    uninstall stops it and deletes the logs."""
    service, control = process_service
    result = install(request(settings, "claude,codex"), layout, service=service)
    assert control.calls == ["reload", "start"]
    assert result.health is not None and result.health.ok
    assert result.health.writes_to(settings.log_dir)
    snap = gather(layout, service=service)
    assert snap.service_state is not None and snap.service_state.running
    assert snap.health.ok and snap.grpc_open and snap.runtime_log["warning"] is None
    assert snap.last_event is not None and snap.last_event["action"] == "telemetry.enabled"
    assert {h["name"]: h["telemetry"] for h in snap.harnesses} == {
        "claude": "enabled",
        "codex": "enabled",
    }
    # A re-install with the same settings keeps the running collector.
    again = install(request(settings, "claude,codex"), layout, service=service)
    assert again.changed == [] and control.calls == ["reload", "start"]
    uninstall(layout, service=service)
    assert control.process is None
    assert not (settings.log_dir / "runtime.jsonl").exists()


def test_system_mode_under_a_test_root(
    tmp_path: Path, recording: tuple[Service, RecordingControl]
) -> None:
    """`--system`: system unit and state/log dirs under the root, writer mode system; undone."""
    root, home = tmp_path / "root", tmp_path / "sysuser"
    root.mkdir()
    home.mkdir()
    layout = Layout.detect(
        system=True, env={"HOME": str(home), "PATH": ""}, root=root, platform="linux"
    )
    from beacon.endpoint.service.systemd import systemd_service

    service = replace(systemd_service(layout), control=recording[1])
    settings = EndpointSettings(log_dir=layout.default_log_dir)
    before_root, before_home = tree(root), tree(home)
    install(InstallRequest(settings, resolve("claude"), start=False), layout, service=service)
    assert service.unit_path == root / "etc/systemd/system/beacon-collector.service"
    unit = service.unit_path.read_text()
    assert f"--config {root}/var/lib/beacon-agent/beacon.toml" in unit
    assert "WantedBy=multi-user.target" in unit
    assert (root / "var/log/beacon-agent").stat().st_mode & 0o777 == 0o750
    assert tomllib.loads((root / "var/lib/beacon-agent/beacon.toml").read_text()) == {
        "writer": {"mode": "system"}
    }
    log = root / "var/log/beacon-agent/runtime.jsonl"
    assert log.stat().st_mode & 0o777 == 0o640
    manifest = load_manifest(root / "var/lib/beacon-agent/install-manifest.json")
    assert manifest is not None and manifest.mode == "system"
    uninstall(layout, service=service)
    assert tree(root) == before_root and tree(home) == before_home


def test_two_installs_in_one_second_keep_the_users_original_backups(
    layout: Layout,
    settings: EndpointSettings,
    recording: tuple[Service, RecordingControl],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second install with new ports in the same second backs files up under new names:
    the first one's backups (the user's originals, named by the manifest) survive, and
    uninstall restores the home byte for byte."""
    service, _ = recording
    seed_home(layout)
    before = tree(layout.home)
    monkeypatch.setattr("beacon.endpoint.transaction.time.strftime", lambda *a: "20260101T000000Z")
    install(request(settings, start=False), layout, service=service)
    moved = replace(settings, grpc_port=settings.grpc_port + 1, http_port=settings.http_port + 1)
    install(request(moved, start=False), layout, service=service)
    result = uninstall(layout, service=service)
    assert result.problems == []
    assert tree(layout.home) == before
