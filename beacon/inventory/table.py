"""The text report of `beacon inventory`: one aligned table per section."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beacon.inventory.snapshot import Inventory

MAX_CELL = 60


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if len(text) > MAX_CELL:  # keep both ends of a path: the folder and the file name
        half = (MAX_CELL - 1) // 2
        text = text[:half] + "…" + text[-(MAX_CELL - 1 - half) :]
    return text


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Aligned columns with a header line; every cell on one line."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return lines


def _flags(server: dict[str, Any]) -> str:
    flags = [
        name
        for name, on in (
            ("unpinned", server.get("unpinned_package")),
            ("plain-http", server.get("plain_http_remote")),
            ("inline-secret", server.get("inline_secret")),
            ("disabled", server.get("disabled")),
        )
        if on
    ]
    return ",".join(flags)


def render(inventory: Inventory) -> str:
    """The whole report as text."""
    scope = inventory.user_scope
    counts = inventory.counts()
    out = [
        f"Inventory of {scope['home_path']} (project {scope['working_dir']})",
        f"digest {inventory.digest}  generated {inventory.generated_at}",
        "",
        f"Runtimes ({counts['runtimes']})",
    ]
    out += render_table(
        ("name", "version", "telemetry", "hooks", "executable"),
        [
            (r["name"], r["version"], r["telemetry"], r["hooks"], r["executable_path"])
            for r in inventory.runtimes
        ],
    )
    out += ["", f"Config files ({counts['configs']})"]
    out += render_table(
        ("runtime", "scope", "kind", "status", "servers", "path"),
        [
            (
                c["runtime"],
                c["scope"],
                c["config_kind"],
                c["parser_status"],
                c["mcp_server_count"],
                c["path"],
            )
            for c in inventory.configs
        ],
    )
    out += ["", f"MCP servers ({counts['mcp_servers']})"]
    out += render_table(
        ("runtime", "scope", "name", "transport", "command", "host", "flags"),
        [
            (
                s["runtime"],
                s["source_scope"],
                s["server_name"],
                s["transport"],
                s.get("command_name"),
                s.get("url_host"),
                _flags(s),
            )
            for s in inventory.mcp_servers
        ],
    )
    out += ["", f"Skills ({counts['skills']})"]
    out += render_table(
        ("runtime", "scope", "name", "status", "manifest"),
        [
            (
                k["runtime"],
                k["source_scope"],
                k["skill_name"],
                k["parser_status"],
                k["manifest_path"],
            )
            for k in inventory.skills
        ],
    )
    over = sum(r["skills_over_limit"] for r in inventory.skill_roots)
    if over:
        out.append(f"({over} more skills beyond the per-folder limit, counted not listed)")
    return "\n".join(out) + "\n"
