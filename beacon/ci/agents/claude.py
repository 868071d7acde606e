"""Claude Code: telemetry switched on through its environment (runtimes.md §1.1).

The standard OTLP variables plus `CLAUDE_CODE_ENABLE_TELEMETRY`; a short log export
interval, prompts and tool details (redacted before writing) unless the job chose
otherwise.
"""

from __future__ import annotations

from beacon.ci.agents.base import AgentEnv, Env, Target, otlp_sdk_env

NAME = "claude"
ALIASES = ("claude_code", "claude-code")
RUNTIMES = ("claude_code",)


def environment(target: Target, env: Env) -> AgentEnv:
    """Logs and metrics over OTLP/HTTP protobuf to the collector."""
    agent = otlp_sdk_env(target, env)
    agent.values["CLAUDE_CODE_ENABLE_TELEMETRY"] = "1"
    agent.default(
        env,
        {
            "OTEL_LOGS_EXPORT_INTERVAL": "1000",
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
            "OTEL_LOG_USER_PROMPTS": "1",
            "OTEL_LOG_TOOL_DETAILS": "1",
        },
    )
    return agent
