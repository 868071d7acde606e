"""Enrichment: fill what every event needs and no mapper should have to know.

Adds `event.id` and `event.created`, the endpoint (hostname, OS, Beacon version), the
local user, the origin and any context fields of the run (`run`, `ci` in CI mode), and
infers `event.category`; values a mapper set are kept.
"""

from __future__ import annotations

import os
import sys

from beacon._version import __version__
from beacon.schema.actions import category_of
from beacon.schema.event import Event, new_event_id, new_event_ids, now_timestamp

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def _os_name() -> str:
    """Upstream uses Go's GOOS names."""
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "darwin"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return sys.platform


def _user_name() -> str:
    """`getpass.getuser()`'s answer (login env vars, then the password database), without
    importing `getpass` (and `termios`) on the hook path."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        value = os.environ.get(name)
        if value:
            return value
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return ""


def _host_name() -> str:
    """`socket.gethostname()`'s answer without importing `socket` on the hook path."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


class Enrich:
    """Pipeline processor: stamp id, ingest time, endpoint, user, origin and run context.

    `context` holds top-level objects every event gets unless it has its own (e.g. the
    `run` and `ci` metadata of a CI job); each event receives its own copy.
    """

    def __init__(
        self,
        hostname: str = "",
        origin: str = "local",
        context: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.endpoint = {
            "hostname": hostname or _host_name(),
            "os": _os_name(),
            "agent_version": __version__,
        }
        name = _user_name()
        self.user = {"name": name} if name else {}
        self.origin = origin
        self.context = {key: dict(value) for key, value in (context or {}).items() if value}

    def __call__(self, event: Event) -> Event:
        self._fill(event, new_event_id(), now_timestamp())
        return event

    def each(self, events: list[Event]) -> None:
        """Enrich a batch in place: one ingest time for the request, its ids drawn together."""
        created = now_timestamp()
        fill = self._fill
        for event, event_id in zip(events, new_event_ids(len(events)), strict=True):
            fill(event, event_id, created)

    def _fill(self, event: Event, event_id: str, created: str) -> None:
        """Set what the event lacks; `event_id` and `created` are used only when missing."""
        meta = event.get("event")
        if meta is None:
            meta = event["event"] = {}
        if "id" not in meta:
            meta["id"] = event_id
        if "created" not in meta:
            meta["created"] = created
        if "category" not in meta and "action" in meta:
            meta["category"] = category_of(meta["action"])
        if "kind" not in meta:
            meta["kind"] = "agent_runtime"
        endpoint = event.get("endpoint")
        if endpoint is None:
            event["endpoint"] = self.endpoint.copy()
        else:
            for key, value in self.endpoint.items():
                endpoint.setdefault(key, value)
        if self.user and "user" not in event:
            event["user"] = self.user.copy()
        if "origin" not in event:
            event["origin"] = self.origin
        for key, fields in self.context.items():
            if key not in event:
                event[key] = fields.copy()
        if "timestamp" not in event:
            event["timestamp"] = meta["created"]
