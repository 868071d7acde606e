"""GitHub Copilot CLI: configured by environment only, so install prints MDM guidance.

Copilot CLI has no settings key for telemetry: it exports OTLP/HTTP (never gRPC) when
`COPILOT_OTEL_ENABLED=true` or an OTLP endpoint is in its environment (runtimes.md
§5.3). Beacon does not edit shell profiles; it prints the variables for an MDM profile
or the user's shell, and `check` reads the current environment.
"""

from __future__ import annotations

from beacon.endpoint.harnesses.base import (
    ENABLED,
    HOOKS_UNSUPPORTED,
    MISCONFIGURED,
    MISSING,
    FileEdit,
    HarnessState,
    on_path,
    reporter,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings


class Copilot:
    """GitHub Copilot CLI (`copilot`)."""

    name = "copilot"
    runtime = "copilot_cli"
    title = "GitHub Copilot CLI"
    supports_hooks = False

    def detected(self, layout: Layout) -> bool:
        return bool(on_path(layout, "copilot") or (layout.home / ".copilot").is_dir())

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        return []

    def variables(self, settings: EndpointSettings) -> dict[str, str]:
        """The environment Copilot CLI needs."""
        values = {
            "COPILOT_OTEL_ENABLED": "true",
            "COPILOT_OTEL_ENDPOINT": settings.http_endpoint,
        }
        if settings.full_content:
            values["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
        return values

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        raise AssertionError("Copilot CLI has no file to configure")

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        raise AssertionError("Copilot CLI has no file to configure")

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        env = layout.env
        state = reporter(self, None, HOOKS_UNSUPPORTED)
        endpoint = env.get("COPILOT_OTEL_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if env.get("COPILOT_OTEL_ENABLED", "").lower() != "true" and not endpoint:
            return state(MISSING, "COPILOT_OTEL_ENABLED not set in this environment")
        if (endpoint or "").rstrip("/") != settings.http_endpoint:
            return state(
                MISCONFIGURED, f"OTLP endpoint {endpoint!r} (expected {settings.http_endpoint!r})"
            )
        return state(ENABLED, f"env points to {endpoint}")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        exports = " ".join(f"{k}={v}" for k, v in self.variables(settings).items())
        return [
            "GitHub Copilot CLI is configured by environment only; Beacon does not edit shell "
            "profiles. Set these for every user session (MDM profile, /etc/environment or "
            f"your shell rc): {exports}",
        ]


HARNESS = Copilot()
