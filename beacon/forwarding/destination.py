"""What a destination is, as data: the renderers and the pack builder read only this.

Adding a destination means adding one module under `beacon.forwarding.destinations` that
builds a `Destination`; no renderer changes unless it needs a new shipper capability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from beacon.forwarding.dialect import SqlDialect

from beacon.logfiles import names

Stream = Literal["runtime", "inventory", "malformed"]
"""`runtime` and `inventory` are Beacon's two files; `malformed` carries lines that did not "
"parse."""

EVENT_STREAMS: tuple[Stream, ...] = ("runtime", "inventory")
SYSTEM_LOG_DIR = Path(names.SYSTEM_LOG_DIR)
USER_LOG_DIR_SUFFIX = Path(names.DEFAULT_LOG_DIR.removeprefix("~/"))
STREAM_FILES: dict[str, str] = names.STREAM_FILES

SHIPPERS: tuple[str, ...] = ("vector", "filebeat", "datadog-agent", "sql")
"""`sql` is not a shipper but a query pack: tables and queries over the shipped objects."""


@dataclass(frozen=True)
class PackOptions:
    """Choices of one `beacon forward generate` run; everything a renderer may depend on."""

    log_dir: Path = SYSTEM_LOG_DIR
    prefix: str = "beacon"
    streams: tuple[Stream, ...] = EVENT_STREAMS
    system: bool = True
    data_root: str | None = None
    """DuckDB only: the directory the views read; None keeps a `${BEACON_DATA_ROOT}` parameter."""

    def log_file(self, stream: str) -> Path:
        """The active file of `stream` in the log dir."""
        return self.log_dir / STREAM_FILES[stream]


@dataclass(frozen=True)
class EnvVar:
    """An environment variable a generated file reads; secrets are never written literally."""

    name: str
    description: str
    secret: bool = False
    default: str | None = None

    @property
    def ref(self) -> str:
        """The `${NAME}` (or `${NAME:-default}`) reference shippers interpolate at start-up."""
        return f"${{{self.name}:-{self.default}}}" if self.default else f"${{{self.name}}}"


VectorSink = Callable[[Stream, PackOptions], dict[str, Any]]
"""Builds the Vector sink (without `inputs`, `buffer`, `acknowledgements`) for one stream."""


@dataclass(frozen=True)
class FilebeatOutput:
    """One Filebeat output (`output.<kind>`), named by `variant` when a pack ships several."""

    variant: str
    kind: Literal["elasticsearch", "logstash", "kafka"]
    build: Callable[[PackOptions], dict[str, Any]]


@dataclass(frozen=True)
class Destination:
    """A place Beacon's streams can be forwarded to and how each supported shipper gets there."""

    name: str
    title: str
    summary: str
    env: tuple[EnvVar, ...]
    destination_setup: Callable[[PackOptions], str]
    smoke_test: Callable[[PackOptions], str]
    vector_sink: VectorSink | None = None
    vector_enrich: Callable[[Stream], str] | None = None
    filebeat_outputs: tuple[FilebeatOutput, ...] = ()
    datadog_agent: bool = False
    sql_dialect: SqlDialect | None = None
    extra_files: Callable[[PackOptions], dict[str, str]] = lambda _o: {}
    object_store: bool = False
    notes: str = ""

    @property
    def shippers(self) -> tuple[str, ...]:
        """Supported shippers, in the order `generate` picks a default."""
        supported = {
            "vector": self.vector_sink is not None,
            "filebeat": bool(self.filebeat_outputs),
            "datadog-agent": self.datadog_agent,
            "sql": self.sql_dialect is not None,
        }
        return tuple(name for name in SHIPPERS if supported[name])
