"""Rewrite every generated file in the repository from its source of truth.

    python scripts/regenerate.py            # all of them
    python scripts/regenerate.py schema     # beacon/schema/event.schema.json, docs/event-schema.md
    python scripts/regenerate.py config     # docs/configuration.md
    python scripts/regenerate.py forwarding # vector-configs/
    python scripts/regenerate.py scan       # docs/rule-fields.md

Tests regenerate each in memory and fail on any drift, so run this after changing the
schema model, a config key or a destination, and review the diff.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def schema() -> None:
    """The event JSON Schema and its Markdown reference, from `beacon.schema.model`."""
    from beacon.schema.model import json_schema, markdown_reference

    (ROOT / "beacon" / "schema" / "event.schema.json").write_text(
        json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8"
    )
    (ROOT / "docs" / "event-schema.md").write_text(markdown_reference(), encoding="utf-8")


def config() -> None:
    """`docs/configuration.md`, from the `beacon.config` dataclasses."""
    from beacon.config import markdown_reference

    (ROOT / "docs" / "configuration.md").write_text(markdown_reference(), encoding="utf-8")


def forwarding() -> None:
    """The checked-in `vector-configs/` tree, from the destination modules."""
    from beacon.forwarding.reference import write_reference

    write_reference(ROOT / "vector-configs")


def scan() -> None:
    """`docs/rule-fields.md`, the threat-rule field reference, from the schema model."""
    from beacon.scan.fields import markdown_reference

    (ROOT / "docs" / "rule-fields.md").write_text(markdown_reference(), encoding="utf-8")


GENERATORS: dict[str, Callable[[], None]] = {
    "schema": schema,
    "config": config,
    "forwarding": forwarding,
    "scan": scan,
}


def main(argv: list[str]) -> int:
    """Run the named generators (all when none is named)."""
    names = argv or list(GENERATORS)
    unknown = [name for name in names if name not in GENERATORS]
    if unknown:
        print(f"unknown: {', '.join(unknown)}; choose from {', '.join(GENERATORS)}")
        return 2
    for name in names:
        GENERATORS[name]()
        print(f"regenerated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
