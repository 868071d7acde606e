"""Agent environments per harness, and the temporary Codex home built from the user's own."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import tomlkit

from beacon.ci.agents import (
    UPLOAD_CREDENTIALS,
    Target,
    agent_environment,
    beacon_variables,
    claude,
    codex,
    gemini,
    otel,
    parse_harnesses,
    runtimes,
)
from beacon.errors import ConfigError, UsageError

USER_CONFIG = """\
# my Codex settings
model = "o4-mini"            # the model I want
model_provider = "corp"

[model_providers.corp]
name = "Corp proxy"
base_url = "https://llm.corp.example/v1"
env_key = "CORP_KEY"

[otel]
environment = "laptop"
exporter = { otlp-http = { endpoint = "https://otel.corp.example/v1/logs", protocol = "json" } }

[mcp_servers.docs]
command = "docs-mcp"   # keep me
"""


@pytest.fixture
def target(tmp_path: Path) -> Target:
    return Target("127.0.0.1:14317", "127.0.0.1:14318", tmp_path / "session")


def test_claude_environment_points_otlp_at_the_collector(target: Target) -> None:
    """Telemetry on, OTLP/HTTP protobuf to the collector, per-signal overrides and headers
    removed, short intervals unless the job chose its own."""
    env = {
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "https://vendor.example/v1/logs",
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret",
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "https://vendor.example",
    }
    agent = claude.environment(target, env)
    child = agent.apply(env)
    assert child["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert child["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:14318"
    assert child["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert child["OTEL_LOGS_EXPORTER"] == "otlp" and child["OTEL_METRICS_EXPORTER"] == "otlp"
    assert "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" not in child
    assert "OTEL_EXPORTER_OTLP_HEADERS" not in child
    assert child["OTEL_METRIC_EXPORT_INTERVAL"] == "60000"  # the job's choice stands
    assert child["OTEL_LOGS_EXPORT_INTERVAL"] == "1000"
    assert child["OTEL_BLRP_SCHEDULE_DELAY"] == "1000"


def test_claude_short_metric_interval_by_default(target: Target) -> None:
    """Without a choice, metrics export every 5 s (the 60 s default lost short sessions)."""
    assert claude.environment(target, {}).values["OTEL_METRIC_EXPORT_INTERVAL"] == "5000"


def test_gemini_and_generic_environments(target: Target) -> None:
    """Gemini over gRPC with its outfile removed; generic SDKs also export traces."""
    gem = gemini.environment(target, {}).apply({"GEMINI_TELEMETRY_OUTFILE": "/tmp/x"})
    assert gem["GEMINI_TELEMETRY_ENABLED"] == "true"
    assert gem["GEMINI_TELEMETRY_OTLP_ENDPOINT"] == "http://127.0.0.1:14317"
    assert gem["GEMINI_TELEMETRY_OTLP_PROTOCOL"] == "grpc"
    assert "GEMINI_TELEMETRY_OUTFILE" not in gem
    generic = otel.environment(target, {"OTEL_TRACES_EXPORTER": "none"}).apply({})
    assert "OTEL_TRACES_EXPORTER" not in generic  # the job said none: not overridden
    assert otel.environment(target, {}).values["OTEL_TRACES_EXPORTER"] == "otlp"


def test_harness_names_aliases_and_counting() -> None:
    """Aliases map to canonical names; `otel` counts any agent; unknown names fail."""
    assert parse_harnesses(["claude_code,codex-cli", "claude"]) == ("claude", "codex")
    assert parse_harnesses(None) == parse_harnesses("all") == ("claude", "codex", "gemini", "otel")
    assert runtimes(("claude", "codex")) == frozenset({"claude_code", "codex_cli"})
    assert runtimes(("claude", "otel")) is None
    with pytest.raises(UsageError, match="cursor"):
        parse_harnesses("claude,cursor")


def test_upload_credentials_are_kept_from_the_agent(tmp_path: Path) -> None:
    """With uploads on, cloud credentials and the OIDC token request never reach the agent."""
    env = dict.fromkeys(UPLOAD_CREDENTIALS, "secret") | {"PATH": "/bin"}
    strip = beacon_variables(
        tmp_path, tmp_path / "runtime.jsonl", tmp_path, "s", None, strip_credentials=True
    )
    keep = beacon_variables(
        tmp_path, tmp_path / "runtime.jsonl", tmp_path, "s", None, strip_credentials=False
    )
    assert not set(UPLOAD_CREDENTIALS) & set(strip.apply(env))
    assert set(UPLOAD_CREDENTIALS) <= set(keep.apply(env))


def _user_home(tmp_path: Path) -> Path:
    home = tmp_path / "home" / ".codex"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(USER_CONFIG)
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-user"}')
    (home / "AGENTS.md").write_text("Always run the tests.\n")
    (home / "sessions").mkdir()
    (home / "history.jsonl").write_text("")
    (home / "state_5.sqlite").write_bytes(b"db")
    return home


def test_codex_home_replaces_only_otel_and_leaves_the_user_file_alone(
    tmp_path: Path, target: Target
) -> None:
    """The temporary config is the user's, comments and all, with only `[otel]` replaced;
    auth is copied 0600, instructions linked, run state not linked; the user's files are
    byte for byte unchanged."""
    user = _user_home(tmp_path)
    before = {p.name: p.read_bytes() for p in user.iterdir() if p.is_file()}
    agent = codex.environment(target, {"HOME": str(tmp_path / "home")})
    home = target.base_dir / "codex-home"
    assert agent.values == {"CODEX_HOME": str(home)} and agent.codex_home == home

    written = (home / "config.toml").read_text()
    assert "# my Codex settings" in written and "# keep me" in written
    doc = tomlkit.parse(written)
    original = tomlkit.parse(USER_CONFIG)
    assert doc["otel"] == {
        "environment": "ci",
        "log_user_prompt": True,
        "exporter": {
            "otlp-http": {"endpoint": "http://127.0.0.1:14318/v1/logs", "protocol": "binary"}
        },
        "metrics_exporter": {
            "otlp-http": {"endpoint": "http://127.0.0.1:14318/v1/metrics", "protocol": "binary"}
        },
    }
    del doc["otel"], original["otel"]
    assert doc == original
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600

    auth = home / "auth.json"
    assert not auth.is_symlink() and auth.read_bytes() == before["auth.json"]
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    assert (home / "AGENTS.md").is_symlink()
    assert os.readlink(home / "AGENTS.md") == str(user / "AGENTS.md")
    for state in ("sessions", "history.jsonl", "state_5.sqlite"):
        assert not (home / state).exists()
    assert {p.name: p.read_bytes() for p in user.iterdir() if p.is_file()} == before


def test_codex_home_again_keeps_what_codex_wrote(tmp_path: Path, target: Target) -> None:
    """A second session in the same directory rewrites the config, keeps Codex's sessions."""
    _user_home(tmp_path)
    env = {"HOME": str(tmp_path / "home")}
    codex.environment(target, env)
    home = target.base_dir / "codex-home"
    (home / "sessions").mkdir()
    (home / "sessions" / "rollout.jsonl").write_text("{}\n")
    later = Target("127.0.0.1:1", "127.0.0.1:2", target.base_dir)
    codex.environment(later, env)
    assert (home / "sessions" / "rollout.jsonl").exists()
    assert "127.0.0.1:2/v1/logs" in (home / "config.toml").read_text()


def test_codex_home_source_is_codex_home_env(tmp_path: Path, target: Target) -> None:
    """`$CODEX_HOME` wins over `~/.codex`; no existing config gives just `[otel]`."""
    custom = tmp_path / "custom-codex"
    custom.mkdir()
    (custom / "config.toml").write_text('model = "custom"\n')
    codex.environment(target, {"HOME": str(tmp_path / "nohome"), "CODEX_HOME": str(custom)})
    assert (
        tomlkit.parse((target.base_dir / "codex-home" / "config.toml").read_text())["model"]
        == "custom"
    )
    fresh = Target("127.0.0.1:1", "127.0.0.1:2", tmp_path / "fresh")
    codex.environment(fresh, {"HOME": str(tmp_path / "nohome")})
    assert set(tomlkit.parse((fresh.base_dir / "codex-home" / "config.toml").read_text())) == {
        "otel"
    }


def test_broken_codex_config_fails_only_when_codex_was_asked_for(
    tmp_path: Path, target: Target
) -> None:
    """Invalid TOML names the file; with the default harness list Codex is skipped with a
    note and the other agents are still configured."""
    user = tmp_path / "home" / ".codex"
    user.mkdir(parents=True)
    (user / "config.toml").write_text("model = [unclosed\n")
    env = {"HOME": str(tmp_path / "home")}
    with pytest.raises(ConfigError, match=r"config\.toml"):
        agent_environment(("codex",), target, env, explicit=True)
    agent = agent_environment(parse_harnesses(None), target, env, explicit=False)
    assert "CODEX_HOME" not in agent.values
    assert agent.values["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert any("codex: not configured" in note for note in agent.notes)
