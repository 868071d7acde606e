"""MCP server records: one per entry of a runtime's MCP block, in every documented shape.

Shapes: stdio (`command` + `args` + `env`; OpenCode's `command` array and `environment`),
remote (`url`, Windsurf's `serverUrl`, Gemini's `httpUrl`, `headers`, Codex's
`http_headers`), explicit `type`/`transport`. Recorded: names, the command's basename,
counts, env and header key names that do not look secret, the URL's scheme and host,
hashes and posture fields. Never argument, env or header values, never the URL's path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from beacon.inventory.files import OK, PARSE_FAILED, PARTIAL
from beacon.inventory.fingerprint import bounded, canonical_hash, path_hash, text_hash
from beacon.inventory.posture import (
    inline_secrets,
    package_launch,
    plain_http_remote,
    secret_looking,
)
from beacon.inventory.source import ConfigSource, McpBlock, McpEntry
from beacon.inventory.telemetry import url_host
from beacon.pipeline.redact import Redactor

McpEntries = Callable[[ConfigSource, Mapping[str, Any]], McpBlock]
"""A runtime's reader of the MCP block(s) of one parsed config file."""
MAX_KEY_NAMES = 64
# Fields whose meaning the record already covers; any other secret-named literal field
# (Codex `bearer_token`, an `apiKey`) is an inline credential.
STRUCTURAL = frozenset(
    {
        "command",
        "args",
        "env",
        "environment",
        "headers",
        "http_headers",
        "env_http_headers",
        "url",
        "serverUrl",
        "httpUrl",
        "type",
        "transport",
        "disabled",
        "enabled",
        "bearer_token_env_var",
        "headersHelper",
        "envFile",
        "cwd",
        "timeout",
        "trust",
        "oauth",
    }
)
_TRANSPORTS = {
    "stdio": "stdio",
    "local": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "streamablehttp": "http",
    "remote": "http",
    "sse": "sse",
    "ws": "websocket",
    "websocket": "websocket",
}


def named_entries(
    block: Any, *, where: str, scope: str, project_path: str | None = None
) -> McpBlock:
    """Every `name: definition` entry of an MCP block (an object keyed by server name)."""
    found = McpBlock()
    if block is None:
        return found
    if not isinstance(block, Mapping):
        found.problems.append(f"{where} is not an object")
        return found
    for name, definition in block.items():
        found.entries.append(McpEntry(str(name), definition, scope, where, project_path))
    return found


def block_at(key: str, *, kind: str | None = None) -> McpEntries:
    """The `mcp_entries` of a runtime whose files keep their servers in the top-level
    object `key` (read only from its files of `kind`, when given)."""

    def entries(source: ConfigSource, document: Mapping[str, Any]) -> McpBlock:
        if kind is not None and source.kind != kind:
            return McpBlock()
        return named_entries(document.get(key), where=key, scope=source.scope)

    return entries


def merge(*blocks: McpBlock) -> McpBlock:
    """One block holding the entries and problems of several."""
    out = McpBlock()
    for block in blocks:
        out.entries.extend(block.entries)
        out.problems.extend(block.problems)
    return out


def _basename(command: str) -> str:
    if "\\" in command:
        return PureWindowsPath(command).name
    return PurePosixPath(command).name


def _strings(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [v if isinstance(v, str) else str(v) for v in value]
    if isinstance(value, str):
        return [value]
    return []


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _names(keys: list[str]) -> list[str]:
    return [bounded(k, 128) for k in keys if not secret_looking(k)][:MAX_KEY_NAMES]


def server_record(source: ConfigSource, entry: McpEntry, redactor: Redactor) -> dict[str, Any]:
    """The record of one MCP entry; a definition that is not an object is still recorded."""
    record: dict[str, Any] = {
        "runtime": source.runtime,
        "server_name": bounded(entry.name, 256),
        "server_name_hash": text_hash(entry.name),
        "source_path": bounded(str(source.path)),
        "source_path_hash": path_hash(source.path),
        "source_scope": entry.scope,
        "source_block": entry.block,
    }
    if entry.project_path is not None:
        record["project_path"] = bounded(entry.project_path)
        record["project_path_hash"] = path_hash(entry.project_path)
    definition = entry.definition
    if not isinstance(definition, Mapping):
        record.update(
            transport="unknown",
            definition_hash=canonical_hash(definition),
            parser_status=PARSE_FAILED,
            reason="definition is not an object",
            redaction="metadata_only",
        )
        return record
    command_value = definition.get("command")
    command_parts = _strings(command_value)
    command = command_parts[0] if command_parts else None
    args = command_parts[1:] + _strings(definition.get("args"))
    env = _mapping(definition.get("env") if "env" in definition else definition.get("environment"))
    headers = _mapping(definition.get("headers") or definition.get("http_headers"))
    headers.update(
        {k: f"${{{v}}}" for k, v in _mapping(definition.get("env_http_headers")).items()}
    )
    url = next(
        (
            definition[k]
            for k in ("url", "serverUrl", "httpUrl")
            if isinstance(definition.get(k), str)
        ),
        None,
    )
    declared_raw = definition.get("type", definition.get("transport"))
    declared = declared_raw.strip().lower() if isinstance(declared_raw, str) else None
    scheme, host = url_host(url) if url else ("", "")
    command_name = _basename(command) if command else None
    launch = package_launch(command_name, args)
    secrets = inline_secrets(
        definition,
        env=env,
        headers=headers,
        args=args,
        url=url,
        redactor=redactor,
        structural=STRUCTURAL,
    )
    problems = []
    if command_value is not None and not command_parts:
        problems.append("command is not a string")
    if declared_raw is not None and declared is None:
        problems.append("type is not a string")
    record.update(
        transport=_transport(declared, url, "httpUrl" in definition, command),
        transport_declared=declared,
        disabled=definition.get("disabled") is True or definition.get("enabled") is False,
        command_present=command is not None,
        command_name=bounded(command_name, 256) if command_name else None,
        command_name_hash=text_hash(command_name) if command_name else None,
        args_count=len(args),
        url_present=url is not None,
        url_scheme=scheme or None,
        url_host=bounded(host, 256) or None,
        env_keys=_names(list(env)),
        env_key_count=len(env),
        header_keys=_names(list(headers)),
        header_key_count=len(headers),
        definition_hash=canonical_hash(definition),
        package_launcher=launch.launcher if launch else None,
        package_hash=launch.package_hash if launch else None,
        package_pinned=launch.pinned if launch else None,
        unpinned_package=bool(launch and not launch.pinned),
        plain_http_remote=plain_http_remote(url),
        inline_secret=bool(secrets),
        inline_secret_keys=[bounded(s, 128) for s in secrets][:MAX_KEY_NAMES],
        parser_status=PARTIAL if problems else OK,
        reason="; ".join(problems) or None,
        redaction="metadata_only",
    )
    return record


def _transport(declared: str | None, url: str | None, http_url: bool, command: str | None) -> str:
    """Explicit type wins; else inferred: ws(s) URL, `sse` in the URL, http(s) URL, command."""
    if declared:
        mapped = _TRANSPORTS.get(declared.replace(" ", ""))
        if mapped == "http" and url and "/sse" in url.lower() and declared == "remote":
            return "sse"
        return mapped or "unknown"
    if http_url:
        return "http"
    if url:
        scheme = url_host(url)[0]
        if scheme in ("ws", "wss"):
            return "websocket"
        if "sse" in url.lower().rsplit("?", 1)[0].rsplit("/", 1)[-1] or "/sse" in url.lower():
            return "sse"
        if scheme in ("http", "https"):
            return "http"
    if command:
        return "stdio"
    return "unknown"


def mcp_records(source: ConfigSource, block: McpBlock, redactor: Redactor) -> list[dict[str, Any]]:
    """Records for every entry of `block`."""
    return [server_record(source, entry, redactor) for entry in block.entries]
