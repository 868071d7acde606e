"""Telemetry and hook status vocabulary, and the checks every runtime shares: is an OTLP
endpoint this machine's loopback, does a hook config run `beacon-hooks`, which settings
file wins, what to say when none sets telemetry."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from beacon.inventory.files import ParsedFile, Survey
from beacon.inventory.source import Status, files_of

ENABLED, DISABLED, MISSING, MISCONFIGURED = "enabled", "disabled", "missing", "misconfigured"
INSTALLED, NOT_INSTALLED, UNSUPPORTED = "installed", "missing", "unsupported"
HOOK_COMMAND = "beacon-hooks"


def is_loopback_host(host: str | None) -> bool:
    """`localhost`, `*.localhost`, 127.0.0.0/8 or ::1; no DNS lookups (names are taken at
    their word: resolving could leave the machine)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(url: str) -> tuple[str, str]:
    """(scheme, host) of a URL, lower-cased; empty strings when it has none."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError:
        return "", ""


def loopback_endpoint(url: str | None) -> bool:
    """Whether an OTLP endpoint URL (or bare `host:port`) names this machine."""
    if not url:
        return False
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    return is_loopback_host(url_host(text)[1])


def truthy(value: Any) -> bool:
    """A settings value meaning yes: `true`, `1`, `"true"`, `"yes"`, `"on"`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on")


def falsy(value: Any) -> bool:
    """A settings value meaning no (absent is neither yes nor no)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", "")


def setting(document: Mapping[str, Any], dotted: str) -> Any:
    """A VS Code-style setting: the flat key (`"a.b.c": 1`) or the nested path (`a: {b: …}`)."""
    if dotted in document:
        return document[dotted]
    node: Any = document
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def mentions_beacon_hooks(node: Any) -> bool:
    """Whether any string under `node` runs `beacon-hooks`."""
    if isinstance(node, str):
        return HOOK_COMMAND in node
    if isinstance(node, Mapping):
        return any(mentions_beacon_hooks(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(mentions_beacon_hooks(v) for v in node)
    return False


def hooks_status(files: Iterable[ParsedFile], key: str | None = "hooks") -> str:
    """`installed` when a parsed file's hook block (`key`, or the whole document, or the
    text of a plugin file) runs `beacon-hooks`, else `missing`."""
    for parsed in files:
        if parsed.document is not None:
            block = parsed.document if key is None else parsed.document.get(key)
            if mentions_beacon_hooks(block):
                return INSTALLED
        elif parsed.source.parser == "text" and parsed.text and HOOK_COMMAND in parsed.text:
            return INSTALLED
    return NOT_INSTALLED


def unparsed(files: Iterable[ParsedFile]) -> list[ParsedFile]:
    """Files that exist but could not be read or parsed."""
    return [f for f in files if f.document is None and f.source.parser != "text"]


def hooks_of(runtime: str, *kinds: str) -> Callable[[Survey], str]:
    """A runtime's `hooks`: `hooks_status` over its files (only those of `kinds`, if given)."""
    return lambda survey: hooks_status(files_of(survey, runtime, *kinds))


def missing(evidence: str) -> Callable[[Survey], Status]:
    """The `telemetry` of a runtime whose files never show an OTLP export: `missing`, and why."""
    return lambda survey: (MISSING, evidence)


def by_precedence(
    files: Sequence[ParsedFile], levels: Sequence[str]
) -> Iterator[tuple[ParsedFile, Mapping[str, Any]]]:
    """Each parsed file with its document, scope by scope in `levels` (lowest precedence
    first), so a later value overrides an earlier one."""
    for level in levels:
        for parsed in files:
            if parsed.source.scope == level and parsed.document is not None:
                yield parsed, parsed.document


def not_set(files: Iterable[ParsedFile], evidence: str) -> Status:
    """Telemetry no file sets: `misconfigured` when one could not be read or parsed (it may
    hold the setting), else `missing` with `evidence`."""
    broken = unparsed(files)
    if broken:
        return MISCONFIGURED, f"{broken[0].source.path} could not be read or parsed"
    return MISSING, evidence
