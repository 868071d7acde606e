"""The one exception tree of Agent Beacon: expected failures users can act on.

Bugs raise ordinary Python exceptions; everything a user can fix (bad config, unusable
path, unsupported destination) is a `BeaconError` with a message naming what to fix.
"""

from __future__ import annotations


class BeaconError(Exception):
    """Base of every expected, user-facing failure; the CLI prints it without a traceback."""

    exit_code = 1


class ConfigError(BeaconError):
    """A configuration value is missing or invalid; the message names the key."""

    exit_code = 2


class UsageError(BeaconError):
    """The command line asks for something unsupported."""

    exit_code = 2


class StorageError(BeaconError):
    """A log or state path cannot be created, locked or written."""


class DecodeError(BeaconError, ValueError):
    """A received payload is not what its protocol promises (answered with 400, not retried)."""


class DeliveryError(BeaconError):
    """Sending a batch to a destination failed; subclasses say whether retrying can help."""


class RetryableError(DeliveryError):
    """A transient failure (408/429/5xx except 501, network); `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """A failure retrying cannot fix (other 4xx, bad credentials); stops the stream."""


class GaveUp(DeliveryError):
    """Retrying stopped because the shutdown deadline passed; the batch stays pending."""


class EndpointError(BeaconError):
    """Endpoint setup failed (a service would not start, a file could not be restored);
    the message says what was rolled back and what is left to do."""


class CIError(BeaconError):
    """CI mode could not do its part (collector start, state file, background process)."""
