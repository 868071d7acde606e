"""Regenerate `event.schema.json` and `docs/event-schema.md` from the field model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from beacon.schema.model import json_schema, markdown_reference


def main() -> int:
    """Write both generated files; the repo root is taken from this file's location."""
    package_dir = Path(__file__).resolve().parent
    root = package_dir.parent.parent
    (package_dir / "event.schema.json").write_text(
        json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8"
    )
    (root / "docs" / "event-schema.md").write_text(markdown_reference(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
