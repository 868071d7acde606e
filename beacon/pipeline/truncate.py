"""Per-field truncation: long strings are cut on a UTF-8 boundary with a visible marker.

Strings under `mcp`, `gen_ai` and `raw` get the nested limit, all others the field limit
(upstream's 2048 / 4096 bytes). Each cut is recorded in `content.truncations` with the
field's path, original length and sha256, so the loss is visible and verifiable.
"""

from __future__ import annotations

from beacon.pipeline.base import Serialized
from beacon.schema.event import Event

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

FIELD_BYTES = 4096
"""Default limit for top-level text (prompt, command, message)."""
NESTED_FIELD_BYTES = 2048
"""Default limit for strings inside `mcp`, `gen_ai` and `raw`."""
TRUNCATION_MARKER = "...[truncated]"
_MARKER_BYTES = len(TRUNCATION_MARKER.encode())
NESTED_ROOTS = frozenset({"mcp", "gen_ai", "raw"})


def truncate_utf8(text: str, limit: int) -> str | None:
    """`text` cut to at most `limit` UTF-8 bytes including the marker, or None if it fits."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return None
    keep = max(limit - _MARKER_BYTES, 0)
    return data[:keep].decode("utf-8", "ignore") + TRUNCATION_MARKER[: max(limit, 0)]


class Truncate:
    """Pipeline processor: enforce per-field byte limits and record every cut."""

    def __init__(
        self,
        field_bytes: int = FIELD_BYTES,
        nested_field_bytes: int = NESTED_FIELD_BYTES,
        serialized: Serialized | None = None,
    ) -> None:
        self._private = serialized is None  # a memo of our own must not outlive the call
        self.serialized = serialized or Serialized()
        self.field_bytes = field_bytes
        self.nested_field_bytes = nested_field_bytes
        self.total = 0

    @property
    def acts_above_bytes(self) -> int:
        """An event whose JSON is no longer than this holds no string to cut."""
        return min(self.field_bytes, self.nested_field_bytes)

    def counters(self) -> dict[str, int]:
        """Fields cut so far."""
        return {"truncations": self.total}

    def __call__(self, event: Event) -> Event:
        # A serialized event at most as long as the smallest limit holds no string over it.
        if len(self.serialized.of(event)) <= self.acts_above_bytes:
            if self._private:
                self.serialized.forget()
            return event
        try:
            return self._truncate(event)
        finally:
            if self._private:
                self.serialized.forget()

    def _truncate(self, event: Event) -> Event:
        cuts: list[dict[str, Any]] = []
        for key, value in event.items():
            if key == "content":
                continue
            limit = self.nested_field_bytes if key in NESTED_ROOTS else self.field_bytes
            replaced = self._walk(value, key, limit, cuts)
            if replaced is not None:
                event[key] = replaced
        if cuts:
            self.serialized.forget()
            self.total += len(cuts)
            content = event.setdefault("content", {})
            content["truncated"] = True
            content.setdefault("truncations", []).extend(cuts)
        return event

    def _walk(self, node: Any, path: str, limit: int, cuts: list[dict[str, Any]]) -> Any:
        """Truncate strings under `node`; returns a replacement for a string node, else None."""
        if isinstance(node, str):
            cut = truncate_utf8(node, limit)
            if cut is None:
                return None
            original = node.encode("utf-8", "surrogatepass")
            cuts.append(
                {
                    "field": path,
                    "bytes": len(original),
                    "sha256": _sha256_hex(original),
                }
            )
            return cut
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str | dict | list):
                    replaced = self._walk(value, f"{path}.{key}", limit, cuts)
                    if replaced is not None:
                        node[key] = replaced
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str | dict | list):
                    replaced = self._walk(value, f"{path}[{i}]", limit, cuts)
                    if replaced is not None:
                        node[i] = replaced
        return None


def _sha256_hex(data: bytes) -> str:
    import hashlib  # here: only truncated events pay for loading OpenSSL

    return hashlib.sha256(data).hexdigest()
