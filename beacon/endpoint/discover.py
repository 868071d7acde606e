"""`beacon endpoint discover`: every known agent on this endpoint, one `agent.detected` each.

Detection itself (PATH lookup, `--version` capped at 2 s in its own process group,
config files, telemetry and hook status) is the inventory's (`beacon.inventory.detect`);
this module turns each detected runtime into an event through the one ingest path and
into a table for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from beacon.endpoint import events
from beacon.endpoint.install import event_config
from beacon.endpoint.layout import Layout

TITLES = {
    "claude_code": "Claude Code",
    "codex_cli": "Codex CLI",
    "gemini_cli": "Gemini CLI",
    "cursor": "Cursor",
    "vscode_copilot": "VS Code Copilot Chat",
    "copilot_cli": "GitHub Copilot CLI",
}


@dataclass
class DiscoverResult:
    """The detected runtimes and how many events were written."""

    runtimes: list[dict[str, Any]]
    written: int
    log_path: Path

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "runtimes": self.runtimes,
            "events_written": self.written,
            "log_path": str(self.log_path),
        }


def discover(
    layout: Layout,
    *,
    cwd: Path,
    log_dir: Path,
    write: bool = True,
    env: Mapping[str, str] | None = None,
    version_timeout: float = 2.0,
) -> DiscoverResult:
    """Detect runtimes for `layout.home` and `cwd`; append one `agent.detected` per runtime."""
    from beacon.inventory.detect import detect_runtimes

    found = [
        r
        for r in detect_runtimes(
            layout.home,
            cwd,
            env if env is not None else layout.env,
            version_timeout=version_timeout,
        )
        if r.executable_path or r.config_paths
    ]
    runtimes = [asdict(r) | {"config_paths": list(r.config_paths)} for r in found]
    written = 0
    if write and found:
        from beacon.ingest import write_events

        batch = [
            events.agent_detected(
                r.name,
                TITLES.get(r.name, r.name),
                version=r.version,
                executable_path=r.executable_path,
                config_path=r.config_paths[0] if r.config_paths else None,
                details={
                    "config_paths": list(r.config_paths),
                    "telemetry": r.telemetry,
                    "telemetry_detail": r.telemetry_detail,
                    "hooks": r.hooks,
                },
            )
            for r in found
        ]
        written = write_events(batch, event_config(layout, log_dir))
    return DiscoverResult(runtimes, written, log_dir / "runtime.jsonl")


def render_text(result: DiscoverResult) -> str:
    """A table of detected runtimes."""
    if not result.runtimes:
        return "No agent runtime detected."
    lines = [f"{'runtime':<16} {'version':<12} {'telemetry':<14} {'hooks':<11} where"]
    for r in result.runtimes:
        where = r["executable_path"] or (r["config_paths"][0] if r["config_paths"] else "")
        version = r["version"] or "-"
        lines.append(f"{r['name']:<16} {version:<12} {r['telemetry']:<14} {r['hooks']:<11} {where}")
    lines.append(f"{result.written} agent.detected events written to {result.log_path}")
    return "\n".join(lines)
