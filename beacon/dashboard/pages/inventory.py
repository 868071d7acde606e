"""Inventory: the agents on this machine, their telemetry, MCP servers (with posture flags),
skills and config files, from the newest complete snapshot in `inventory_state.jsonl`, and
the newest heartbeat (`beacon.inventory.history.latest`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from beacon.dashboard.context import KEY
from beacon.dashboard.templating import api, page
from beacon.inventory.history import latest

routes = web.RouteTableDef()


def flags(server: dict[str, Any]) -> list[dict[str, str]]:
    """An MCP server's posture flags, worst first, for badges."""
    out = []
    if server.get("inline_secret"):
        keys = ", ".join(server.get("inline_secret_keys") or [])
        out.append({"text": f"inline secret{': ' + keys if keys else ''}", "tone": "bad"})
    if server.get("plain_http_remote"):
        out.append({"text": "plain HTTP remote", "tone": "bad"})
    if server.get("unpinned_package"):
        out.append(
            {"text": f"unpinned {server.get('package_launcher') or 'package'}", "tone": "warn"}
        )
    if server.get("parser_status") not in (None, "ok"):
        out.append({"text": f"parse {server.get('parser_status')}", "tone": "warn"})
    if server.get("disabled"):
        out.append({"text": "disabled", "tone": "plain"})
    return out


async def inventory_of(log_dir: Any) -> dict[str, Any]:
    """The latest heartbeat and snapshot, with each MCP server's flags."""
    found = await asyncio.to_thread(latest, log_dir)
    snapshot = found["snapshot"]
    if snapshot is not None:
        for server in snapshot["inventory"].get("mcp_servers") or []:
            if isinstance(server, dict):
                server["flags"] = flags(server)
    return found


@routes.get("/inventory")
async def inventory_page(request: web.Request) -> web.Response:
    """Agents, telemetry status, MCP servers, skills and configs."""
    data = await inventory_of(request.app[KEY].log_dir)
    return page(request, "inventory.html", title="Inventory", data=data)


@routes.get("/api/inventory")
async def inventory_api(request: web.Request) -> web.Response:
    """`heartbeat` and `snapshot` (each `{timestamp, host, inventory}` or null)."""
    return api(await inventory_of(request.app[KEY].log_dir))
