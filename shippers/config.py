"""Configuration of `beacon ship`: the `[ship]` TOML table, flags and env fallbacks.

Precedence is flag > environment variable > `--config` TOML > default. Credentials are
never read from TOML: they come only from env vars and SDK credential chains.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.errors import ConfigError
from beacon.logfiles.names import DEFAULT_LOG_DIR, STREAM_FILES

__all__ = [
    "SINKS",
    "STREAMS",
    "FileOptions",
    "GCSOptions",
    "HECOptions",
    "S3Options",
    "SentinelOptions",
    "ShipConfig",
    "build",
    "load_toml",
]

#: Stream name → file name in the log dir.
STREAMS: dict[str, str] = STREAM_FILES
SINKS = ("s3", "gcs", "splunk_hec", "sentinel", "file")

MiB = 1024 * 1024


@dataclass(frozen=True)
class S3Options:
    """Where S3 objects go; credentials come from the boto3 chain only."""

    bucket: str = ""
    prefix: str = "beacon"
    region: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class GCSOptions:
    """Where GCS objects go; credentials come from Application Default Credentials."""

    bucket: str = ""
    prefix: str = "beacon"
    project: str | None = None


@dataclass(frozen=True)
class FileOptions:
    """A local or mounted directory that receives the object layout (no credentials)."""

    root: str = ""
    group_readable: bool = False


@dataclass(frozen=True)
class HECOptions:
    """Splunk HTTP Event Collector target; the token comes from `BEACON_SPLUNK_HEC_TOKEN`."""

    url: str = ""
    index: str | None = None
    sourcetype: str = "beacon:endpoint"
    source: str | None = None
    ack: bool = False
    ack_timeout: float = 300.0
    max_request_bytes: int = 1_000_000
    verify_tls: bool = True


@dataclass(frozen=True)
class SentinelOptions:
    """Azure Monitor Logs Ingestion target (a DCE or DCR endpoint, a DCR and its streams)."""

    dce_endpoint: str = ""
    dcr_id: str = ""
    stream_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "runtime": "Custom-BeaconRuntime",
            "inventory": "Custom-BeaconInventory",
        }
    )
    scope: str = "https://monitor.azure.com/.default"
    max_request_bytes: int = 1_000_000


@dataclass(frozen=True)
class ShipConfig:
    """Everything one `beacon ship` process needs; built by `shippers.cli` or by callers."""

    sink: str
    log_dir: Path
    state_dir: Path
    streams: tuple[str, ...] = ("runtime", "inventory")
    host: str = field(default_factory=socket.gethostname)
    batch_max_bytes: int = 5 * MiB
    batch_max_age: float = 10.0
    max_line_bytes: int = 1 * MiB
    poll_interval: float = 0.2
    shutdown_deadline: float = 10.0
    compressor: str = "auto"
    compress_level: int | None = None
    retry_initial: float = 0.5
    retry_max: float = 60.0
    metrics_address: str | None = "127.0.0.1:9465"
    s3: S3Options = S3Options()
    gcs: GCSOptions = GCSOptions()
    splunk_hec: HECOptions = HECOptions()
    sentinel: SentinelOptions = SentinelOptions()
    file: FileOptions = FileOptions()

    def __post_init__(self) -> None:
        if self.sink not in SINKS:
            raise ConfigError(f"ship.sink: unknown sink {self.sink!r}; choose one of {SINKS}")
        for stream in self.streams:
            if stream not in STREAMS:
                raise ConfigError(f"ship.streams: unknown stream {stream!r}; use runtime,inventory")
        if self.batch_max_bytes < 1024:
            raise ConfigError("ship.batch_max_bytes must be at least 1024")
        if self.max_line_bytes < 256:
            raise ConfigError("ship.max_line_bytes must be at least 256")
        if self.batch_max_age <= 0 or self.poll_interval <= 0:
            raise ConfigError("ship.batch_max_age and ship.poll_interval must be positive")
        if self.compressor not in ("auto", "isal", "zlib"):
            raise ConfigError("ship.compressor must be auto, isal or zlib")


def load_toml(path: Path) -> dict[str, Any]:
    """The `[ship]` table of a TOML file (empty if absent); errors name the file."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"--config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: {exc}") from exc
    table = doc.get("ship", {})
    if not isinstance(table, dict):
        raise ConfigError(f"--config {path}: [ship] must be a table")
    for secret in ("token", "client_secret", "aws_secret_access_key", "password"):
        for sub in (table, *[v for v in table.values() if isinstance(v, dict)]):
            if secret in sub:
                raise ConfigError(
                    f"--config {path}: {secret!r} is not accepted in a file; "
                    "credentials come from env vars or the SDK credential chain"
                )
    return table


def env(name: str) -> str | None:
    """An environment variable, with empty treated as unset."""
    value = os.environ.get(name, "")
    return value or None


_TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "sink": str,
    "log_dir": str,
    "state_dir": str,
    "streams": list,
    "host": str,
    "batch_max_bytes": int,
    "batch_max_age": (int, float),
    "max_line_bytes": int,
    "poll_interval": (int, float),
    "shutdown_deadline": (int, float),
    "compressor": str,
    "compress_level": int,
    "retry_initial": (int, float),
    "retry_max": (int, float),
    "metrics_address": str,
}
_SINK_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "s3": {"bucket": str, "prefix": str, "region": str, "endpoint_url": str},
    "gcs": {"bucket": str, "prefix": str, "project": str},
    "file": {"root": str, "group_readable": bool},
    "splunk_hec": {
        "url": str,
        "index": str,
        "sourcetype": str,
        "source": str,
        "ack": bool,
        "ack_timeout": (int, float),
        "max_request_bytes": int,
        "verify_tls": bool,
    },
    "sentinel": {
        "dce_endpoint": str,
        "dcr_id": str,
        "stream_runtime": str,
        "stream_inventory": str,
        "scope": str,
        "max_request_bytes": int,
    },
}

#: Environment fallbacks: (table, key) → variable.
ENV_VARS: dict[tuple[str, str], str] = {
    ("ship", "sink"): "BEACON_SHIP_SINK",
    ("ship", "log_dir"): "BEACON_SHIP_LOG_DIR",
    ("ship", "state_dir"): "BEACON_SHIP_STATE_DIR",
    ("s3", "bucket"): "BEACON_S3_BUCKET",
    ("s3", "prefix"): "BEACON_S3_PREFIX",
    ("s3", "region"): "AWS_REGION",
    ("s3", "endpoint_url"): "AWS_ENDPOINT_URL",
    ("gcs", "bucket"): "BEACON_GCS_BUCKET",
    ("gcs", "prefix"): "BEACON_GCS_PREFIX",
    ("gcs", "project"): "GOOGLE_CLOUD_PROJECT",
    ("file", "root"): "BEACON_DATA_ROOT",
    ("splunk_hec", "url"): "BEACON_SPLUNK_HEC_URL",
    ("splunk_hec", "index"): "BEACON_SPLUNK_HEC_INDEX",
    ("sentinel", "dce_endpoint"): "BEACON_SENTINEL_DCE_ENDPOINT",
    ("sentinel", "dcr_id"): "BEACON_SENTINEL_DCR_ID",
}

DEFAULT_STATE_DIR = "~/.beacon/ship/{sink}"


def _check(table: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = {}
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(f"{where}.{key}: unknown key")
        if not isinstance(value, schema[key]) or (
            isinstance(value, bool) and schema[key] is not bool
        ):
            raise ConfigError(f"{where}.{key}: wrong type {type(value).__name__}")
        out[key] = value
    return out


def build(flags: Mapping[str, Any], table: Mapping[str, Any] | None = None) -> ShipConfig:
    """Merge flags (None = not given) over env vars over the `[ship]` TOML table."""
    table = dict(table or {})
    subtables = {name: table.pop(name, {}) for name in _SINK_KEYS}
    top = _check(table, _TOP_KEYS, "ship")
    subs = {n: _check(t, _SINK_KEYS[n], f"ship.{n}") for n, t in subtables.items()}

    def pick(section: str, key: str, flag: str | None = None) -> Any:
        value = flags.get(flag or key)
        if value is not None:
            return value
        var = ENV_VARS.get((section, key))
        if var and env(var) is not None:
            return env(var)
        return (top if section == "ship" else subs[section]).get(key)

    sink = (pick("ship", "sink") or "").replace("-", "_")
    if not sink:
        raise ConfigError("ship.sink: choose --sink s3|gcs|splunk-hec|sentinel|file")
    log_dir = Path(os.path.expanduser(pick("ship", "log_dir") or DEFAULT_LOG_DIR))
    state_dir = Path(
        os.path.expanduser(pick("ship", "state_dir") or DEFAULT_STATE_DIR.format(sink=sink))
    )
    streams = pick("ship", "streams") or ["runtime", "inventory"]
    if isinstance(streams, str):
        streams = [s.strip() for s in streams.split(",") if s.strip()]
    kwargs: dict[str, Any] = {
        k: v
        for k in (
            "host",
            "batch_max_bytes",
            "batch_max_age",
            "max_line_bytes",
            "poll_interval",
            "shutdown_deadline",
            "compressor",
            "compress_level",
            "retry_initial",
            "retry_max",
        )
        if (v := pick("ship", k)) is not None
    }
    metrics = pick("ship", "metrics_address")
    if metrics is not None:
        kwargs["metrics_address"] = None if metrics in ("", "off") else metrics

    s3 = S3Options(
        bucket=pick("s3", "bucket", "bucket") or "",
        prefix=pick("s3", "prefix", "prefix") or "beacon",
        region=pick("s3", "region", "region"),
        endpoint_url=pick("s3", "endpoint_url", "endpoint_url"),
    )
    gcs = GCSOptions(
        bucket=pick("gcs", "bucket", "bucket") or "",
        prefix=pick("gcs", "prefix", "prefix") or "beacon",
        project=pick("gcs", "project", "project"),
    )
    file = FileOptions(
        root=pick("file", "root", "root") or "",
        group_readable=bool(pick("file", "group_readable", "group_readable")),
    )
    hec_defaults = HECOptions()
    hec = HECOptions(
        url=pick("splunk_hec", "url", "hec_url") or "",
        index=pick("splunk_hec", "index", "index"),
        sourcetype=pick("splunk_hec", "sourcetype", "sourcetype") or hec_defaults.sourcetype,
        source=pick("splunk_hec", "source", "source"),
        ack=bool(pick("splunk_hec", "ack", "hec_ack")),
        ack_timeout=float(pick("splunk_hec", "ack_timeout") or hec_defaults.ack_timeout),
        max_request_bytes=int(
            pick("splunk_hec", "max_request_bytes") or hec_defaults.max_request_bytes
        ),
        verify_tls=pick("splunk_hec", "verify_tls") is not False,
    )
    sen_defaults = SentinelOptions()
    names = dict(sen_defaults.stream_names)
    for stream in STREAMS:
        override = flags.get(f"stream_name_{stream}") or subs["sentinel"].get(f"stream_{stream}")
        if override:
            names[stream] = override
    sentinel = SentinelOptions(
        dce_endpoint=pick("sentinel", "dce_endpoint", "dce_endpoint") or "",
        dcr_id=pick("sentinel", "dcr_id", "dcr_id") or "",
        stream_names=names,
        scope=pick("sentinel", "scope") or sen_defaults.scope,
        max_request_bytes=int(
            pick("sentinel", "max_request_bytes") or sen_defaults.max_request_bytes
        ),
    )
    return ShipConfig(
        sink=sink,
        log_dir=log_dir,
        state_dir=state_dir,
        streams=tuple(streams),
        s3=s3,
        gcs=gcs,
        splunk_hec=hec,
        sentinel=sentinel,
        file=file,
        **kwargs,
    )
