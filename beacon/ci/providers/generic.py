"""Any other CI system that sets `CI=true` (upstream's fallback: provider `ci`)."""

from __future__ import annotations

from beacon.ci.providers.base import Env, Fields, is_true

NAME = "ci"


def detect(env: Env) -> bool:
    """`CI` is set to a true value, as most CI systems do."""
    return is_true(env.get("CI", ""))


def metadata(env: Env) -> tuple[Fields, Fields]:
    """(`run`, `ci`): only the provider is known; CI machines are taken as ephemeral."""
    return {"provider": NAME, "ephemeral": True}, {}
