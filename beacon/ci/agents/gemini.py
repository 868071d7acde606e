"""Gemini CLI: telemetry through its `GEMINI_TELEMETRY_*` overrides (runtimes.md §5.1)."""

from __future__ import annotations

from beacon.ci.agents.base import AgentEnv, Env, Target

NAME = "gemini"
ALIASES = ("gemini_cli", "gemini-cli")
RUNTIMES = ("gemini_cli",)


def environment(target: Target, env: Env) -> AgentEnv:
    """OTLP/gRPC to the collector; an outfile would bypass OTLP, so it is removed."""
    agent = AgentEnv(
        values={
            "GEMINI_TELEMETRY_ENABLED": "true",
            "GEMINI_TELEMETRY_TARGET": "local",
            "GEMINI_TELEMETRY_OTLP_ENDPOINT": target.grpc_url,
            "GEMINI_TELEMETRY_OTLP_PROTOCOL": "grpc",
        },
        unset={"GEMINI_TELEMETRY_OUTFILE"},
    )
    agent.default(env, {"GEMINI_TELEMETRY_LOG_PROMPTS": "true"})
    return agent
