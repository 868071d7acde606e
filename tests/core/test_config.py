"""beacon.toml: defaults, env overrides, clear errors naming the key, generated docs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from beacon.config import BeaconConfig, load_config, markdown_reference, with_log_dir
from beacon.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_upstream() -> None:
    """Without a file, defaults are upstream's: loopback ports, 10 MiB x 5, 64 KiB cap."""
    config = load_config(env={})
    assert config.collector.otlp_grpc == "127.0.0.1:4317"
    assert config.collector.otlp_http == "127.0.0.1:4318"
    assert (config.writer.rotate_bytes, config.writer.rotate_archives) == (10485760, 5)
    assert config.writer.fsync == "interval"
    assert config.limits.max_event_bytes == 65536
    assert config.redaction.enabled is True
    assert str(config.writer.log_path).endswith(".beacon/endpoint/logs")


def test_file_then_env_overrides(tmp_path: Path) -> None:
    """Values come from the file, and env vars win over the file."""
    path = tmp_path / "beacon.toml"
    path.write_text(
        '[writer]\nlog_dir = "/from/file"\nrotate_archives = 3\n[ship.s3]\nbucket = "b"\n'
    )
    config = load_config(path, env={"BEACON_FSYNC": "always"})
    assert config.writer.log_dir == "/from/file"
    assert config.writer.rotate_archives == 3
    assert config.writer.fsync == "always"
    env = {"BEACON_CONFIG": str(path), "BEACON_LOG_DIR": "/from/env"}
    assert load_config(env=env).writer.log_dir == "/from/env"


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ('[writer]\nrotate_bytes = "big"\n', {}, "writer.rotate_bytes"),
        ('[writer]\nfsync = "sometimes"\n', {}, "writer.fsync"),
        ("[writer]\nrotate_archive = 3\n", {}, "writer.rotate_archive"),
        ("[nonsense]\nx = 1\n", {}, "nonsense"),
        ("", {"BEACON_REDACT": "maybe"}, "BEACON_REDACT"),
        ("[limits]\nmax_event_bytes = -1\n", {}, "limits.max_event_bytes"),
        ("[writer\n", {}, "invalid TOML"),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, text: str, env: dict[str, str], named: str
) -> None:
    """A bad value stops loading with an error that names the key."""
    path = tmp_path / "beacon.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_config(path, env=env)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A config path that does not exist is reported, not ignored."""
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_with_log_dir_replaces_only_the_directory() -> None:
    """The CLI's --log-dir overrides the writer's directory and nothing else."""
    config = with_log_dir(load_config(env={}), "/x")
    assert config.writer.log_dir == "/x"
    assert config.writer.rotate_bytes == 10485760


def test_configuration_docs_are_generated_and_complete() -> None:
    """docs/configuration.md is the generated page and lists every key."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert text == markdown_reference()
    for table in fields(BeaconConfig):
        assert f"## `[{table.name}]`" in text
        for key in fields(
            table.type
            if isinstance(table.type, type)
            else type(getattr(BeaconConfig(), table.name))
        ):
            assert f"| `{key.name}` |" in text
