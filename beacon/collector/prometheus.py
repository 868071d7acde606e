"""Prometheus text exposition (format 0.0.4): metric families in, `/metrics` text out.

Shared by the collector's and the shipper's `/metrics`, so both follow the same format
rules (HELP/TYPE lines, label escaping, integer and float rendering).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Family:
    """One metric family: name, type (counter, gauge, summary), help and its samples.

    A sample is (labels, value); a summary's samples carry the suffix (`_sum`, `_count`)
    in place of labels.
    """

    name: str
    kind: str
    help: str
    samples: list[tuple[str, float]] = field(default_factory=list)


def labels(**values: str) -> str:
    """`{key="value",…}` with Prometheus escaping (backslash, quote, newline)."""
    inner = ",".join(f'{key}="{escape(value)}"' for key, value in values.items())
    return "{" + inner + "}" if inner else ""


def escape(value: str) -> str:
    """A label value escaped for the text format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def by_label(name: str, counts: Mapping[str, float], empty: str = "") -> list[tuple[str, float]]:
    """Samples of a counter split by one label, in label order; one zero sample if none."""
    samples = [(labels(**{name: key}), value) for key, value in sorted(counts.items())]
    if not samples and empty:
        samples = [(labels(**{name: empty}), 0)]
    return samples


def render(families: Iterable[Family]) -> str:
    """The exposition text of `families`, newline-terminated."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample_labels, value in family.samples:
            lines.append(f"{family.name}{sample_labels} {_number(value)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))
