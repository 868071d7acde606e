"""The processing pipeline: enrich, redact, truncate, dedupe, cap size — in that order.

Redaction runs before truncation so a secret straddling a cut cannot survive in part.
Names load on first use (PEP 562): `beacon-hooks` builds the local pipeline without
paying for the collector's processors or the configuration loader.
"""

from __future__ import annotations

from beacon import lazy_names

TYPE_CHECKING = False  # not `from typing`: the hook path imports this package
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

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
    "build_local_pipeline",
    "build_pipeline",
]

_HOMES = {
    "DropEvent": "base",
    "Pipeline": "base",
    "PipelineStats": "base",
    "Processor": "base",
    "Serialized": "base",
    "Dedupe": "dedupe",
    "Enrich": "enrich",
    "Redact": "redact",
    "Redactor": "redact",
    "SizeCap": "sizecap",
    "Truncate": "truncate",
}


__getattr__ = lazy_names(__name__, _HOMES)


def build_pipeline(
    config: BeaconConfig, *, context: Mapping[str, dict[str, Any]] | None = None
) -> Pipeline:
    """The collector's pipeline for `config`; its processors stay reachable for metrics.

    `context`: top-level objects stamped on every event that lacks them (CI run metadata).
    """
    from beacon.pipeline.base import Pipeline, Serialized
    from beacon.pipeline.dedupe import Dedupe
    from beacon.pipeline.enrich import Enrich
    from beacon.pipeline.redact import Redact, Redactor
    from beacon.pipeline.sizecap import SizeCap
    from beacon.pipeline.truncate import Truncate

    serialized = Serialized()  # measured once per event, shared by the measuring processors
    processors: list[Processor] = [
        Enrich(config.endpoint.hostname, config.endpoint.origin, context)
    ]
    if config.redaction.enabled:
        redactor = Redactor(config.redaction.patterns, config.redaction.allowlist)
        processors.append(Redact(redactor, serialized))
    limits = config.limits
    processors.append(Truncate(limits.field_bytes, limits.nested_field_bytes, serialized))
    if config.dedupe.enabled:
        processors.append(Dedupe(config.dedupe.window_seconds, serialized=serialized))
    processors.append(SizeCap(limits.max_event_bytes, serialized))
    return Pipeline(processors, serialized)


def build_local_pipeline(
    *,
    hostname: str = "",
    origin: str = "local",
    redact: bool = True,
    patterns: Sequence[str] = (),
    allowlist: Sequence[str] = (),
    field_bytes: int | None = None,
    nested_field_bytes: int | None = None,
    max_event_bytes: int | None = None,
) -> Pipeline:
    """The pipeline of a one-payload process (`beacon-hooks`, command-line producers).

    The standard processors minus dedupe (one process sees one payload), in their stdlib
    variant: regex redaction without the compiled prefilter and `json` serialization, so
    a hook does not pay for importing them. Limits left None take the processors' defaults
    (which `beacon.config` uses as its defaults too).
    """
    from beacon.pipeline.base import Pipeline, Serialized, stdlib_dumps
    from beacon.pipeline.enrich import Enrich
    from beacon.pipeline.redact import Redact, Redactor
    from beacon.pipeline.sizecap import MAX_EVENT_BYTES, SizeCap
    from beacon.pipeline.truncate import FIELD_BYTES, NESTED_FIELD_BYTES, Truncate

    serialized = Serialized(stdlib_dumps)
    processors: list[Processor] = [Enrich(hostname, origin)]
    if redact:
        redactor = Redactor(list(patterns), list(allowlist), prefilter=False)
        processors.append(Redact(redactor, serialized))
    processors.append(
        Truncate(field_bytes or FIELD_BYTES, nested_field_bytes or NESTED_FIELD_BYTES, serialized)
    )
    processors.append(SizeCap(max_event_bytes or MAX_EVENT_BYTES, serialized))
    return Pipeline(processors, serialized)
