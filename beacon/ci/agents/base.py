"""What configuring an agent for one CI job produces, and the OTLP environment they share.

Each harness module turns a `Target` (the temporary collector's addresses and the session
directory) into an `AgentEnv`: variables to set, variables to remove, and files it wrote.
Nothing here touches the user's own files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

Env = Mapping[str, str]

SIGNALS = ("LOGS", "METRICS", "TRACES")
PER_SIGNAL_OVERRIDES = tuple(
    f"OTEL_EXPORTER_OTLP_{signal}_{key}"
    for signal in SIGNALS
    for key in ("ENDPOINT", "PROTOCOL", "HEADERS")
)
"""Per-signal settings win over the generic ones, so they would send data elsewhere."""

SHORT_INTERVALS = {
    "OTEL_METRIC_EXPORT_INTERVAL": "5000",
    "OTEL_BLRP_SCHEDULE_DELAY": "1000",
    "OTEL_BSP_SCHEDULE_DELAY": "1000",
}
"""Export often: with the 60 s metric default a short job left only a racy shutdown flush
and captured nothing (upstream issue #320). Set only when the job did not choose."""


@dataclass(frozen=True)
class Target:
    """Where agents send telemetry (`host:port` of each listener) and may keep files."""

    grpc: str
    http: str
    base_dir: Path

    @property
    def http_url(self) -> str:
        """The OTLP/HTTP base URL (SDKs append `/v1/<signal>`)."""
        return f"http://{self.http}"

    @property
    def grpc_url(self) -> str:
        """The OTLP/gRPC URL."""
        return f"http://{self.grpc}"


@dataclass
class AgentEnv:
    """Changes to the agent's environment, files written for it, and notes for the report."""

    values: dict[str, str] = field(default_factory=dict)
    unset: set[str] = field(default_factory=set)
    codex_home: Path | None = None
    notes: list[str] = field(default_factory=list)

    def default(self, env: Env, values: Mapping[str, str]) -> None:
        """Set each of `values` unless the job set that variable itself."""
        for key, value in values.items():
            if not env.get(key) and key not in self.values:
                self.values[key] = value

    def merge(self, other: AgentEnv) -> None:
        """Add another harness's changes (its settings win over earlier ones)."""
        self.values.update(other.values)
        self.unset |= other.unset
        self.unset -= set(other.values)
        self.codex_home = other.codex_home or self.codex_home
        self.notes.extend(other.notes)

    def apply(self, env: Env) -> dict[str, str]:
        """`env` with these changes made: the agent's environment."""
        out = {key: value for key, value in env.items() if key not in self.unset}
        out.update(self.values)
        return out


def otlp_sdk_env(target: Target, env: Env) -> AgentEnv:
    """The standard `OTEL_*` variables any OpenTelemetry SDK honours: OTLP/HTTP protobuf
    to the collector, logs always exported, short export intervals."""
    agent = AgentEnv(
        values={
            "OTEL_EXPORTER_OTLP_ENDPOINT": target.http_url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_LOGS_EXPORTER": "otlp",
        },
        # The collector is on loopback and needs no headers; the job's may hold a vendor key.
        unset={*PER_SIGNAL_OVERRIDES, "OTEL_EXPORTER_OTLP_HEADERS"},
    )
    agent.default(env, {"OTEL_METRICS_EXPORTER": "otlp", **SHORT_INTERVALS})
    return agent
