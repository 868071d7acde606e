"""The dashboard's index: per log file, what the overview, sessions and token pages need.

One entry per file of a stream, keyed by the file's identity (device, inode and a hash of
its first bytes) and the size indexed so far. A file that grew is read from where the
index stopped (the active file between two page views); a renamed file (rotation) keeps its
entry; a new or rewritten file is read whole. Entries hold session tallies and usage rows
(`beacon.audit.sessions` / `beacon.audit.usage`, so the numbers are those of `beacon logs
sessions`), event counts per day, action and harness, and the file's time range, which
lets time-windowed searches skip files. Entries are kept as JSON under the state
directory (`dashboard/index/<log dir hash>/`, 0700/0600), never in the log directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from beacon.audit.query import Filter, normal_timestamp
from beacon.audit.reader import LogFile, chunks_at, snapshot
from beacon.audit.sessions import SessionTally
from beacon.audit.usage import UsageKey, UsageRow, add_usage

FORMAT = 2
HEAD_BYTES = 4096


@dataclass
class Progress:
    """How far an index update is: bytes read of the bytes it has to read."""

    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def percent(self) -> int:
        """Whole percent done (100 when there was nothing to read)."""
        return 100 if self.total <= 0 else min(100, int(100 * self.done / self.total))


@dataclass
class FileEntry:
    """What the index knows about one file of a stream."""

    ident: tuple[int, int]
    head: str  # sha256 of the first `head_bytes` bytes (compressed bytes for gzip)
    head_bytes: int
    compressed: bool
    size: int  # bytes indexed: plain files up to the last complete line; gzip: the file's size
    path: str = ""
    mtime_ns: int = 0  # when the file was last changed, as of the last read
    lines: int = 0
    events: int = 0
    unreadable: int = 0
    first: str = ""
    last: str = ""
    days: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    harnesses: Counter[str] = field(default_factory=Counter)
    tallies: dict[str, SessionTally] = field(default_factory=dict)
    usage: dict[UsageKey, UsageRow] = field(default_factory=dict)
    prompts: dict[str, list[str]] = field(default_factory=dict)  # session: [time, first prompt]

    def add_events(self, events: Iterable[dict[str, Any]]) -> None:
        """Count parsed events of this file (in file order)."""
        batch = []
        for event in events:
            batch.append(event)
            self.events += 1
            stamp = event.get("timestamp")
            if isinstance(stamp, str) and stamp:
                stamp = normal_timestamp(stamp)
                self.first = min(self.first, stamp) if self.first else stamp
                self.last = max(self.last, stamp)
                self.days[stamp[:10]] += 1
            meta = event.get("event")
            action = meta.get("action") if isinstance(meta, dict) else None
            self.actions[action if isinstance(action, str) else ""] += 1
            harness = event.get("harness")
            name = harness.get("name") if isinstance(harness, dict) else None
            self.harnesses[name if isinstance(name, str) else ""] += 1
            session = event.get("session")
            sid = session.get("id") if isinstance(session, dict) else None
            if isinstance(sid, str) and sid:
                tally = self.tallies.get(sid)
                if tally is None:
                    tally = self.tallies[sid] = SessionTally(sid)
                tally.add(event)
                note_prompt(self.prompts, sid, event)
        add_usage(self.usage, batch)

    def to_json(self) -> dict[str, Any]:
        """The entry as stored."""
        return {
            "format": FORMAT,
            "ident": list(self.ident),
            "head": self.head,
            "head_bytes": self.head_bytes,
            "compressed": self.compressed,
            "size": self.size,
            "path": self.path,
            "mtime_ns": self.mtime_ns,
            "lines": self.lines,
            "events": self.events,
            "unreadable": self.unreadable,
            "first": self.first,
            "last": self.last,
            "days": dict(self.days),
            "actions": dict(self.actions),
            "harnesses": dict(self.harnesses),
            "tallies": [t.state() for t in self.tallies.values()],
            "prompts": self.prompts,
            "usage": [
                [
                    k.session,
                    k.source,
                    k.day,
                    k.model,
                    k.harness,
                    r.input_tokens,
                    r.output_tokens,
                    r.cost_usd,
                    r.events,
                ]
                for k, r in self.usage.items()
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FileEntry:
        """An entry as stored (`ValueError`/`KeyError`/`TypeError` when it is not one)."""
        if doc.get("format") != FORMAT:
            raise ValueError("index entry of another format")
        dev, ino = doc["ident"]
        entry = cls(
            (int(dev), int(ino)),
            str(doc["head"]),
            int(doc["head_bytes"]),
            bool(doc["compressed"]),
            int(doc["size"]),
            str(doc["path"]),
            int(doc["mtime_ns"]),
            int(doc["lines"]),
            int(doc["events"]),
            int(doc["unreadable"]),
            str(doc["first"]),
            str(doc["last"]),
            Counter(doc["days"]),
            Counter(doc["actions"]),
            Counter(doc["harnesses"]),
        )
        entry.prompts = {str(k): [str(v[0]), str(v[1])] for k, v in doc["prompts"].items()}
        for state in doc["tallies"]:
            tally = SessionTally.from_state(state)
            entry.tallies[tally.summary.id] = tally
        for row in doc["usage"]:
            key = UsageKey(*(str(v) for v in row[:5]))
            entry.usage[key] = UsageRow(int(row[5]), int(row[6]), float(row[7]), int(row[8]))
        return entry


@dataclass
class IndexView:
    """A stream's index merged over its files (oldest first): what the pages read."""

    files: list[FileEntry]
    built: float  # time.time() of the update that produced it

    @property
    def events(self) -> int:
        """Events in the stream."""
        return sum(f.events for f in self.files)

    @property
    def bytes(self) -> int:
        """Bytes indexed."""
        return sum(f.size for f in self.files)

    @property
    def unreadable(self) -> int:
        """Lines that were not JSON events."""
        return sum(f.unreadable for f in self.files)

    def counter(self, name: str) -> Counter[str]:
        """`days`, `actions` or `harnesses`, summed over the files."""
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(getattr(f, name))
        return total

    def tallies(self) -> dict[str, SessionTally]:
        """Session tallies merged across files (fresh copies: callers may keep them)."""
        merged: dict[str, SessionTally] = {}
        for f in self.files:
            for sid, tally in f.tallies.items():
                copy = SessionTally.from_state(tally.state())
                if sid in merged:
                    merged[sid].merge(copy)
                else:
                    merged[sid] = copy
        return merged

    def first_prompts(self) -> dict[str, str]:
        """Each session's first prompt (clipped), across files."""
        earliest: dict[str, list[str]] = {}
        for f in self.files:
            for sid, (stamp, text) in f.prompts.items():
                if sid not in earliest or stamp < earliest[sid][0]:
                    earliest[sid] = [stamp, text]
        return {sid: text for sid, (_, text) in earliest.items()}

    def usage(self) -> dict[UsageKey, UsageRow]:
        """Usage rows summed across files."""
        rows: dict[UsageKey, UsageRow] = {}
        for f in self.files:
            for key, row in f.usage.items():
                rows.setdefault(key, UsageRow()).add(row)
        return rows

    def keep(self, where: Filter) -> Callable[[LogFile], bool]:
        """A test for `search(keep=)`: False for a file the index shows cannot hold a match
        (all its events outside the time window, or none of the wanted sessions). Files the
        index does not know, or that grew since, are always read."""
        by_ident = {f.ident: f for f in self.files}

        def keep(log_file: LogFile) -> bool:
            entry = by_ident.get(log_file.ident)
            if entry is None or (not log_file.compressed and log_file.size != entry.size):
                return True
            # An event without a timestamp (or session) never passes a window (or session)
            # filter, so the file's range and session ids decide.
            if where.since is not None or where.until is not None:
                if not entry.first:
                    return False
                if where.since is not None and entry.last < where.since:
                    return False
                if where.until is not None and entry.first >= where.until:
                    return False
            wanted = where.sessions
            return not wanted or any(sid.startswith(s) for s in wanted for sid in entry.tallies)

        return keep


PROMPT_CHARS = 300


def note_prompt(prompts: dict[str, list[str]], session: str, event: dict[str, Any]) -> None:
    """Keep `event`'s prompt text when it is the session's earliest seen (not a duplicate)."""
    meta = event.get("event")
    if not isinstance(meta, dict) or meta.get("action") != "prompt.submitted":
        return
    if meta.get("duplicate_of"):
        return
    prompt = event.get("prompt")
    text = prompt.get("text") if isinstance(prompt, dict) else None
    stamp = event.get("timestamp")
    if not isinstance(text, str) or not text.strip() or not isinstance(stamp, str):
        return
    stamp = normal_timestamp(stamp)
    known = prompts.get(session)
    if known is None or stamp < known[0]:
        prompts[session] = [stamp, " ".join(text.split())[:PROMPT_CHARS]]


def _head(path: Path, length: int) -> str:
    """sha256 of the first `length` bytes of the file as stored (compressed or not)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read(length)).hexdigest()
    except OSError:
        return ""


class LogIndex:
    """The index of one log directory's streams, kept under `state_dir`."""

    def __init__(self, log_dir: Path, state_dir: Path) -> None:
        self.log_dir = log_dir
        key = hashlib.sha256(str(log_dir.expanduser().resolve()).encode()).hexdigest()[:16]
        self.state_dir = state_dir
        self.root = state_dir / "dashboard" / "index" / key
        self._entries: dict[str, dict[tuple[int, int], FileEntry]] = {}
        self._locks = {stream: threading.Lock() for stream in ("runtime", "inventory")}
        self.progress: dict[str, Progress] = {}
        self.save_error: str | None = None

    # -- storage -----------------------------------------------------------------------------
    def _path(self, stream: str, ident: tuple[int, int]) -> Path:
        return self.root / f"{stream}.{ident[0]}.{ident[1]}.json"

    def _load(self, stream: str) -> dict[tuple[int, int], FileEntry]:
        entries: dict[tuple[int, int], FileEntry] = {}
        if not self.root.is_dir():
            return entries
        for leftover in self.root.glob(".tmp-*"):  # a write cut short by an exit
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > 60:  # not another one's, writing
                    leftover.unlink()
        for path in self.root.glob(f"{stream}.*.json"):
            try:
                entry = FileEntry.from_json(orjson.loads(path.read_bytes()))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a cache: an entry that does not read is rebuilt from the log
            entries[entry.ident] = entry
        return entries

    def _save(self, stream: str, entry: FileEntry) -> None:
        """Keep an entry on disk; when that fails (a read-only state directory) the index
        still works, in memory, and says why it is not kept."""
        try:
            self._write(stream, entry)
        except OSError as exc:
            self.save_error = f"cannot keep the index in {self.root}: {exc.strerror or exc}"
        else:
            self.save_error = None

    def _write(self, stream: str, entry: FileEntry) -> None:
        if not self.root.is_dir():
            os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
            folder = self.state_dir
            for part in self.root.relative_to(self.state_dir).parts:
                folder /= part
                folder.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(orjson.dumps(entry.to_json()))
            os.replace(tmp, self._path(stream, entry.ident))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _forget(self, stream: str, ident: tuple[int, int]) -> None:
        with contextlib.suppress(OSError):
            self._path(stream, ident).unlink(missing_ok=True)

    # -- updating ----------------------------------------------------------------------------
    def update(self, stream: str, *, save: bool = True) -> IndexView:
        """Bring the stream's index up to date with its files and return it (blocking)."""
        with self._locks.setdefault(stream, threading.Lock()):
            if stream not in self._entries:
                self._entries[stream] = self._load(stream)
            known = self._entries[stream]
            progress = self.progress[stream] = Progress()
            with snapshot(self.log_dir, stream) as snap:
                plan: list[tuple[LogFile, FileEntry]] = []
                for log_file in snap.files:
                    entry = self._resume(known.get(log_file.ident), log_file)
                    plan.append((log_file, entry))
                    progress.total += _to_read(entry, log_file)
                current: list[FileEntry] = []
                for log_file, entry in plan:
                    if _to_read(entry, log_file):
                        self._read(entry, log_file, progress)
                        if save:
                            self._save(stream, entry)
                    entry.path = str(log_file.path)
                    known[entry.ident] = entry
                    current.append(entry)
            present = {e.ident for e in current}
            for ident in [i for i in known if i not in present]:
                del known[ident]
                if save:
                    self._forget(stream, ident)
            progress.done = progress.total
            return IndexView(current, time.time())

    @staticmethod
    def _resume(entry: FileEntry | None, log_file: LogFile) -> FileEntry:
        """The entry to continue from, or a new one when the file is new or was rewritten:
        another first bytes, shorter than indexed, or changed at the same size."""
        if entry is not None and entry.compressed == log_file.compressed:
            info = _stat(log_file)
            stored = info.st_size if log_file.compressed else log_file.size
            same_head = _head(log_file.path, entry.head_bytes) == entry.head
            touched = info.st_mtime_ns != entry.mtime_ns and entry.size == stored
            grown = not entry.compressed and entry.size < stored
            if same_head and not touched and (entry.size == stored or grown):
                return entry
        return FileEntry(log_file.ident, "", 0, log_file.compressed, 0, str(log_file.path))

    @staticmethod
    def _read(entry: FileEntry, log_file: LogFile, progress: Progress) -> None:
        """Read what the entry has not seen (complete lines only) and count it."""
        end = entry.size
        for offset, chunk in chunks_at(log_file, entry.size):
            progress.done += len(chunk)
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                break  # a torn last line: counted once it is complete
            end = offset + cut
            lines = chunk[:cut].split(b"\n")
            lines.pop()
            entry.lines += len(lines)
            parsed = []
            for line in lines:
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    entry.unreadable += bool(line.strip())
                    continue
                if isinstance(event, dict):
                    parsed.append(event)
                else:
                    entry.unreadable += 1
            entry.add_events(parsed)
        info = _stat(log_file)
        entry.size = info.st_size if log_file.compressed else end
        entry.mtime_ns = info.st_mtime_ns
        entry.head_bytes = min(HEAD_BYTES, entry.size)
        entry.head = _head(log_file.path, entry.head_bytes)


def _stat(log_file: LogFile) -> os.stat_result:
    """The open file's status (by its handle: the path may be renamed meanwhile)."""
    handle: Any = log_file.handle
    fileno = getattr(handle, "fileno", None)
    return os.fstat(fileno()) if fileno is not None else os.stat(log_file.path)


def _to_read(entry: FileEntry, log_file: LogFile) -> int:
    """Bytes an update reads for this file (gzip: its compressed size, a rough measure)."""
    if log_file.compressed:
        return 0 if entry.size else _stat(log_file).st_size * 8
    return max(0, log_file.size - entry.size)
