"""The checked-in `vector-configs/` tree: every shipper config with default settings.

`python scripts/regenerate.py forwarding` rewrites it; a test regenerates it in memory
and fails on any drift, so the tree always matches what `beacon forward generate` writes.
"""

from __future__ import annotations

from pathlib import Path

from beacon.forwarding.destination import PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.pack import command_line
from beacon.forwarding.renderers import datadog_agent, filebeat, sql, vector

DEFAULTS = PackOptions()
"""System-mode log dir, prefix `beacon`, both streams: what a fleet deployment uses."""


def reference_files() -> dict[str, str]:
    """Relative path → content for the whole `vector-configs/` tree, README included."""
    files: dict[str, str] = {}
    rows: list[str] = []
    for dest in DESTINATIONS.values():
        if dest.vector_sink is not None:
            command = command_line(dest, "vector", DEFAULTS)
            files[f"{dest.name}.toml"] = vector.render_toml(dest, DEFAULTS, command)
            rows.append(f"| `{dest.name}.toml` | Vector | {dest.title} | {dest.summary} |")
        for output in dest.filebeat_outputs:
            command = command_line(dest, "filebeat", DEFAULTS)
            suffix = "" if output is dest.filebeat_outputs[0] else f"-{output.variant}"
            name = f"filebeat/{dest.name}{suffix}.yml"
            files[name] = filebeat.render_yaml(dest, output, DEFAULTS, command)
            rows.append(f"| `{name}` | Filebeat | {dest.title} | `output.{output.kind}` |")
        if dest.datadog_agent:
            command = command_line(dest, "datadog-agent", DEFAULTS)
            for rel, text in datadog_agent.render(dest, DEFAULTS, command).items():
                name = f"datadog-agent/{Path(rel).name}"
                files[name] = text
                rows.append(f"| `{name}` | Datadog Agent | {dest.title} | `{rel}` |")
        if dest.sql_dialect is not None:
            command = command_line(dest, "sql", DEFAULTS)
            for rel, text in sql.render(dest, DEFAULTS, command).items():
                name = f"sql/{dest.name}/{rel}"
                files[name] = text
                rows.append(f"| `{name}` | query pack | {dest.title} | {dest.summary} |")
    files["README.md"] = (
        "# vector-configs: generated shipper configs\n\n"
        "Every config `beacon forward generate` produces, with default settings: system-mode\n"
        "logs in `/var/log/beacon-agent/`, prefix `beacon`, both streams; for the query packs\n"
        "under `sql/`, every storage name left as a `${...}` parameter. Do not edit: run\n"
        "`python scripts/regenerate.py forwarding` to regenerate; a test fails on any drift.\n"
        "Each file names its reproducing `beacon forward generate` command in its header.\n"
        "Full packs (README, destination-side setup, sample events, smoke test) come from\n"
        "`beacon forward generate`; see [docs/forwarding.md](../docs/forwarding.md).\n\n"
        "| file | shipper | destination | notes |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    return files


def write_reference(root: Path) -> None:
    """Write the tree under `root`, replacing stale files."""
    for rel, text in reference_files().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
