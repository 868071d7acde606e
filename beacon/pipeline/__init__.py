"""The processing pipeline: enrich, redact, truncate, dedupe, cap size — in that order.

Redaction runs before truncation so a secret straddling a cut cannot survive in part.
"""

from __future__ import annotations

from beacon.config import BeaconConfig
from beacon.pipeline.base import DropEvent, Pipeline, PipelineStats, Processor
from beacon.pipeline.dedupe import Dedupe
from beacon.pipeline.enrich import Enrich
from beacon.pipeline.redact import Redact, Redactor
from beacon.pipeline.sizecap import SizeCap
from beacon.pipeline.truncate import Truncate

__all__ = [
    "Dedupe",
    "DropEvent",
    "Enrich",
    "Pipeline",
    "PipelineStats",
    "Processor",
    "Redact",
    "Redactor",
    "SizeCap",
    "Truncate",
    "build_pipeline",
]


def build_pipeline(config: BeaconConfig) -> Pipeline:
    """The standard pipeline for `config`; its processors stay reachable for metrics."""
    processors: list[Processor] = [Enrich(config.endpoint.hostname, config.endpoint.origin)]
    if config.redaction.enabled:
        processors.append(Redact(Redactor(config.redaction.patterns, config.redaction.allowlist)))
    processors.append(Truncate(config.limits.field_bytes, config.limits.nested_field_bytes))
    if config.dedupe.enabled:
        processors.append(Dedupe(config.dedupe.window_seconds))
    processors.append(SizeCap(config.limits.max_event_bytes))
    return Pipeline(processors)
