"""`--contents`: a config file's settings, re-serialized with every sensitive value removed.

The text is rebuilt from the parsed document, not copied from the file, so nothing the
parser did not understand can slip through: every value under `env`, `environment`,
`headers`, `http_headers`, `env_http_headers` and `args`, every value of a secret-named key,
and the path and query of every URL become `[REDACTED]` before the standard redaction
rules run over what is left. Comments are dropped with the rest of the file's text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from beacon.inventory.files import ParsedFile
from beacon.inventory.fingerprint import bounded
from beacon.inventory.posture import secret_looking
from beacon.pipeline.redact import MARKER, Redactor

VALUE_BLOCKS = frozenset(
    {"env", "environment", "headers", "http_headers", "env_http_headers", "args"}
)
URL_KEYS = frozenset({"url", "serverUrl", "httpUrl", "otlpEndpoint", "endpoint"})


def scrub(node: Any, counter: list[int]) -> Any:
    """A copy of `node` with sensitive values replaced; `counter[0]` counts replacements."""
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, value in node.items():
            name = str(key)
            if name in VALUE_BLOCKS:
                out[name] = _blank(value, counter)
            elif name == "command" and isinstance(value, list) and value:
                out[name] = [value[0], *_blank(value[1:], counter)]  # OpenCode: argv array
            elif isinstance(value, str) and name in URL_KEYS:
                out[name] = _url_origin(value, counter)
            elif (
                isinstance(value, str | int | float)
                and not isinstance(value, bool)
                and secret_looking(name)
            ):
                counter[0] += 1
                out[name] = MARKER
            else:
                out[name] = scrub(value, counter)
        return out
    if isinstance(node, list):
        return [scrub(v, counter) for v in node]
    return node


def _blank(value: Any, counter: list[int]) -> Any:
    """Keep the shape (key names, list length), drop every scalar."""
    if isinstance(value, Mapping):
        return {str(k): _blank(v, counter) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v, counter) for v in value]
    if value is None or isinstance(value, bool):
        return value
    counter[0] += 1
    return MARKER


def _url_origin(url: str, counter: list[int]) -> str:
    """`scheme://host[:port]` plus a marker when the URL had a path, query or credentials."""
    try:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.hostname or ''}" + (
            f":{parts.port}" if parts.port else ""
        )
    except ValueError:
        counter[0] += 1
        return MARKER
    if not parts.scheme:
        counter[0] += 1
        return MARKER
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        counter[0] += 1
        return f"{origin}/{MARKER}"
    return origin


def content_of(parsed: ParsedFile, redactor: Redactor, max_bytes: int) -> dict[str, Any] | None:
    """The `content` field of a config record, or None when the file may not be copied."""
    if not parsed.source.contents or parsed.document is None:
        return None
    counter = [0]
    cleaned = scrub(parsed.document, counter)
    text = json.dumps(cleaned, indent=2, ensure_ascii=False, default=str)
    text, redacted = redactor.redact_text(text)
    data = text.encode("utf-8")
    kept = bounded(text, max_bytes)
    return {
        "format": "json",
        "source_format": parsed.source.parser,
        "bytes": len(data),
        "truncated": kept != text,
        "redacted_count": counter[0] + redacted,
        "text": kept,
    }
