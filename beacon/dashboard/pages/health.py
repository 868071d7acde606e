"""Health: is telemetry arriving, and can the log be trusted?

The collector, service, harness telemetry, runtime-log source and shipper lag come from
`beacon.endpoint.status` (what `beacon status` shows); the files of each stream from the
log directory and the index; the hash chain from `beacon.audit.verify` (what `beacon
verify` checks), run as a job since it reads every line.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from beacon._version import __version__
from beacon.audit.reader import stream_files
from beacon.dashboard.context import KEY, STREAMS, Dashboard
from beacon.dashboard.templating import api, page

routes = web.RouteTableDef()


def verify_log(ctx: Dashboard) -> list[dict[str, Any]]:
    """`beacon verify` of both streams, with the configured key (if any)."""
    from beacon.audit.verify import keys_for, verify_log_dir
    from beacon.config import chain_key

    keys = keys_for([], chain_key(ctx.config))
    return [r.to_dict() for r in verify_log_dir(ctx.log_dir, STREAMS, keys)]


def endpoint_status(ctx: Dashboard) -> dict[str, Any]:
    """`beacon status --json` for this log directory."""
    from beacon.endpoint.layout import Layout
    from beacon.endpoint.status import gather, status_report

    return status_report(gather(Layout.detect(system=ctx.system), log_dir=ctx.log_dir))


def files_of(log_dir: Path) -> list[dict[str, Any]]:
    """Each stream's files, oldest first, with size and modification time."""
    out = []
    for stream in STREAMS:
        for path in stream_files(log_dir, stream):
            try:
                info = os.stat(path)
            except OSError:
                continue
            out.append(
                {
                    "stream": stream,
                    "path": str(path),
                    "name": path.name,
                    "bytes": info.st_size,
                    "modified": info.st_mtime,
                    "ident": [info.st_dev, info.st_ino],
                }
            )
    return out


async def health_of(ctx: Dashboard) -> dict[str, Any]:
    """Everything the health page shows."""
    status_task = asyncio.create_task(asyncio.to_thread(endpoint_status, ctx))
    chain = await ctx.job("chain", lambda: verify_log(ctx)).get(ctx.wait)
    files = files_of(ctx.log_dir)
    indexed: dict[tuple[int, int], dict[str, Any]] = {}
    for stream in STREAMS:
        outcome = await ctx.index_view(stream, wait=0.5)
        if outcome.value is not None:
            for entry in outcome.value.files:
                indexed[entry.ident] = {
                    "events": entry.events,
                    "lines": entry.lines,
                    "unreadable": entry.unreadable,
                    "first": entry.first,
                    "last": entry.last,
                    "indexed_bytes": entry.size,
                }
    for item in files:
        item["index"] = indexed.get((item["ident"][0], item["ident"][1]))
    status = await status_task
    return {
        "version": __version__,
        "log_dir": str(ctx.log_dir),
        "index_dir": str(ctx.index.root),
        "status": status,
        "files": files,
        "chain": {
            "status": "ok" if chain.current else ("verifying" if chain.running else "stale"),
            "finished": chain.finished_at,
            "error": chain.error,
            "streams": chain.value or [],
        },
    }


@routes.get("/health")
async def health_page(request: web.Request) -> web.Response:
    """Collector, log files, hash chain, runtime-log source, shipper lag."""
    data = await health_of(request.app[KEY])
    return page(request, "health.html", title="Health", data=data)


@routes.get("/api/health")
async def health_api(request: web.Request) -> web.Response:
    """`status` (as `beacon status --json`), `files`, `chain` (as `beacon verify --json`)."""
    return api(await health_of(request.app[KEY]))


@routes.get("/api/status")
async def status_api(request: web.Request) -> web.Response:
    """A quick answer: the dashboard's version, log directory and files."""
    ctx = request.app[KEY]
    return api(
        {
            "version": __version__,
            "log_dir": str(ctx.log_dir),
            "read_only": True,
            "files": files_of(ctx.log_dir),
        }
    )
