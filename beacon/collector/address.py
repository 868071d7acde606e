"""Listen addresses and the loopback rule, one definition for every Beacon listener.

The collector's OTLP listeners, the shipper's `/metrics` and the dashboard all bind
loopback unless told otherwise: what they serve holds prompts, commands and file paths.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from beacon.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Address:
    """A listen address; port 0 means "pick a free port"."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(
    value: str, *, allow_remote: bool = False, what: str = "address", how_to_allow: str = ""
) -> Address:
    """`HOST:PORT` (IPv6 as `[::1]:4317`; empty host: 127.0.0.1).

    A non-loopback host needs `allow_remote`; without it, `ConfigError` names `what` (the
    flag or key) and `how_to_allow` (the switch, when there is one).
    """
    host, sep, port_text = value.strip().rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"{what}: expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    if not allow_remote and not is_loopback(host):
        advice = f"; {how_to_allow}" if how_to_allow else ""
        raise ConfigError(
            f"{what}: {host} is not a loopback address (listening beyond this machine would "
            f"expose prompts and commands){advice}"
        )
    return Address(host, int(port_text))


def is_loopback(host: str) -> bool:
    """Whether every address `host` resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)
