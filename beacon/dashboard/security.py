"""The dashboard's guard: loopback names only, same-origin API reads, GET only, strict headers.

The pages show prompts, commands and file paths, so three attacks matter even on loopback:
DNS rebinding (a web page whose host name suddenly resolves to 127.0.0.1 reads the
dashboard as its own origin: refused by checking `Host`), cross-site reads of the API
(refused by `Origin` and `Sec-Fetch-Site`), and any request that would change something
(there is none: every method but GET and HEAD gets 405). Every response, errors and static
files included, carries the security headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from beacon.collector.address import Address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
ALLOWED_METHODS = ("GET", "HEAD")
API_PREFIX = "/api/"
STATIC_PREFIX = "/static/"


def allowed_hosts(bound: Address) -> frozenset[str]:
    """The `Host` values a browser sends for this dashboard: its address and `localhost`,
    with the bound port (lower case)."""
    port = bound.port
    host = f"[{bound.host}]" if ":" in bound.host else bound.host
    names = {f"{host}:{port}".lower(), f"localhost:{port}"}
    if port == 80:  # a browser leaves the default port out of Host
        names |= {host.lower(), "localhost"}
    return frozenset(names)


def _plain(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", headers=headers)


def guard(bound: Callable[[], Address]) -> Middleware:
    """The middleware: refuse foreign hosts (421), cross-site API reads (403) and every
    method but GET/HEAD (405) before any handler runs. `bound` gives the listening address
    (known once the socket is bound)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = (request.headers.get("Host") or "").strip().lower()
        if host not in allowed_hosts(bound()):
            return _plain(
                421, "misdirected request: this dashboard answers only to its loopback address"
            )
        if request.method not in ALLOWED_METHODS:
            return _plain(
                405,
                "method not allowed: the dashboard is read-only",
                Allow=", ".join(ALLOWED_METHODS),
            )
        if request.path.startswith(API_PREFIX) and not _same_origin(request, host):
            return _plain(403, "forbidden: cross-origin request to the dashboard API")
        return await handler(request)

    return middleware


def _same_origin(request: web.Request, host: str) -> bool:
    """No `Origin` (a top-level or same-origin GET) or exactly ours; never a cross-site fetch."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.strip().lower() != f"http://{host}":
        return False
    site = request.headers.get("Sec-Fetch-Site")
    return site is None or site in ("same-origin", "none")


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the security headers on every response; API answers and
    pages (they hold prompts) are never stored by the browser, static files revalidate."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.path.startswith(STATIC_PREFIX) or request.path == "/favicon.ico":
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
