"""Agent Beacon: local-first telemetry collector and log shipper for AI coding agents."""

from beacon._version import __version__

__all__ = ["__version__"]
