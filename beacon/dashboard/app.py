"""The aiohttp application: the guard, the pages and their APIs, static files, error pages.

Everything the browser loads comes from this package (templates, CSS, JavaScript, the
vendored chart library, the icon): no CDN, works offline.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from beacon.dashboard.context import KEY, Dashboard
from beacon.dashboard.pages import findings, health, inventory, search, sessions, tokens
from beacon.dashboard.security import Handler, add_headers, guard
from beacon.dashboard.templating import ENV_KEY, api, environment, page
from beacon.errors import BeaconError

STATIC = Path(__file__).resolve().parent / "static"
PAGES = (search, sessions, tokens, inventory, findings, health)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input (400) and unknown paths (404) as a page, or JSON under /api/."""
    wants_json = request.path.startswith("/api/")
    try:
        return await handler(request)
    except BeaconError as exc:
        if wants_json:
            return api({"error": str(exc)}, status=400)
        return page(request, "missing.html", status=400, title="Cannot show this", what=str(exc))
    except web.HTTPNotFound:
        if wants_json:
            return api({"error": f"no such API: {request.path}"}, status=404)
        return page(request, "missing.html", status=404, title="Not found", what=request.path)


async def favicon(request: web.Request) -> web.FileResponse:
    """The icon browsers ask for at the root."""
    return web.FileResponse(STATIC / "favicon.svg", headers={"Content-Type": "image/svg+xml"})


def create_app(dashboard: Dashboard) -> web.Application:
    """The dashboard application over `dashboard`'s log directory."""
    app = web.Application(middlewares=[guard(lambda: dashboard.bound), errors])
    app[KEY] = dashboard
    app[ENV_KEY] = environment()
    app.on_response_prepare.append(add_headers)
    for module in PAGES:
        app.add_routes(module.routes)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    return app
