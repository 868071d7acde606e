"""Agent Beacon: local-first telemetry collector and log shipper for AI coding agents."""

from __future__ import annotations

from beacon._version import __version__

TYPE_CHECKING = False  # not `from typing`: every entry point, the hook too, imports this
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["__version__", "lazy_names"]


def lazy_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A PEP 562 `__getattr__` for `package`: a public name's submodule (`homes[name]`) is
    imported on first use, so importing the package itself stays cheap (the hook path)."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module

        return getattr(import_module(f"{package}.{home}"), name)

    return __getattr__
