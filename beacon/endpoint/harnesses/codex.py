"""Codex CLI: the `[otel]` table of `$CODEX_HOME/config.toml`, optional `hooks.json`.

The config is edited with tomlkit, so the user's comments, key order and other tables
survive byte for byte; only `[otel]` (and its `[otel.*]` sub-tables) is replaced, in
place, after the transaction has backed the file up. Logs and metrics go to the
collector's OTLP/HTTP port as protobuf (`otlp-http` endpoints are used verbatim, so they
carry the `/v1/<signal>` path, runtimes.md §3.1); traces only with
`--include-codex-spans`, as the collector drops them otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from beacon.endpoint.harnesses import jsonfile
from beacon.endpoint.harnesses.base import (
    DISABLED,
    ENABLED,
    HOOKS_MISSING,
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
from beacon.runtimes import codex_cli

CONFIG = "codex.config"
HOOKS = "codex.hooks"
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")
TOOL_EVENTS = ("PreToolUse", "PostToolUse")
_is_ours = jsonfile.is_beacon_handler("codex")


class Codex:
    """Codex CLI (`codex`)."""

    name = "codex"
    runtime = "codex_cli"
    title = "Codex CLI"
    supports_hooks = True

    def codex_home(self, layout: Layout) -> Path:
        """`$CODEX_HOME`, else `~/.codex` (where Codex itself looks)."""
        explicit = None if layout.system else layout.env.get("CODEX_HOME")
        return Path(explicit) if explicit else layout.home / ".codex"

    def detected(self, layout: Layout) -> bool:
        return bool(on_path(layout, "codex") or self.codex_home(layout).is_dir())

    def edits(self, layout: Layout, settings: EndpointSettings) -> list[FileEdit]:
        home = self.codex_home(layout)
        edits = [FileEdit(home / "config.toml", CONFIG)]
        hooks = home / "hooks.json"
        if settings.hooks or read_bytes(hooks) is not None:
            # Also when hooks are off: a previous install's hooks are taken out.
            edits.append(FileEdit(hooks, HOOKS))
        return edits

    def otel_table(self, settings: EndpointSettings) -> Table:
        """The `[otel]` table install writes."""
        return codex_cli.otel_table(
            settings.http_endpoint,
            log_user_prompt=settings.full_content,
            traces=settings.include_codex_spans,
        )

    def hook_groups(self, settings: EndpointSettings) -> dict[str, list[dict[str, Any]]]:
        """Beacon's command hooks for `hooks.json` (docs/hooks.md)."""
        handler = {"type": "command", "command": settings.hook_command("codex"), "timeout": 10}
        return jsonfile.hook_groups(dict.fromkeys(HOOK_EVENTS, handler), TOOL_EVENTS, "*")

    def configure(self, edit: FileEdit, current: bytes | None, settings: EndpointSettings) -> bytes:
        if edit.kind == HOOKS:
            return self._configure_hooks(edit.path, current, settings)
        doc = _parse(edit.path, current)
        codex_cli.set_otel(doc, self.otel_table(settings))
        return tomlkit.dumps(doc).encode()

    def _configure_hooks(
        self, path: Path, current: bytes | None, settings: EndpointSettings
    ) -> bytes:
        doc = jsonfile.load_object(path, current)
        groups = self.hook_groups(settings) if settings.hooks else None
        jsonfile.set_hooks(doc, path, current, _is_ours, groups)
        return jsonfile.finish(doc, current)

    def revert(
        self, edit: FileEdit, current: bytes, original: bytes | None, settings: EndpointSettings
    ) -> bytes | None:
        if edit.kind == HOOKS:
            return jsonfile.revert_settings(edit.path, current, original, _is_ours)
        doc = _parse(edit.path, current)
        old = _parse(edit.path, original) if original is not None else None
        if old is not None and "otel" in old:
            doc["otel"] = old["otel"]
        elif "otel" in doc:
            del doc["otel"]
        text = tomlkit.dumps(doc)
        if original is None and not text.strip():
            return None
        return text.encode()

    def check(self, layout: Layout, settings: EndpointSettings) -> HarnessState:
        home = self.codex_home(layout)
        path = home / "config.toml"
        try:
            _, hooks = jsonfile.read_settings(home / "hooks.json", _is_ours)
        except ConfigError:
            hooks = HOOKS_MISSING
        data = read_bytes(path)
        state = reporter(self, path, hooks)
        if data is None:
            return state(MISSING, "no config.toml")
        try:
            otel = tomlkit.parse(data.decode("utf-8", "replace")).unwrap().get("otel")
        except TOMLKitError as exc:
            return state(MISCONFIGURED, f"config.toml does not parse: {exc}")
        if not isinstance(otel, dict):
            return state(MISSING, "no [otel] table")
        exporter = otel.get("exporter")
        if exporter in (None, "none"):
            return state(DISABLED, f"[otel] exporter = {exporter!r}")
        wanted = f"{settings.http_endpoint}/v1/logs"
        found = _endpoint(exporter)
        if found is None:
            return state(MISCONFIGURED, f"[otel] exporter is not OTLP: {exporter!r}")
        if found.rstrip("/") not in (wanted, settings.grpc_endpoint):
            return state(MISCONFIGURED, f"[otel] exporter endpoint {found!r} (expected {wanted!r})")
        return state(ENABLED, f"OTLP logs to {found}")

    def guidance(self, settings: EndpointSettings) -> list[str]:
        return []


def _parse(path: Path, data: bytes | None) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse((data or b"").decode("utf-8"))
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); nothing was changed") from None


def _endpoint(exporter: Any) -> str | None:
    if not isinstance(exporter, dict):
        return None
    for key in ("otlp-http", "otlp-grpc"):
        target = exporter.get(key)
        if isinstance(target, dict) and isinstance(target.get("endpoint"), str):
            return str(target["endpoint"])
    return None


HARNESS = Codex()
