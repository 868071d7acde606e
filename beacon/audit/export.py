"""Exports for auditors: a time window of a stream as `.jsonl.gz`, re-verifiable on its own.

An export holds the lines exactly as stored, from the first line of the window to the last
(in write order, so the chain has no gap: lines in between whose own timestamp lies
outside the window come along and are counted), and ends with a verification record: one
more sealed line, `{"beacon_export": {…}}`, chained onto the last exported line and naming
the first and last hash and the counts. `beacon verify FILE.jsonl.gz` checks both.
"""

from __future__ import annotations

import gzip
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from beacon.audit.query import normal_timestamp
from beacon.audit.reader import LogFile, lines_of, snapshot
from beacon.audit.verify import EXPORT_KEY
from beacon.errors import ConfigError, UsageError
from beacon.logfiles.chain import GENESIS, ChainKey, Link, Sealer, split_line
from beacon.schema.event import format_timestamp

_PREFIX = b'{"timestamp":"'


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    lines: int
    chained: int
    unchained: int
    in_window: int
    first: Link | None
    last: Link | None
    record: dict[str, Any]


def _stamp(line: bytes) -> str | None:
    if line.startswith(_PREFIX) and line[38:40] == b'",':
        return line[14:38].decode("ascii", "replace")
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = event.get("timestamp") if isinstance(event, dict) else None
    return normal_timestamp(value) if isinstance(value, str) else None


def _in(stamp: str | None, since: str | None, until: str | None) -> bool:
    if stamp is None:
        return False
    return (since is None or stamp >= since) and (until is None or stamp < until)


def _all_lines(files: list[LogFile]) -> Iterator[bytes]:
    for log_file in files:
        for line in lines_of(log_file):
            if line.complete:
                yield line.data


def export(
    log_dir: Path,
    output: Path,
    *,
    since: str | None = None,
    until: str | None = None,
    stream: str = "runtime",
    key: ChainKey | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the lines of `stream` between `since` and `until` to `output` (gzip, 0600).

    Refuses to overwrite `output`. A keyed chain needs its `key`, to seal the record.
    """
    output = Path(output).expanduser()
    if not output.name.endswith(".jsonl.gz"):
        raise UsageError(f"{output}: an export is written as FILE.jsonl.gz")
    if output.exists():
        raise UsageError(f"{output} exists; choose another name")
    with snapshot(log_dir, stream) as snap:
        first_index = last_index = -1
        for index, line in enumerate(_all_lines(snap.files)):
            if _in(_stamp(line), since, until):
                if first_index < 0:
                    first_index = index
                last_index = index
        temp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
                counts = _copy(snap.files, first_index, last_index, since, until, out)
                record = _record(stream, log_dir, since, until, counts, key, now)
                out.write(record[1])
                out.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temp, output)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    lines, chained, unchained, in_window, first, last = counts
    return ExportResult(output, lines, chained, unchained, in_window, first, last, record[0])


_Counts = tuple[int, int, int, int, Link | None, Link | None]


def _copy(
    files: list[LogFile],
    first_index: int,
    last_index: int,
    since: str | None,
    until: str | None,
    out: gzip.GzipFile,
) -> _Counts:
    lines = chained = unchained = in_window = 0
    first: Link | None = None
    last: Link | None = None
    if first_index < 0:
        return lines, chained, unchained, in_window, first, last
    for index, line in enumerate(_all_lines(files)):
        if index < first_index:
            continue
        if index > last_index:
            break
        out.write(line + b"\n")
        lines += 1
        in_window += _in(_stamp(line), since, until)
        parsed = split_line(line)
        if parsed is None:
            unchained += 1
            continue
        chained += 1
        last = parsed[1]
        if first is None:
            first = last
    return lines, chained, unchained, in_window, first, last


def _record(
    stream: str,
    log_dir: Path,
    since: str | None,
    until: str | None,
    counts: _Counts,
    key: ChainKey | None,
    now: datetime | None,
) -> tuple[dict[str, Any], bytes]:
    """The verification record and its sealed line (chained onto the last exported line)."""
    lines, chained, unchained, in_window, first, last = counts
    if last is not None and last.key_id and (key is None or key.key_id != last.key_id):
        raise ConfigError(
            f"the {stream} chain is keyed (key id {last.key_id}): the export needs that key "
            "to seal its verification record (--key-file or $BEACON_AUDIT_KEY)"
        )
    moment = now or datetime.now(UTC)
    record: dict[str, Any] = {
        "version": 1,
        "stream": stream,
        "host": socket.gethostname(),
        "source": str(Path(log_dir).expanduser().resolve()),
        "since": since,
        "until": until,
        "created": format_timestamp(int(moment.timestamp() * 1e9)),
        "lines": chained,
        "unchained": unchained,
        "in_window": in_window,
        "total_lines": lines,
        "first": {"seq": first.seq, "prev": first.prev, "hash": first.hash} if first else None,
        "last": {"seq": last.seq, "hash": last.hash} if last else None,
        "keyed": bool(last and last.key_id),
    }
    body = orjson.dumps({"beacon_export": record}) + b"\n"
    assert body.startswith(EXPORT_KEY)
    sealer = Sealer(key if last is not None and last.key_id else None)
    sealed, _, _ = sealer.seal([body], last.seq if last else 0, last.hash if last else GENESIS)
    return record, sealed[0]
