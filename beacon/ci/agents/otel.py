"""Any OpenTelemetry SDK program: the standard `OTEL_EXPORTER_OTLP_*` environment.

Its events count for validation whatever `harness.name` the collector gives them (the
program's `service.name`).
"""

from __future__ import annotations

from beacon.ci.agents.base import AgentEnv, Env, Target, otlp_sdk_env

NAME = "otel"
ALIASES = ("generic",)
RUNTIMES: tuple[str, ...] = ()
"""Empty: events of any harness count."""


def environment(target: Target, env: Env) -> AgentEnv:
    """OTLP/HTTP to the collector for logs, metrics and (unless the job chose) traces."""
    agent = otlp_sdk_env(target, env)
    agent.default(env, {"OTEL_TRACES_EXPORTER": "otlp"})
    return agent
