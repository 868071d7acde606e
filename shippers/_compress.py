"""Gzip for batches: `isal` (ISA-L, several times faster) when installed, else stdlib zlib.

Output is deterministic for a given input and compressor (mtime 0), so a re-sent batch
produces the same object body.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

from beacon.errors import ConfigError

Compressor = Callable[[bytes], bytes]


def _isal(level: int) -> Compressor:
    from isal import igzip

    return lambda data: igzip.compress(data, compresslevel=level, mtime=0)


def _zlib(level: int) -> Compressor:
    return lambda data: gzip.compress(data, compresslevel=level, mtime=0)


def pick(name: str = "auto", level: int | None = None) -> tuple[str, Compressor]:
    """(name, gzip function) for `auto`, `isal` or `zlib`; level defaults per library."""
    if name in ("auto", "isal"):
        try:
            return "isal", _isal(2 if level is None else min(level, 3))
        except ImportError:
            if name == "isal":
                raise ConfigError(
                    "ship.compressor = isal but the isal package is not installed "
                    "(pip install 'agent-beacon[fast]')"
                ) from None
    return "zlib", _zlib(6 if level is None else level)
