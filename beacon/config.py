"""`beacon.toml`: one TOML file configures the collector, pipeline and writer.

Every key has a default, a description and, where users expect one, an environment
override; `docs/configuration.md` is generated from these dataclasses, so it cannot drift.
A bad value raises `ConfigError` naming the key. Tables owned by other components
(`[ship]` for the shipper) are left to them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

from beacon.errors import ConfigError
from beacon.logfiles.names import (
    DEFAULT_LOG_DIR,
    DEFAULT_STATE_DIR,
    LOG_DIR_ENV,
    ROTATE_ARCHIVES,
    ROTATE_BYTES,
    STATE_DIR_ENV,
    SYSTEM_LOG_DIR,
    SYSTEM_STATE_DIR,
)
from beacon.pipeline.sizecap import MAX_EVENT_BYTES
from beacon.pipeline.truncate import FIELD_BYTES, NESTED_FIELD_BYTES

if TYPE_CHECKING:
    from beacon.logfiles.chain import ChainKey

__all__ = [
    "DEFAULT_LOG_DIR",
    "DEFAULT_STATE_DIR",
    "SYSTEM_LOG_DIR",
    "SYSTEM_STATE_DIR",
    "AuditConfig",
    "BeaconConfig",
    "CollectorConfig",
    "DedupeConfig",
    "EndpointConfig",
    "LimitsConfig",
    "RedactionConfig",
    "WriterConfig",
    "chain_key",
    "load_config",
    "markdown_reference",
    "state_dir",
    "with_log_dir",
]
CONFIG_ENV = "BEACON_CONFIG"
FOREIGN_TABLES = frozenset({"ship"})


def _key(default: Any, doc: str, env: str | None = None, choices: tuple[str, ...] = ()) -> Any:
    """A config key: its default, one-line description, env override and allowed values."""
    meta = {"doc": doc, "env": env, "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class CollectorConfig:
    """`[collector]`: the OTLP listeners of `beacon run`."""

    otlp_grpc: str = _key(
        "127.0.0.1:4317",
        "OTLP/gRPC listen address; port 0 picks a free port.",
        env="BEACON_OTLP_GRPC",
    )
    otlp_http: str = _key(
        "127.0.0.1:4318",
        "OTLP/HTTP (and HTTP hook) listen address; port 0 picks a free port.",
        env="BEACON_OTLP_HTTP",
    )
    allow_remote: bool = _key(False, "Allow binding a non-loopback address.")
    include_codex_spans: bool = _key(
        False, "Keep Codex CLI spans (dropped by default: hundreds per turn, little meaning)."
    )
    include_runtime_metrics: bool = _key(False, "Keep generic process/runtime metrics.")
    max_request_bytes: int = _key(
        16 * 1024 * 1024, "Largest accepted request body, as sent (compressed)."
    )
    max_decompressed_bytes: int = _key(
        64 * 1024 * 1024, "Largest accepted request body after decompression (gzip bombs get 413)."
    )


@dataclass(frozen=True)
class WriterConfig:
    """`[writer]`: where and how events are appended."""

    log_dir: str = _key(
        DEFAULT_LOG_DIR,
        "Directory of `runtime.jsonl` and `inventory_state.jsonl`.",
        env=LOG_DIR_ENV,
    )
    mode: str = _key(
        "user",
        "`user`: files 0600, dirs 0700. `system`: files 0640, dirs 0750, "
        "group-readable by `group`.",
        choices=("user", "system"),
    )
    group: str = _key("", "Group owning the log files in system mode (empty: unchanged).")
    rotate_bytes: int = _key(ROTATE_BYTES, "Rotate a file before it would exceed this size.")
    rotate_archives: int = _key(ROTATE_ARCHIVES, "Numbered archives kept (`.1` … `.N`).")
    fsync: str = _key(
        "interval",
        "When to fsync: `always` (every batch), `interval`, `never`.",
        env="BEACON_FSYNC",
        choices=("always", "interval", "never"),
    )
    fsync_interval: float = _key(1.0, 'Seconds between fsyncs with `fsync = "interval"`.')
    queue_events: int = _key(
        50_000, "Events the writer queue holds before producers get backpressure."
    )

    @property
    def log_path(self) -> Path:
        """The log directory with `~` expanded."""
        return Path(self.log_dir).expanduser()


@dataclass(frozen=True)
class RedactionConfig:
    """`[redaction]`: secret redaction, on by default."""

    enabled: bool = _key(
        True, "Redact secrets from every string before anything is written.", env="BEACON_REDACT"
    )
    patterns: list[str] = _key([], "Extra regular expressions to redact (whole match).")  # noqa: RUF009
    allowlist: list[str] = _key([], "Exact values never redacted (e.g. a test key).")  # noqa: RUF009


@dataclass(frozen=True)
class LimitsConfig:
    """`[limits]`: field truncation and the event size cap."""

    field_bytes: int = _key(
        FIELD_BYTES, "Limit for prompt, command, message and other top-level text."
    )
    nested_field_bytes: int = _key(
        NESTED_FIELD_BYTES, "Limit for strings inside `mcp`, `gen_ai` and `raw`."
    )
    max_event_bytes: int = _key(
        MAX_EVENT_BYTES, "Event size cap; larger events are degraded step by step, never dropped."
    )


@dataclass(frozen=True)
class EndpointConfig:
    """`[endpoint]`: who and where, added to every event."""

    hostname: str = _key("", "Host name to record (empty: the machine's).")
    origin: str = _key(
        "local", "Where agents run.", env="BEACON_ORIGIN", choices=("local", "cloud", "ci")
    )


@dataclass(frozen=True)
class DedupeConfig:
    """`[dedupe]`: collapse the same tool call seen on two paths (OTLP and hooks)."""

    enabled: bool = _key(True, "Mark a repeat of the same tool call as a duplicate.")
    window_seconds: float = _key(10.0, "How long a tool call is remembered.")


@dataclass(frozen=True)
class InventoryConfig:
    """`[inventory]`: what agents, configs, MCP servers and skills this endpoint has."""

    interval: int = _key(
        6 * 3600,
        "Seconds between inventory heartbeats of `beacon run` (one at start too); 0: none.",
        env="BEACON_INVENTORY_INTERVAL",
    )
    on_hook: bool = _key(
        True,
        "`beacon-hooks` starts a detached inventory run on `SessionStart` (TTL and back-off "
        "permitting).",
        env="BEACON_INVENTORY_ON_HOOK",
    )
    ttl: int = _key(
        6 * 3600,
        "A hook-triggered run is skipped while the last heartbeat is younger than this "
        "(seconds); `--force` ignores it.",
        env="BEACON_INVENTORY_TTL",
    )
    backoff: int = _key(
        300,
        "A hook-triggered run is skipped this many seconds after the last attempt, "
        "successful or not.",
    )
    version_timeout: float = _key(2.0, "Seconds `<agent> --version` may take before it is killed.")
    max_skills_per_root: int = _key(200, "Skills recorded per skill folder; the rest are counted.")
    max_file_bytes: int = _key(
        16 * 1024 * 1024, "Config and skill files larger than this are not hashed or parsed."
    )
    contents: bool = _key(
        False,
        "Add each config file's text to snapshots, secrets and every env, header and argument "
        "value redacted (as `--contents`).",
    )
    max_content_bytes: int = _key(
        2048, "Bytes of file text kept with contents on (capped at `limits.nested_field_bytes`)."
    )


@dataclass(frozen=True)
class AuditConfig:
    """`[audit]`: the hash chain that seals every line (docs/audit.md)."""

    key_file: str = _key(
        "",
        "Key file (64 hex digits, mode 0600) for keyed HMAC-SHA256 chains; empty: "
        "`audit.key` in the state directory when it exists, else plain SHA-256. "
        "`$BEACON_AUDIT_KEY` (the key itself, hex) overrides both.",
        env="BEACON_AUDIT_KEY_FILE",
    )


@dataclass(frozen=True)
class BeaconConfig:
    """The whole configuration; each attribute is one TOML table."""

    collector: CollectorConfig = field(default_factory=CollectorConfig)
    writer: WriterConfig = field(default_factory=WriterConfig)
    redaction: RedactionConfig = field(default_factory=RedactionConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    inventory: InventoryConfig = field(default_factory=InventoryConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)


def _coerce(key: str, value: Any, expected: Any) -> Any:
    """Check a TOML or env value against the field's type; raise naming the key."""
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
            return True
        if isinstance(value, str) and value.lower() in {"0", "false", "no", "off"}:
            return False
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    elif expected is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif expected is str and isinstance(value, str):
        return value
    elif (
        expected == list[str] and isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return list(value)
    raise ConfigError(f"{key}: expected {getattr(expected, '__name__', expected)}, got {value!r}")


def _build(cls: type[Any], table: Mapping[str, Any], env: Mapping[str, str], prefix: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for name in table:
        if name not in known:
            raise ConfigError(f"{prefix}{name}: unknown key (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = f"{prefix}{f.name}"
        if is_dataclass(hints[f.name]):
            sub = table.get(f.name, {})
            if not isinstance(sub, Mapping):
                raise ConfigError(f"{key}: expected a table")
            values[f.name] = _build(hints[f.name], sub, env, f"{key}.")
            continue
        raw: Any = table.get(f.name, MISSING)
        env_name = f.metadata.get("env")
        if env_name and env.get(env_name, "") != "":
            raw, key = env[env_name], f"{key} (from ${env_name})"
        if raw is MISSING:
            continue
        value = _coerce(key, raw, hints[f.name])
        choices = f.metadata.get("choices")
        if choices and value not in choices:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(choices)}")
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{key}: must not be negative, got {value!r}")
        values[f.name] = value
    return cls(**values)


def load_config(path: Path | None = None, *, env: Mapping[str, str] | None = None) -> BeaconConfig:
    """Read `path` (or `$BEACON_CONFIG`, or nothing) and apply env overrides over defaults."""
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    table: dict[str, Any] = {}
    if path is not None:
        try:
            table = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    ours = {k: v for k, v in table.items() if k not in FOREIGN_TABLES}
    config: BeaconConfig = _build(BeaconConfig, ours, env, "")
    if config.limits.field_bytes < 64 or config.limits.nested_field_bytes < 64:
        raise ConfigError("limits.field_bytes and limits.nested_field_bytes must be >= 64")
    if config.limits.max_event_bytes < 4096:
        raise ConfigError("limits.max_event_bytes must be >= 4096")
    return config


def state_dir(env: Mapping[str, str] | None = None, *, system: bool = False) -> Path:
    """Where Beacon keeps its own state (TTLs, manifests, indexes).

    `$BEACON_STATE_DIR`, else `/var/lib/beacon-agent` in system mode, else
    `~/.beacon/endpoint/state` under `$HOME`.
    """
    env = os.environ if env is None else env
    explicit = env.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if system:
        return Path(SYSTEM_STATE_DIR)
    home = env.get("HOME")
    base = Path(home) if home else Path("~").expanduser()
    return base / DEFAULT_STATE_DIR.removeprefix("~/")


def chain_key(config: BeaconConfig, env: Mapping[str, str] | None = None) -> ChainKey | None:
    """The key that seals (and verifies) the chain, or None for plain SHA-256.

    Raises `ConfigError` when a key is set but unusable (missing, readable by others, not
    hex): lines must never silently lose their key.
    """
    from beacon.logfiles.chain import resolve_key

    env = os.environ if env is None else env
    home_state = state_dir(env, system=config.writer.mode == "system")
    return resolve_key(config.audit.key_file, env, str(home_state))


def with_log_dir(config: BeaconConfig, log_dir: str | Path | None) -> BeaconConfig:
    """`config` with the writer's log directory replaced, when one is given."""
    if log_dir is None:
        return config
    return replace(config, writer=replace(config.writer, log_dir=str(log_dir)))


def markdown_reference() -> str:
    """`docs/configuration.md`, generated from the dataclasses above."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `python scripts/regenerate.py`; a test fails when this page drifts. -->",
        "",
        "Beacon reads one TOML file, `beacon.toml`, given by `--config PATH` or",
        f"`${CONFIG_ENV}`. Every key is optional; environment variables override the file.",
        "A bad value stops Beacon with an error naming the key. The `[ship]` table belongs to",
        "the shipper and is documented in [shipper.md](shipper.md).",
        "",
    ]
    for top in fields(BeaconConfig):
        cls = get_type_hints(BeaconConfig)[top.name]
        lines += [
            f"## `[{top.name}]`",
            "",
            _summary(cls),
            "",
            "| key | default | env | meaning |",
            "|---|---|---|---|",
        ]
        for f in fields(cls):
            factory = f.default_factory
            default: Any = factory() if callable(factory) else f.default
            shown = (
                repr(default).replace("'", '"').replace("True", "true").replace("False", "false")
            )
            env_name = f"`{f.metadata['env']}`" if f.metadata.get("env") else ""
            lines.append(f"| `{f.name}` | `{shown}` | {env_name} | {f.metadata['doc']} |")
        lines.append("")
    lines += ["## Example", "", "```toml", EXAMPLE.strip(), "```", ""]
    return "\n".join(lines)


def _summary(cls: type[Any]) -> str:
    """A table's docstring without its `[name]:` prefix, capitalised."""
    text = (cls.__doc__ or "").split(":", 1)[-1].strip()
    return text[:1].upper() + text[1:]


EXAMPLE = """
[writer]
log_dir = "~/.beacon/endpoint/logs"
rotate_bytes = 10485760
rotate_archives = 5
fsync = "interval"

[redaction]
patterns = ["corp-[0-9a-f]{32}"]
allowlist = ["test-key"]

[limits]
max_event_bytes = 65536

[inventory]
interval = 21600
ttl = 21600
"""
