"""VS Code Copilot Chat: `github.copilot.chat.otel.*` in the user's `settings.json`.

VS Code settings are JSON with comments and trailing commas (JSONC). Beacon reads them
with a JSON5 parser (pyjson5) and never re-serializes the user's file: it inserts its keys as one
marked block right after the opening brace, and uninstall cuts exactly that block out,
so every comment and the user's formatting survive. A key the user already set to
another value stops the install with a clear message (two definitions would leave it to
VS Code which one wins).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from beacon.endpoint.harnesses.base import (
    DISABLED,
    ENABLED,
    HOOKS_UNSUPPORTED,
    MISCONFIGURED,
    MISSING,
    FileEdit,
    HarnessState,
    on_path,
    reporter,
)
from beacon.endpoint.layout import Layout
from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.transaction import read_bytes
from beacon.errors import ConfigError

SETTINGS = "vscode.settings"
PREFIX = "github.copilot.chat.otel."
BEGIN = "// >>> beacon endpoint install: managed block, `beacon endpoint uninstall` removes it"
END = "// <<< beacon endpoint install"
_BLOCK = re.compile(r"\n[ \t]*" + re.escape(BEGIN) + r"\n(?:.*\n)*?[ \t]*" + re.escape(END))
_INDENT = re.compile(r"^([ \t]+)\S", re.M)


class VSCode:
    """VS Code with GitHub Copilot Chat (`code`)."""

    name = "vscode"
    runtime = "vscode_copilot"
    title = "VS Code Copilot Chat"
    supports_hooks = False

    def settings_path(self, layout: Layout) -> Path:
        """The user settings file (per OS)."""
        if layout.is_macos:
            return (
                layout.home / "Library" / "Application Support" / "Code" / "User" / "settings.json"
            )
        return layout.xdg_config_home / "Code" / "User" / "settings.json"

    def detected(self, layout: Layout) -> bool:
        return bool(on_path(layout, "code") or self.settings_path(layout).parent.is_dir())

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        return [FileEdit(self.settings_path(layout), SETTINGS)]

    def keys(self, settings: EndpointSettings) -> dict[str, Any]:
        """The settings install writes."""
        return {
            f"{PREFIX}enabled": True,
            f"{PREFIX}exporterType": "otlp-http",
            f"{PREFIX}otlpEndpoint": settings.http_endpoint,
            f"{PREFIX}captureContent": settings.full_content,
        }

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        text = _decode(edit.path, current)
        base = _BLOCK.sub("", text)
        doc = _parse(edit.path, base)
        wanted = self.keys(settings)
        conflicts = [
            f"{k} = {json.dumps(doc[k])}" for k in wanted if k in doc and doc[k] != wanted[k]
        ]
        if conflicts:
            raise ConfigError(
                f"{edit.path} already sets {', '.join(conflicts)}; remove those lines (Beacon "
                "writes its own in a marked block) or leave out --harness vscode. "
                "Nothing was changed"
            )
        missing = {k: v for k, v in wanted.items() if k not in doc}
        if not missing:
            return base.encode()
        if not base.strip():
            base = "{\n}\n"
        brace = _opening_brace(edit.path, base)
        match = _INDENT.search(base)
        indent = match.group(1) if match else "    "
        rows = [f"{indent}{json.dumps(k)}: {json.dumps(v)}," for k, v in missing.items()]
        if not doc:
            rows[-1] = rows[-1].rstrip(",")
        block = "\n".join([f"\n{indent}{BEGIN}", *rows, f"{indent}{END}"])
        return (base[: brace + 1] + block + base[brace + 1 :]).encode()

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        text = _BLOCK.sub("", _decode(edit.path, current))
        if original is None and not _parse(edit.path, text):
            return None
        return text.encode()

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        path = self.settings_path(layout)
        data = read_bytes(path)
        state = reporter(self, path, HOOKS_UNSUPPORTED)
        if data is None:
            return state(MISSING, "no user settings.json")
        try:
            doc = _parse(path, _decode(path, data))
        except ConfigError as exc:
            return state(MISCONFIGURED, str(exc))
        if f"{PREFIX}enabled" not in doc:
            return state(MISSING, f"{PREFIX}enabled not set")
        if doc[f"{PREFIX}enabled"] is not True:
            return state(DISABLED, f"{PREFIX}enabled = {json.dumps(doc[f'{PREFIX}enabled'])}")
        endpoint = str(doc.get(f"{PREFIX}otlpEndpoint", "http://localhost:4318")).rstrip("/")
        kind = doc.get(f"{PREFIX}exporterType", "otlp-http")
        if (kind, endpoint) not in (
            ("otlp-http", settings.http_endpoint),
            ("otlp-grpc", settings.grpc_endpoint),
        ):
            return state(
                MISCONFIGURED,
                f"{kind} to {endpoint} (expected otlp-http to {settings.http_endpoint})",
            )
        return state(ENABLED, f"{kind} to {endpoint}")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


def _decode(path: Path, data: bytes | None) -> str:
    try:
        return (data or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; nothing was changed") from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    """The settings object of a JSONC text ({} when empty)."""
    if not text.strip():
        return {}
    import pyjson5

    try:
        doc = pyjson5.decode(text)
    except (pyjson5.Json5Exception, ValueError) as exc:
        raise ConfigError(
            f"{path}: not valid JSON with comments ({exc}); nothing was changed"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected an object at the top level; nothing was changed")
    return doc


def _opening_brace(path: Path, text: str) -> int:
    """Index of the top-level `{`, skipping a BOM, whitespace and comments."""
    i = 1 if text.startswith("\ufeff") else 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        elif text[i] == "{":
            return i
        else:
            break
    raise ConfigError(f"{path}: expected an object at the top level; nothing was changed")


HARNESS = VSCode()
