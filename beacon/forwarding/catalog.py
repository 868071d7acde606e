"""The destination x shipper matrix, as data (`beacon forward list --json`) and as a table."""

from __future__ import annotations

from typing import Any

from beacon.forwarding.destination import SHIPPERS
from beacon.forwarding.destinations import DESTINATIONS


def catalog() -> dict[str, Any]:
    """Every destination with its supported shippers (first = default)."""
    return {
        "shippers": list(SHIPPERS),
        "destinations": [
            {
                "name": d.name,
                "title": d.title,
                "shippers": list(d.shippers),
                "default_shipper": d.shippers[0],
                "summary": d.summary,
            }
            for d in DESTINATIONS.values()
        ],
    }


def matrix_markdown() -> str:
    """The matrix as a Markdown table; `docs/forwarding.md` embeds exactly this text."""
    head = "| destination | " + " | ".join(f"`{s}`" for s in SHIPPERS) + " |\n"
    rule = "|---|" + "---|" * len(SHIPPERS) + "\n"
    rows = "".join(
        f"| `{d.name}` | "
        + " | ".join(
            ("**default**" if d.shippers[0] == s else "yes") if s in d.shippers else "—"
            for s in SHIPPERS
        )
        + " |\n"
        for d in DESTINATIONS.values()
    )
    return head + rule + rows


def matrix_text() -> str:
    """The matrix as a plain-text table for the terminal."""
    width = max(len(n) for n in DESTINATIONS) + 2
    cols = [max(len(s), 7) + 2 for s in SHIPPERS]
    lines = [
        "destination".ljust(width)
        + "".join(s.ljust(c) for s, c in zip(SHIPPERS, cols, strict=True))
    ]
    for d in DESTINATIONS.values():
        cells = [
            ("default" if d.shippers[0] == s else "yes") if s in d.shippers else "-"
            for s in SHIPPERS
        ]
        lines.append(
            d.name.ljust(width) + "".join(c.ljust(w) for c, w in zip(cells, cols, strict=True))
        )
    return "\n".join(line.rstrip() for line in lines) + "\n"
