"""The events endpoint setup writes: telemetry enabled/disabled, agents detected, test events.

All of them go through `beacon.ingest.write_events` (the one ingest path: enrichment,
redaction, truncation, size cap, lock, rotation); nothing here writes a file itself.
Harness `endpoint` marks install/uninstall events, as upstream does.
"""

from __future__ import annotations

from typing import Any

from beacon.schema.event import Event, new_event

ENDPOINT_HARNESS = "endpoint"
TEST_HARNESS = "test_harness"


def telemetry_enabled(
    mode: str, harnesses: list[str], settings: dict[str, Any], service: str
) -> Event:
    """`telemetry.enabled`: install configured these harnesses to send to the collector."""
    names = ", ".join(harnesses) or "no harness"
    return new_event(
        "telemetry.enabled",
        harness=ENDPOINT_HARNESS,
        message=f"Beacon endpoint telemetry enabled ({mode} mode) for {names}",
        destination={"type": "local_jsonl", "mode": "file", "status": "configured"},
        raw={
            "install": {
                "mode": mode,
                "harnesses": harnesses,
                "service": service,
                "log_dir": settings["log_dir"],
                "otlp_grpc_port": settings["otlp_grpc_port"],
                "otlp_http_port": settings["otlp_http_port"],
                "hooks": settings["hooks"],
                "content": settings["content"],
            }
        },
    )


def telemetry_disabled(mode: str, harnesses: list[str]) -> Event:
    """`telemetry.disabled`: uninstall took Beacon out of these harnesses (kept logs only)."""
    return new_event(
        "telemetry.disabled",
        harness=ENDPOINT_HARNESS,
        message=f"Beacon endpoint telemetry disabled ({mode} mode) for {', '.join(harnesses)}",
        raw={"uninstall": {"mode": mode, "harnesses": harnesses}},
    )


def agent_detected(
    runtime: str,
    title: str,
    *,
    version: str | None,
    executable_path: str | None,
    config_path: str | None,
    details: dict[str, Any],
) -> Event:
    """`agent.detected`: discover found this agent runtime on the endpoint."""
    harness: dict[str, Any] = {"name": runtime}
    for key, value in (
        ("version", version),
        ("executable_path", executable_path),
        ("config_path", config_path),
    ):
        if value:
            harness[key] = value
    label = f"{title} {version}" if version else title
    event = new_event(
        "agent.detected",
        harness=runtime,
        message=f"Agent runtime detected: {label}",
        raw={"discover": details},
    )
    event["harness"] = harness
    return event


def validation(nonce: str) -> Event:
    """`endpoint.validation`: a synthetic event proving the pipeline writes to the log."""
    return new_event(
        "endpoint.validation",
        harness=TEST_HARNESS,
        message=f"Beacon endpoint test event {nonce}",
        destination={"type": "pipeline", "mode": "local_jsonl", "status": "configured"},
        raw={"test_event": {"nonce": nonce}},
    )
