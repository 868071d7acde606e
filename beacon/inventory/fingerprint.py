"""Hashes and bounded strings for records: what lets a SIEM match without seeing values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from beacon.pipeline.truncate import truncate_utf8

MAX_STRING_BYTES = 1024
"""Record strings are cut here, well under the pipeline's nested limit, so the pipeline
never has to truncate an inventory event (which would add bytes, not remove them)."""


def tagged_sha256(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def text_hash(text: str) -> str:
    """`sha256:<hex>` of a string's UTF-8 bytes."""
    return tagged_sha256(text.encode("utf-8", "surrogatepass"))


def path_hash(path: Path | str) -> str:
    """`sha256:<hex>` of a path as written (not resolved): stable across runs."""
    return text_hash(str(path))


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8; non-JSON values as strings."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8", "surrogatepass")


def canonical_hash(value: Any) -> str:
    """`sha256:<hex>` of `value`'s canonical JSON."""
    return tagged_sha256(canonical(value))


def bounded(text: str, limit: int = MAX_STRING_BYTES) -> str:
    """`text` cut to `limit` UTF-8 bytes with the pipeline's truncation marker."""
    cut = truncate_utf8(text, limit)
    return text if cut is None else cut
