"""The query engine of `beacon logs` (and the dashboard's `/api/`): filter a stream's events.

A `Filter` says which events to keep (time window, session, harness, action, category,
minimum severity, free text). `search` walks the active file and every archive, newest
first by default, and yields `Match`es. It is fast because most lines are never parsed:
each filter contributes byte strings any matching line must contain, which are looked up
in whole chunks of the file first; only lines that contain them are parsed with orjson and
checked exactly. Each match knows its `Position` (file identity and byte offset), so a
reader can page on from it, or come back to it, across rotation renames.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from beacon.audit.reader import LogFile, chunks_at, chunks_reversed_at, snapshot
from beacon.errors import UsageError
from beacon.schema.actions import Severity

SEVERITY_RANK = {level.value: rank for rank, level in enumerate(Severity)}
_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TIMESTAMP_PREFIX = b'{"timestamp":"'


def parse_time(text: str, now: datetime | None = None) -> str:
    """A time bound as the logs' timestamp text (UTC, milliseconds).

    Accepts RFC 3339 / ISO 8601 (`2026-12-01`, `2026-12-01T10:00`, `…Z`, `…+02:00`; no
    offset means UTC, as in the logs), relative ages (`90s`, `15m`, `2h`, `7d`, `1w`) and
    `now`, `today`, `yesterday` (UTC midnight).
    """
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value == "now":
        moment = now
    elif value in ("today", "yesterday"):
        moment = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if value == "yesterday":
            moment -= timedelta(days=1)
    elif match := _RELATIVE.match(value):
        moment = now - timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    else:
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"cannot read time {text!r}: use ISO 8601 (2026-12-01T10:00Z), "
                "an age (15m, 2h, 7d) or now/today/yesterday"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def normal_timestamp(value: str) -> str:
    """An event's timestamp comparable with `parse_time`'s (other precisions normalized)."""
    if len(value) == 24 and value.endswith("Z"):
        return value
    try:
        return parse_time(value)
    except UsageError:
        return value


@dataclass(frozen=True)
class Filter:
    """Which events to keep; every given criterion must hold (values of one are OR-ed).

    `since` is inclusive and `until` exclusive (timestamp text from `parse_time`).
    `sessions` match an id or its prefix; `harnesses` a name or its family (`claude`
    matches `claude_code`); `actions` exactly or by a `prefix.*` pattern; `severity` is
    a minimum; `text` is found case-insensitively anywhere in the line's JSON text.
    """

    since: str | None = None
    until: str | None = None
    sessions: tuple[str, ...] = ()
    harnesses: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severity: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.severity is not None and self.severity not in SEVERITY_RANK:
            known = ", ".join(SEVERITY_RANK)
            raise UsageError(f"unknown severity {self.severity!r} (known: {known})")

    @classmethod
    def parse(
        cls,
        *,
        since: str | None = None,
        until: str | None = None,
        sessions: Iterable[str] = (),
        harnesses: Iterable[str] = (),
        actions: Iterable[str] = (),
        categories: Iterable[str] = (),
        severity: str | None = None,
        text: str | None = None,
        now: datetime | None = None,
    ) -> Filter:
        """A filter from user input (command-line flags, the dashboard's query string):
        times through `parse_time`, empty values ignored."""

        def listed(values: Iterable[str]) -> tuple[str, ...]:
            return tuple(v.strip() for v in values if v and v.strip())

        return cls(
            since=parse_time(since, now) if since and since.strip() else None,
            until=parse_time(until, now) if until and until.strip() else None,
            sessions=listed(sessions),
            harnesses=listed(harnesses),
            actions=listed(actions),
            categories=listed(categories),
            severity=severity.strip().lower() if severity and severity.strip() else None,
            text=text or None,
        )

    @property
    def empty(self) -> bool:
        """True when the filter keeps every event."""
        return self == Filter()

    def matches(self, event: dict[str, Any], line: bytes | None = None) -> bool:
        """Whether a parsed event passes (`line`, its raw JSON, for the text criterion)."""
        if self.since is not None or self.until is not None:
            stamp = event.get("timestamp")
            if not isinstance(stamp, str):
                return False
            stamp = normal_timestamp(stamp)
            if self.since is not None and stamp < self.since:
                return False
            if self.until is not None and stamp >= self.until:
                return False
        meta = event.get("event")
        meta = meta if isinstance(meta, dict) else {}
        if self.sessions:
            session = _text(event, "session", "id")
            if not any(session.startswith(s) for s in self.sessions if s) or not session:
                return False
        if self.harnesses:
            name = _text(event, "harness", "name")
            if not any(name == h or name.startswith(h + "_") for h in self.harnesses):
                return False
        if self.actions and not any(_action_matches(meta.get("action"), a) for a in self.actions):
            return False
        if self.categories and meta.get("category") not in self.categories:
            return False
        if self.severity is not None:
            rank = SEVERITY_RANK.get(str(event.get("severity")), -1)
            if rank < SEVERITY_RANK[self.severity]:
                return False
        if self.text:
            raw = line if line is not None else orjson.dumps(event)
            if not _text_in(raw, self.text):
                return False
        return True


def _text(event: dict[str, Any], key: str, sub: str) -> str:
    block = event.get(key)
    value = block.get(sub) if isinstance(block, dict) else None
    return value if isinstance(value, str) else ""


def _action_matches(action: object, pattern: str) -> bool:
    if not isinstance(action, str):
        return False
    if pattern.endswith("*"):
        return action.startswith(pattern[:-1])
    return action == pattern


def _escaped(text: str) -> bytes:
    """`text` as it appears inside a JSON string written by Beacon (orjson or stdlib)."""
    return orjson.dumps(text)[1:-1]


def _text_in(line: bytes, text: str) -> bool:
    needle = _escaped(text)
    if needle.isascii():
        return needle.lower() in line.lower()
    return needle.decode("utf-8").casefold() in line.decode("utf-8", "replace").casefold()


class _Plan:
    """A filter compiled to byte tests: what a line must contain before it is parsed."""

    def __init__(self, where: Filter) -> None:
        self.where = where
        self.scan: bytes | None = None  # looked up in whole chunks (lowercased when `fold`)
        self.fold = False
        self.groups: list[tuple[bytes, ...]] = []  # each: the line contains one of them
        if where.text:
            needle = _escaped(where.text)
            if needle.isascii():
                self.scan, self.fold = needle.lower(), True
        for values, render in (
            (where.sessions, _escaped),
            (where.actions, lambda v: b'"action":"' + _escaped(v.rstrip("*"))),
            (where.harnesses, lambda v: b'"name":"' + _escaped(v)),
            (where.categories, lambda v: b'"category":"' + _escaped(v) + b'"'),
        ):
            if values and all(values):
                group = tuple(render(v) for v in values)
                if self.scan is None and len(group) == 1:
                    self.scan = group[0]
                else:
                    self.groups.append(group)

    def candidates(self, chunk: bytes) -> list[tuple[int, bytes]]:
        """The lines of a chunk that may match, oldest first, with their offsets in it."""
        scan = self.scan
        lines: list[tuple[int, bytes]] = []
        if scan is None:
            pos = 0
            for line in chunk.split(b"\n"):
                lines.append((pos, line))
                pos += len(line) + 1
        else:
            hay = chunk.lower() if self.fold else chunk
            pos = 0
            while (at := hay.find(scan, pos)) >= 0:
                start = chunk.rfind(b"\n", 0, at) + 1
                end = chunk.find(b"\n", at)
                if end < 0:
                    end = len(chunk)
                lines.append((start, chunk[start:end]))
                pos = end + 1
        if self.groups:
            groups = self.groups
            lines = [c for c in lines if all(any(n in c[1] for n in g) for g in groups)]
        where = self.where
        if where.since is not None or where.until is not None:
            lines = [c for c in lines if self._in_window(c[1])]
        return lines

    def _in_window(self, line: bytes) -> bool:
        """A quick look at a leading timestamp; lines without one are left to `matches`."""
        if not line.startswith(_TIMESTAMP_PREFIX) or line[38:40] != b'",':
            return True
        stamp = line[14:38].decode("ascii", "replace")
        where = self.where
        if where.since is not None and stamp < where.since:
            return False
        return not (where.until is not None and stamp >= where.until)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a line starts: its file's identity (device, inode) and byte offset in it.

    The identity survives rotation renames (`runtime.jsonl` → `.1`); for gzip archives the
    offset counts decompressed bytes.
    """

    ident: tuple[int, int]
    offset: int


@dataclass(frozen=True, slots=True)
class Match:
    """One matching event: parsed, its line as stored, the file it came from, and where in
    that file its line starts."""

    event: dict[str, Any]
    line: bytes
    path: Path
    position: Position | None = None


@dataclass
class ScanStats:
    """What a search read: lines (counted only when stats are asked for) and bytes scanned,
    lines parsed, lines that did not parse."""

    lines: int = 0
    bytes: int = 0
    parsed: int = 0
    unreadable: int = 0
    files: list[str] = field(default_factory=list)


class PositionGone(UsageError):
    """A position to continue from names a file that is no longer in the stream."""


def search_files(
    files: Sequence[LogFile],
    where: Filter,
    *,
    newest_first: bool = True,
    stats: ScanStats | None = None,
    after: Position | None = None,
) -> Iterator[Match]:
    """Matches in `files` (given oldest first), newest first unless told otherwise.

    `after`: continue past this line in reading order (the last match of a previous page):
    with lines older than it when newest first, newer than it otherwise. Raises
    `PositionGone` when its file left the stream (rotated out, or compressed in place).
    """
    plan = _Plan(where)
    counting = stats is not None  # counting lines is a pass over the data: only on request
    stats = stats if stats is not None else ScanStats()
    ordered = list(reversed(files)) if newest_first else list(files)
    if after is not None:
        at = next((i for i, f in enumerate(ordered) if f.ident == after.ident), None)
        if at is None:
            raise PositionGone("the log rotated past this position: start from the beginning")
        ordered = ordered[at:]
    for log_file in ordered:
        stats.files.append(str(log_file.path))
        ident = log_file.ident
        chunks: Iterable[tuple[int, bytes]]
        skip_to = -1
        if newest_first:
            resume = after.offset if after is not None and after.ident == ident else None
            chunks = chunks_reversed_at(log_file, resume)
        elif after is not None and after.ident == ident:
            skip_to = after.offset  # the line at `after` itself is left out below
            chunks = chunks_at(log_file, after.offset)
        else:
            chunks = chunks_at(log_file)
        for base, chunk in chunks:
            if counting:
                stats.lines += chunk.count(b"\n")
            stats.bytes += len(chunk)
            lines = plan.candidates(chunk)
            if newest_first:
                lines.reverse()
            for start, line in lines:
                if not line or base + start == skip_to:
                    continue
                stats.parsed += 1
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    stats.unreadable += 1
                    continue
                if isinstance(event, dict) and where.matches(event, line):
                    yield Match(event, line, log_file.path, Position(ident, base + start))


def search(
    log_dir: Path,
    where: Filter,
    *,
    stream: str = "runtime",
    newest_first: bool = True,
    limit: int | None = None,
    stats: ScanStats | None = None,
    after: Position | None = None,
    keep: Callable[[LogFile], bool] | None = None,
) -> list[Match]:
    """Matches in a stream of the log directory (active file and archives), at most `limit`.

    `after` continues a previous page (see `search_files`); `keep` may skip whole files that
    cannot hold a match (e.g. by an index of their time range).
    """
    found: list[Match] = []
    matches = iter_search(
        log_dir,
        where,
        stream=stream,
        newest_first=newest_first,
        stats=stats,
        after=after,
        keep=keep,
    )
    for match in matches:
        found.append(match)
        if limit is not None and len(found) >= limit:
            break
    matches.close()
    return found


def iter_search(
    log_dir: Path,
    where: Filter,
    *,
    stream: str = "runtime",
    newest_first: bool = True,
    stats: ScanStats | None = None,
    after: Position | None = None,
    keep: Callable[[LogFile], bool] | None = None,
) -> Generator[Match, None, None]:
    """`search` one match at a time: the files stay open until the generator is closed."""
    with snapshot(log_dir, stream) as snap:
        files = [f for f in snap.files if keep(f)] if keep is not None else snap.files
        yield from search_files(files, where, newest_first=newest_first, stats=stats, after=after)


def event_at(log_dir: Path, position: Position, *, stream: str = "runtime") -> Match | None:
    """The event whose line starts at `position`, or None (gone, or not an event)."""
    from beacon.audit.reader import line_at

    with snapshot(log_dir, stream) as snap:
        for log_file in snap.files:
            if log_file.ident != position.ident:
                continue
            line = line_at(log_file, position.offset)
            if line is None:
                return None
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                return None
            return Match(event, line, log_file.path, position) if isinstance(event, dict) else None
    return None
