"""`beacon dashboard`: a read-only web dashboard of the local log, on loopback.

Pages (search, sessions and their timelines, tokens and cost, inventory, findings,
health) and the JSON APIs behind them read the log through `beacon.audit` (the engine of
`beacon logs`), `beacon.scan`, `beacon.inventory` and `beacon.endpoint`. Modules: `cli`,
`server` (bind, serve), `app` (routes, errors), `security` (Host/Origin/method guard and
headers), `context` (the log directory and its jobs), `index` (per-file index under the
state directory), `jobs` (slow reads in threads), `params` (query strings), `timeline`
(a session for reading), `templating` (Jinja2), `pages/` (one module per page), and the
`templates/` and `static/` files shipped in the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon import lazy_names

if TYPE_CHECKING:
    from beacon.dashboard.app import create_app
    from beacon.dashboard.context import Dashboard
    from beacon.dashboard.server import serve

__all__ = ["Dashboard", "create_app", "serve"]

_HOMES = {"create_app": "app", "Dashboard": "context", "serve": "server"}


__getattr__ = lazy_names(__name__, _HOMES)
