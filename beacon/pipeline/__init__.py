"""The processing pipeline: enrich, redact, truncate, dedupe, cap size — in that order.

Redaction runs before truncation so a secret straddling a cut cannot survive in part.
"""

from __future__ import annotations

from beacon.config import BeaconConfig
from beacon.pipeline.base import DropEvent, Pipeline, PipelineStats, Processor, Serialized
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
    "Serialized",
    "SizeCap",
    "Truncate",
    "build_pipeline",
]


def build_pipeline(config: BeaconConfig) -> Pipeline:
    """The standard pipeline for `config`; its processors stay reachable for metrics."""
    serialized = Serialized()  # measured once per event, shared by the measuring processors
    processors: list[Processor] = [Enrich(config.endpoint.hostname, config.endpoint.origin)]
    if config.redaction.enabled:
        redactor = Redactor(config.redaction.patterns, config.redaction.allowlist)
        processors.append(Redact(redactor, serialized))
    limits = config.limits
    processors.append(Truncate(limits.field_bytes, limits.nested_field_bytes, serialized))
    if config.dedupe.enabled:
        processors.append(Dedupe(config.dedupe.window_seconds, serialized=serialized))
    processors.append(SizeCap(limits.max_event_bytes, serialized))
    return Pipeline(processors, serialized)
