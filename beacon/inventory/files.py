"""Read candidate config files safely: stat, hash and parse, never fail the run.

A missing file is skipped; an unreadable, oversized or malformed one is recorded with
`parser_status` (`unreadable`, `unsupported`, `parse_failed`) and a reason that names the
problem and its position, never the file's text (a YAML error message quotes the line).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.inventory.fingerprint import bounded, path_hash, tagged_sha256
from beacon.inventory.scope import Scope
from beacon.inventory.source import ConfigSource, Runtime
from beacon.schema.event import format_timestamp

OK, PARTIAL, PARSE_FAILED, UNREADABLE, UNSUPPORTED = (
    "ok",
    "partial",
    "parse_failed",
    "unreadable",
    "unsupported",
)
_POSITION = re.compile(r"line (\d+), column (\d+)")


@dataclass
class ParsedFile:
    """One existing config file: its record (metadata) and, when parsed, its document."""

    source: ConfigSource
    record: dict[str, Any]
    document: dict[str, Any] | None = None
    text: str | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None


@dataclass
class Survey:
    """Every existing config file of every runtime, read once per inventory."""

    scope: Scope
    files: list[ParsedFile] = field(default_factory=list)


def modified_at(st: os.stat_result) -> str:
    """A file's mtime as an event timestamp (UTC, milliseconds)."""
    return format_timestamp(int(st.st_mtime_ns))


def base_record(source: ConfigSource) -> dict[str, Any]:
    """The fields every config record has, before the file is looked at."""
    return {
        "runtime": source.runtime,
        "path": bounded(str(source.path)),
        "path_hash": path_hash(source.path),
        "scope": source.scope,
        "config_kind": source.kind,
        "parser_mode": "metadata_only" if source.parser == "text" else source.parser,
        **file_fields(),
        "mcp_server_count": 0,
        "beacon_managed": False,
        "redaction": "metadata_only",
    }


def file_fields() -> dict[str, Any]:
    """The file fields of a config or skill record before the file is read (`read_into`)."""
    return {
        "exists": True,
        "readable": True,
        "reason": None,
        "parser_status": OK,
        "file_sha256": None,
        "size_bytes": None,
        "modified_at": None,
    }


def read_into(
    record: dict[str, Any], data: bytes | None, st: os.stat_result | None, problem: str
) -> None:
    """Set a record's file fields from what `read_bytes` returned: size, time and hash, or
    why the file could not be read (too large or not a regular file: unsupported)."""
    if st is not None:
        record["size_bytes"] = st.st_size
        record["modified_at"] = modified_at(st)
    if data is None:
        record["readable"] = problem == "too_large"
        record["reason"] = problem
        unsupported = problem in ("too_large", "not_regular_file")
        record["parser_status"] = UNSUPPORTED if unsupported else UNREADABLE
    else:
        record["file_sha256"] = tagged_sha256(data)


def read_bytes(path: Path, max_bytes: int) -> tuple[bytes | None, os.stat_result | None, str]:
    """(content, stat, problem): content None with a problem code when it cannot be read.

    Problem codes: `not_found`, `symlink_loop`, `is_directory`, `not_regular_file`,
    `too_large`, `permission_denied`, or an errno name. Only regular files are opened, so a
    FIFO planted at a config path cannot hang the run.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, None, "not_found"
    except NotADirectoryError:
        return None, None, "not_found"
    except OSError as exc:
        return None, None, _errno_reason(exc)
    if stat.S_ISDIR(st.st_mode):
        return None, st, "is_directory"
    if not stat.S_ISREG(st.st_mode):
        return None, st, "not_regular_file"
    if st.st_size > max_bytes:
        return None, st, "too_large"
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return None, st, _errno_reason(exc)
    if len(data) > max_bytes:
        return None, st, "too_large"
    return data, st, ""


def _errno_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink_loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    return errno.errorcode.get(exc.errno or 0, type(exc).__name__).lower()


def read_config(source: ConfigSource, max_bytes: int) -> ParsedFile | None:
    """Stat, hash and parse one candidate; None when it does not exist."""
    data, st, problem = read_bytes(source.path, max_bytes)
    if problem == "not_found":
        return None
    record = base_record(source)
    read_into(record, data, st, problem)
    if data is None:
        return ParsedFile(source, record)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        record["parser_status"], record["reason"] = PARSE_FAILED, "not_utf8"
        return ParsedFile(source, record)
    if source.parser == "text":
        return ParsedFile(source, record, None, text)
    document, reason = parse_text(text, source.parser)
    if reason:
        record["parser_status"], record["reason"] = PARSE_FAILED, reason
        return ParsedFile(source, record, None, text)
    return ParsedFile(source, record, document, text)


def parse_text(text: str, parser: str) -> tuple[dict[str, Any] | None, str]:
    """(document, problem): a mapping, or a problem naming the format and the position."""
    if not text.strip():
        return {}, ""  # runtimes treat an empty settings file as no settings
    try:
        document = _parse(text, parser)
    except Exception as exc:  # every parser has its own exception tree
        return None, f"invalid {parser}{_position(exc)}"
    if not isinstance(document, dict):
        return None, f"invalid {parser}: top level is not an object"
    return document, ""


def _parse(text: str, parser: str) -> Any:
    if parser == "json":
        return json.loads(text)
    if parser == "jsonc":
        import pyjson5

        return pyjson5.decode(text)
    if parser == "toml":
        return tomllib.loads(text)
    if parser == "yaml":
        import yaml

        return yaml.safe_load(text)
    raise ValueError(f"unknown parser {parser}")


def _position(exc: Exception) -> str:
    """` at line L, column C` when the parser says where; never the offending text."""
    if isinstance(exc, json.JSONDecodeError):
        return f" at line {exc.lineno}, column {exc.colno}"
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f" at line {mark.line + 1}, column {mark.column + 1}"
    found = _POSITION.search(str(exc))
    return f" at line {found.group(1)}, column {found.group(2)}" if found else ""


def survey(scope: Scope, runtimes: list[Runtime], max_bytes: int) -> Survey:
    """Read every existing candidate of `runtimes` once; a path shared by two scopes (the
    working directory is the home) is read for the first, user-scope declaration only."""
    result = Survey(scope)
    seen: set[tuple[str, str]] = set()
    for runtime in runtimes:
        for source in runtime.config_sources(scope):
            key = (source.runtime, _identity(source.path))
            if key in seen:
                continue
            seen.add(key)
            parsed = read_config(source, max_bytes)
            if parsed is not None:
                result.files.append(parsed)
    return result


def _identity(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)


def list_files(folder: Path, suffix: str, limit: int = 50) -> list[Path]:
    """Files ending in `suffix` directly in `folder`, sorted; none when it is unreadable."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(suffix))
    except OSError:
        return []
    return [folder / n for n in names[:limit]]
