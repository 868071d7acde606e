"""Findings: what `beacon scan` finds in the log with its default rules (the user's rule
store over the baseline pack), from the same engine and reader.

A scan reads the whole log, so it runs as a job: re-run when the log changed, shown as
soon as it is done, the previous result shown meanwhile.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aiohttp import web

from beacon.dashboard.context import KEY, Dashboard
from beacon.dashboard.templating import api, page
from beacon.errors import UsageError

routes = web.RouteTableDef()
SEVERITIES = ("critical", "high", "medium", "low", "info")


def scan_log(log_dir: Path) -> dict[str, Any]:
    """Run the default rules over the log's runtime and inventory streams."""
    from beacon.scan.engine import Engine, ScanStats
    from beacon.scan.source import ReadStats, read_events, resolve
    from beacon.scan.store import default_sources, load_sources

    pack = load_sources(None)
    rules = [r for r in pack.rules if r.status != "deprecated"]
    read = ReadStats()
    stats = ScanStats()
    started = time.perf_counter()
    findings: list[dict[str, Any]] = []
    try:
        events = read_events(resolve(log_dir, None), read)
        for finding in Engine(rules).run(events, stats):
            findings.append(finding.as_dict())
    except UsageError:
        pass  # no log yet: no findings, and the page says there are no events
    findings.sort(
        key=lambda f: (
            SEVERITIES.index(f["severity"]),
            f["events"][0]["timestamp"] if f["events"] else "",
        )
    )
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for found in findings:
        by_severity[found["severity"]] += 1
    return {
        "findings": findings,
        "summary": {
            "rules": len(rules),
            "rule_sources": [str(p) for p in default_sources()],
            "rule_errors": [str(e) for e in pack.errors],
            "events": stats.events,
            "files": read.files,
            "malformed_lines": read.malformed,
            "evaluation_errors": stats.errors,
            "findings": len(findings),
            "by_severity": by_severity,
            "seconds": round(time.perf_counter() - started, 3),
        },
    }


async def findings_of(ctx: Dashboard) -> dict[str, Any]:
    """The latest scan result and whether it is for the log as it is now."""
    outcome = await ctx.job("findings", lambda: scan_log(ctx.log_dir)).get(ctx.wait)
    return {
        "status": "ok" if outcome.current else ("scanning" if outcome.running else "stale"),
        "finished": outcome.finished_at,
        "error": outcome.error,
        **(outcome.value or {"findings": [], "summary": None}),
    }


@routes.get("/findings")
async def findings_page(request: web.Request) -> web.Response:
    """Findings by severity, each with its rule, session and events."""
    data = await findings_of(request.app[KEY])
    return page(request, "findings.html", title="Findings", data=data, severities=SEVERITIES)


@routes.get("/api/findings")
async def findings_api(request: web.Request) -> web.Response:
    """Findings as `beacon scan --json` gives them, plus the scan's status."""
    data = await findings_of(request.app[KEY])
    return api(data, status=202 if data["summary"] is None else 200)
