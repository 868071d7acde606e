"""`detect_runtimes`: the API `beacon endpoint discover` uses; version probes and telemetry
status variants of each runtime's config."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import Endpoint

from beacon.inventory.detect import DetectedRuntime, detect_runtimes, parse_version


def test_detects_from_path_and_config_with_versions(endpoint: Endpoint) -> None:
    """Executables on PATH give path and version; config files alone detect too."""
    found = {r.name: r for r in detect_runtimes(endpoint.home, endpoint.project, endpoint.env)}
    claude = found["claude_code"]
    assert isinstance(claude, DetectedRuntime)
    assert claude.executable_path == str(endpoint.bin / "claude")
    assert claude.version == "2.1.220"
    assert str(endpoint.home / ".claude.json") in claude.config_paths
    assert str(endpoint.project / ".mcp.json") in claude.config_paths
    assert (claude.telemetry, claude.hooks) == ("enabled", "installed")
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in claude.telemetry_detail
    assert found["cursor"].executable_path is None and found["cursor"].version is None


def test_nothing_installed_detects_nothing(empty_endpoint: Endpoint) -> None:
    """An empty home with no agents on PATH: an empty list."""
    for agent in empty_endpoint.bin.iterdir():
        agent.unlink()
    assert detect_runtimes(empty_endpoint.home, empty_endpoint.project, empty_endpoint.env) == []


def test_hanging_version_probe_is_killed_with_its_children(empty_endpoint: Endpoint) -> None:
    """A `--version` that hangs, and forks a child holding the pipe, yields None; the probe
    and its child are both killed (their process group), so nothing waits for them."""
    pids = empty_endpoint.root / "pids"
    empty_endpoint.fake_agent(
        "codex",
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{child.pid}} {{__import__(\"os\").getpid()}}')\n"
        "time.sleep(600)",
    )
    empty_endpoint.fake_agent("gemini", "sys.exit(3)")
    found = {
        r.name: r
        for r in detect_runtimes(
            empty_endpoint.home, empty_endpoint.project, empty_endpoint.env, version_timeout=1.0
        )
    }
    assert found["codex_cli"].version is None
    assert found["gemini_cli"].version is None  # non-zero exit
    assert found["claude_code"].version == "2.1.220"
    for pid in map(int, pids.read_text().split()):
        assert _gone(pid), f"process {pid} of the probe is still running"


def _gone(pid: int) -> bool:
    """Whether `pid` has exited (a reparented child may take a moment to be reaped)."""
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        except (FileNotFoundError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("2.1.220 (Claude Code)\n", "2.1.220"),
        ("codex-cli 0.142.4\n", "0.142.4"),
        ("1.96.2\nabc123def\nx64\n", "1.96.2"),
        ("GitHub Copilot CLI 0.0.339-beta.2\n", "0.0.339-beta.2"),
        ("no version here\n", None),
    ],
)
def test_parse_version(output: str, version: str | None) -> None:
    assert parse_version(output) == version


def _status(endpoint: Endpoint, name: str) -> tuple[str, str]:
    found = {r.name: r for r in detect_runtimes(endpoint.home, endpoint.project, endpoint.env)}
    return found[name].telemetry, found[name].telemetry_detail


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CLAUDE_ON = {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_LOGS_EXPORTER": "otlp"}


@pytest.mark.parametrize(
    ("env_block", "expected"),
    [
        ({}, "missing"),
        ({"CLAUDE_CODE_ENABLE_TELEMETRY": "0", "OTEL_LOGS_EXPORTER": "otlp"}, "disabled"),
        ({**CLAUDE_ON, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "enabled"),
        ({**CLAUDE_ON}, "misconfigured"),  # no protocol: Claude Code exports nothing
        (
            {
                **CLAUDE_ON,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.vendor.example:4318",
            },
            "misconfigured",
        ),
        (
            {**CLAUDE_ON, "OTEL_LOGS_EXPORTER": "console", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "misconfigured",
        ),
    ],
)
def test_claude_telemetry_status(
    empty_endpoint: Endpoint, env_block: dict[str, str], expected: str
) -> None:
    _write(empty_endpoint.home / ".claude" / "settings.json", json.dumps({"env": env_block}))
    assert _status(empty_endpoint, "claude_code")[0] == expected


def test_claude_managed_settings_win(empty_endpoint: Endpoint) -> None:
    """Managed settings override the user's: a user endpoint elsewhere is overridden."""
    user = {
        **CLAUDE_ON,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "https://x.example",
    }
    _write(empty_endpoint.home / ".claude" / "settings.json", json.dumps({"env": user}))
    managed = empty_endpoint.root / "system" / "etc" / "claude-code" / "managed-settings.json"
    _write(managed, json.dumps({"env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"}}))
    status, detail = _status(empty_endpoint, "claude_code")
    assert status == "enabled" and "managed-settings.json" in detail


def test_unparseable_settings_are_misconfigured(empty_endpoint: Endpoint) -> None:
    _write(empty_endpoint.home / ".claude" / "settings.json", "{not json")
    assert _status(empty_endpoint, "claude_code")[0] == "misconfigured"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('model = "o3"\n', "missing"),
        ('[otel]\nexporter = "none"\n', "disabled"),
        ('[otel]\nexporter = { otlp-grpc = { endpoint = "http://localhost:4317" } }\n', "enabled"),
        (
            '[otel]\nexporter = { otlp-http = { endpoint = "https://otel.example/v1/logs" } }\n',
            "misconfigured",
        ),
        (
            '[otel]\nmetrics_exporter = { otlp-http = { endpoint = "http://127.0.0.1:4318" } }\n',
            "misconfigured",
        ),
        ("[otel\n", "misconfigured"),
    ],
)
def test_codex_telemetry_status(empty_endpoint: Endpoint, toml: str, expected: str) -> None:
    _write(empty_endpoint.home / ".codex" / "config.toml", toml)
    assert _status(empty_endpoint, "codex_cli")[0] == expected


@pytest.mark.parametrize(
    ("telemetry", "expected"),
    [
        (None, "missing"),
        ({"enabled": False}, "disabled"),
        ({"enabled": True}, "enabled"),  # default endpoint is localhost:4317
        ({"enabled": True, "outfile": "/tmp/t.log"}, "misconfigured"),
        ({"enabled": True, "target": "gcp"}, "misconfigured"),
        ({"enabled": True, "otlpEndpoint": "http://10.0.0.5:4317"}, "misconfigured"),
    ],
)
def test_gemini_telemetry_status(
    empty_endpoint: Endpoint, telemetry: dict[str, object] | None, expected: str
) -> None:
    document = {} if telemetry is None else {"telemetry": telemetry}
    _write(empty_endpoint.home / ".gemini" / "settings.json", json.dumps(document))
    assert _status(empty_endpoint, "gemini_cli")[0] == expected


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ('{"editor.fontSize": 12,}', "missing"),
        ('{"github.copilot.chat.otel.enabled": false}', "disabled"),
        ('{"github": {"copilot": {"chat": {"otel": {"enabled": true}}}}}', "enabled"),
        (
            '{"github.copilot.chat.otel.enabled": true,'
            ' "github.copilot.chat.otel.exporterType": "file"}',
            "misconfigured",
        ),
    ],
)
def test_vscode_telemetry_status(empty_endpoint: Endpoint, settings: str, expected: str) -> None:
    _write(empty_endpoint.home / ".config" / "Code" / "User" / "settings.json", settings)
    assert _status(empty_endpoint, "vscode_copilot")[0] == expected


def test_macos_and_windows_paths(empty_endpoint: Endpoint) -> None:
    """VS Code's user folder is per OS: Application Support on macOS, %APPDATA% on Windows."""
    from beacon.inventory.scope import Scope
    from beacon.inventory.sources import vscode_copilot

    env = {**empty_endpoint.env, "APPDATA": "C:/Users/dev/AppData/Roaming"}
    mac = Scope.of(empty_endpoint.home, empty_endpoint.project, env, platform="darwin")
    win = Scope.of(empty_endpoint.home, empty_endpoint.project, env, platform="win32")
    mac_paths = {str(s.path) for s in vscode_copilot.config_sources(mac)}
    win_paths = {str(s.path) for s in vscode_copilot.config_sources(win)}
    assert (
        str(empty_endpoint.home / "Library/Application Support/Code/User/settings.json")
        in mac_paths
    )
    assert "C:/Users/dev/AppData/Roaming/Code/User/mcp.json" in win_paths
