"""Chain verification: walk a stream's lines oldest → newest and locate every break.

Each sealed line's `hash` is recomputed from its canonical bytes (`beacon.logfiles.chain`)
and must equal the stored one; each line must link to the previous (`prev`, `seq + 1`).
A break is classified by looking a little ahead: an edited line (its hash no longer
matches), a deleted run (a gap in `seq`), an inserted line (the next line links past it),
reordered lines (the missing successor appears later), a truncated tail (a torn last line,
or fewer lines than the head recorded in the lock file) and a restarted chain. Lines written
before the chain existed are counted as unchained and do not fail verification.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from beacon.audit.reader import (
    Line,
    iter_lines,
    lines_of,
    open_file,
    snapshot,
    stream_files,
    stream_path,
)
from beacon.errors import ConfigError
from beacon.logfiles.chain import GENESIS, ChainKey, HeadRecord, Link, Sealer, split_line

WINDOW = 4096
"""Lines looked ahead for a missing successor: a line moved further reads as deleted."""

EXPORT_KEY = b'{"beacon_export":'
_CUT_MARK = b'"shipper":{"line_cut":true'


class Damage(StrEnum):
    """The kinds of damage `beacon verify` names."""

    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED_TAIL = "truncated tail"
    CHAIN_RESTARTED = "chain restarted"
    UNKEYED = "unkeyed"
    UNKNOWN_KEY = "unknown key"
    CUT = "cut"


@dataclass(frozen=True)
class Finding:
    """One break in the chain: its kind, where (file and 1-based line) and what was seen."""

    kind: Damage
    path: str
    line: int
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind.value}: {self.detail}"


@dataclass
class ChainReport:
    """What verifying one stream (or one set of shipped objects) found."""

    name: str
    files: list[str] = field(default_factory=list)
    lines: int = 0
    chained: int = 0
    unchained: int = 0
    keyed: int = 0
    first: Link | None = None
    last: Link | None = None
    record: HeadRecord | None = None
    export: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when no damage was found (unchained lines before the chain are fine)."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for `beacon verify --json`)."""
        return {
            "name": self.name,
            "intact": self.intact,
            "files": self.files,
            "lines": self.lines,
            "chained": self.chained,
            "unchained": self.unchained,
            "keyed": self.keyed,
            "first": _link_dict(self.first),
            "last": _link_dict(self.last),
            "recorded_head": (
                {"seq": self.record.seq, "hash": self.record.hash, "dropped": self.record.dropped}
                if self.record
                else None
            ),
            "export": self.export,
            "findings": [
                {"kind": f.kind.value, "path": f.path, "line": f.line, "detail": f.detail}
                for f in self.findings
            ],
        }


def _link_dict(link: Link | None) -> dict[str, Any] | None:
    if link is None:
        return None
    out: dict[str, Any] = {"seq": link.seq, "prev": link.prev, "hash": link.hash}
    if link.key_id:
        out["key"] = link.key_id
    return out


class Keys:
    """The sealers a verification may use: plain SHA-256 and one per given key."""

    def __init__(self, keys: Sequence[ChainKey] = ()) -> None:
        self.plain = Sealer(sha256=_openssl())
        self.keyed = {key.key_id: Sealer(key, _openssl()) for key in keys}

    @property
    def required(self) -> bool:
        """A key was given: the chain must be keyed (a plain rewrite is a downgrade)."""
        return bool(self.keyed)


def _openssl() -> Any:
    import hashlib

    return hashlib.sha256


@dataclass(slots=True)
class _Entry:
    line: Line
    link: Link | None
    ok: bool  # the stored hash matches the content (False: edited, or unknown key)
    kind: str  # "", "cut", "export"
    unknown_key: bool = False


def _entries(lines: Iterable[Line], keys: Keys) -> Iterator[_Entry]:
    for line in lines:
        parsed = split_line(line.data)
        if parsed is None:
            kind = "cut" if _CUT_MARK in line.data else ""
            yield _Entry(line, None, False, kind)
            continue
        canonical, link = parsed
        kind = "export" if canonical.startswith(EXPORT_KEY) else ""
        if link.key_id:
            sealer = keys.keyed.get(link.key_id)
            if sealer is None:
                if not keys.keyed:
                    raise ConfigError(
                        f"{line.path}:{line.number}: the chain is keyed (key id {link.key_id}); "
                        "pass its key with --key-file or $BEACON_AUDIT_KEY"
                    )
                yield _Entry(line, link, False, kind, unknown_key=True)
                continue
        else:
            sealer = keys.plain
        ok = sealer.digest(link.prev, link.seq, canonical) == link.hash
        yield _Entry(line, link, ok, kind)


class _Walk:
    """The verification state machine over a window of upcoming entries."""

    def __init__(
        self, report: ChainReport, keys: Keys, record: HeadRecord | None, end: Path | None
    ) -> None:
        self.report = report
        self.end = end  # where lines missing at the end would have been
        self.keys = keys
        self.record = record
        self.last: _Entry | None = None  # the last line taken into the chain
        self.want_seq = 0  # what the next line must carry
        self.want_prev: str | None = None  # None: unknown (a cut or destroyed line between)
        self.keyed_seen = False
        self.flagged: set[int] = set()
        self.recent: dict[str, int] = {}  # hash -> seq of lines taken (to spot copies)
        self.export_at: _Entry | None = None
        self.before_export: Link | None = None
        self.final: _Entry | None = None
        self.pre_chain: list[_Entry] = []  # unsealed lines before the first chained one

    def add(self, kind: Damage, at: _Entry | Line, detail: str) -> None:
        line = at.line if isinstance(at, _Entry) else at
        self.report.findings.append(Finding(kind, str(line.path), line.number, detail))

    def take(self, entry: _Entry) -> None:
        """Make `entry` the chain's current end (intact or not, the next line links to it)."""
        link = entry.link
        assert link is not None
        report = self.report
        if self.export_at is not None:
            self.add(Damage.INSERTED, entry, "line after the export's verification record")
        if entry.kind == "export":
            self.export_at, self.before_export = entry, report.last
        if report.first is None:
            report.first = link
        report.last = link
        report.chained += 1
        if link.key_id:
            report.keyed += 1
            self.keyed_seen = True
        elif self.keyed_seen and entry.ok:
            self.add(Damage.UNKEYED, entry, "plain SHA-256 line after keyed lines")
        self.last = entry
        self.want_seq, self.want_prev = link.seq + 1, link.hash
        self.recent[link.hash] = link.seq
        if len(self.recent) > 2 * WINDOW:
            for old in list(self.recent)[:WINDOW]:
                del self.recent[old]

    def skip_one(self) -> None:
        """A line stood in for one seq but its hash is unknown: check only the next seq."""
        self.want_seq += 1
        self.want_prev = None

    def run(self, entries: Iterator[_Entry]) -> None:
        window: deque[_Entry] = deque()
        exhausted = False
        while True:
            while not exhausted and len(window) < WINDOW:
                entry = next(entries, None)
                if entry is None:
                    exhausted = True
                    break
                window.append(entry)
            if not window:
                return
            entry = window.popleft()
            self.report.lines += 1
            self.final = entry
            if not entry.line.complete:
                self.add(Damage.TRUNCATED_TAIL, entry, "the last line is cut short (no newline)")
            elif entry.link is None:
                self.unsealed(entry, window)
            elif not entry.ok:
                self.mismatch(entry, window)
            else:
                self.linked(entry, window)

    def _links(self, link: Link | None) -> bool:
        """Whether `link` is the expected next one."""
        return (
            link is not None
            and link.seq == self.want_seq
            and (self.want_prev is None or link.prev == self.want_prev)
        )

    # -- a line without a valid integrity block ------------------------------------------
    def unsealed(self, entry: _Entry, window: deque[_Entry]) -> None:
        if self.last is None:
            self.pre_chain.append(entry)  # judged when the chain begins (or the lines end)
            return
        nxt = window[0].link if window else None
        if entry.kind == "cut":
            self.add(Damage.CUT, entry, "line replaced by the shipper's cut record; unverifiable")
            self.skip_one()
        elif nxt is not None and nxt.seq == self.want_seq + 1:
            self.add(Damage.EDITED, entry, f"integrity block destroyed (seq {self.want_seq})")
            self.skip_one()
        else:
            self.add(Damage.INSERTED, entry, "line without integrity inside the chain")

    # -- a line whose stored hash does not match its content -----------------------------
    def mismatch(self, entry: _Entry, window: deque[_Entry]) -> None:
        link = entry.link
        assert link is not None
        if entry.unknown_key:
            self.add(Damage.UNKNOWN_KEY, entry, f"sealed with key id {link.key_id}, not given")
        elif self.last is not None and link.seq == self.want_seq and window:
            if self._links(window[0].link):
                self.add(Damage.INSERTED, entry, "line not in the chain (the next line skips it)")
                return
            self.add(Damage.EDITED, entry, f"content does not match its hash (seq {link.seq})")
        else:
            self.add(Damage.EDITED, entry, f"content does not match its hash (seq {link.seq})")
        self.take(entry)  # its stored link still says what the next line must link to

    # -- a well-sealed line: does it link? -----------------------------------------------
    def linked(self, entry: _Entry, window: deque[_Entry]) -> None:
        link = entry.link
        assert link is not None
        last = self.last
        if last is None or last.link is None:
            self.start(entry)
        elif self._links(link):
            self.take(entry)
        elif link.seq == self.want_seq:
            self.add(
                Damage.EDITED,
                last,
                f"the next line (seq {link.seq}) recorded a different hash for this one",
            )
            self.take(entry)
        elif link.seq == 1 and link.prev == GENESIS:
            self.add(Damage.CHAIN_RESTARTED, entry, f"new chain after seq {last.link.seq}")
            self.take(entry)
        elif link.seq > self.want_seq:
            partner = next((c for c in window if c.ok and self._links(c.link)), None)
            if partner is None:
                gap = _span(self.want_seq, link.seq - 1)
                self.add(Damage.DELETED, entry, f"{gap} missing before this one")
                self.take(entry)
                return
            if id(entry) not in self.flagged:
                self.flagged.add(id(entry))
                where = f"{partner.line.path.name}:{partner.line.number}"
                self.add(
                    Damage.REORDERED,
                    entry,
                    f"seq {link.seq} comes before seq {self.want_seq} ({where})",
                )
            # Take the successor now and meet this line again when its turn comes.
            window.remove(partner)
            window.appendleft(entry)
            self.final = partner
            self.take(partner)
        elif link.hash in self.recent:
            self.add(Damage.INSERTED, entry, f"copy of the line with seq {self.recent[link.hash]}")
        elif link.seq == last.link.seq and link.prev == last.link.prev:
            if window and window[0].link is not None and window[0].link.prev == link.hash:
                self.add(Damage.INSERTED, last, "a second line with this seq; the next skips it")
                self.report.chained -= 1  # `entry` replaces the inserted line as the end
                self.take(entry)
            else:
                self.add(Damage.INSERTED, entry, f"a second line with seq {link.seq}")
        else:
            self.add(
                Damage.INSERTED, entry, f"seq {link.seq} does not continue seq {self.want_seq - 1}"
            )

    def start(self, entry: _Entry) -> None:
        """The first chained line: genesis, or the oldest one rotation kept."""
        link = entry.link
        assert link is not None
        self._judge_pre_chain(genesis=link.prev == GENESIS)
        record = self.record
        if link.prev != GENESIS and record is not None and record.dropped + 1 < link.seq:
            gap = _span(record.dropped + 1, link.seq - 1)
            self.add(
                Damage.DELETED,
                entry,
                f"{gap} missing before the oldest line (rotation dropped only up to seq "
                f"{record.dropped})",
            )
        self.take(entry)

    def _judge_pre_chain(self, genesis: bool) -> None:
        """Unsealed lines before the chain: from before it existed, or slipped in?

        Only a chain that begins (genesis) can have lines from before it, and no more than
        the writers counted when it began.
        """
        lines, self.pre_chain = self.pre_chain, []
        if not lines:
            return
        allowed = self.record.unchained if self.record is not None else len(lines)
        if genesis and len(lines) <= allowed:
            self.report.unchained += len(lines)
            return
        reason = (
            f"{len(lines)} unsealed lines before the chain; the writers counted {allowed}"
            if genesis
            else "unsealed line before a chain that began earlier"
        )
        self.add(Damage.INSERTED, lines[0], reason)

    # -- after the last line ---------------------------------------------------------------
    def finish(self) -> None:
        if self.pre_chain:  # nothing chained at all: a log from before the chain
            self._judge_pre_chain(genesis=True)
        report, last, final = self.report, self.last, self.final
        if self.keys.required and report.chained and not report.keyed and final is not None:
            self.add(Damage.UNKEYED, final, "a key was given but no line is keyed")
        record = self.record
        if record is not None and record.seq > 0 and (final is not None or self.end is not None):
            if final is not None:
                end = Line(final.line.path, final.line.number + 1, b"")
            else:
                end = Line(self.end or Path("-"), 1, b"")
            if last is None or last.link is None:
                self.add(
                    Damage.TRUNCATED_TAIL, end, f"the writers' recorded head is seq {record.seq}"
                )
            elif record.seq > last.link.seq:
                gap = _span(last.link.seq + 1, record.seq)
                self.add(
                    Damage.TRUNCATED_TAIL,
                    end,
                    f"{gap} missing at the end (the writers recorded seq {record.seq} last)",
                )
            elif record.seq == last.link.seq and record.hash != last.link.hash:
                self.add(Damage.EDITED, last, "the last line differs from the recorded head")
        if self.export_at is not None:
            self._check_export(self.export_at)

    def _check_export(self, entry: _Entry) -> None:
        report = self.report
        try:
            record = orjson.loads(entry.line.data)["beacon_export"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            self.add(Damage.EDITED, entry, "unreadable export verification record")
            return
        report.export = record
        first, last = report.first, self.before_export
        problems = []
        if record.get("lines") != report.chained - 1:
            problems.append(f"says {record.get('lines')} lines, found {report.chained - 1}")
        elif report.chained > 1:  # an export of unchained lines only has no first or last
            if first is None or (record.get("first") or {}).get("hash") != first.hash:
                problems.append("first hash differs")
            if last is None or (record.get("last") or {}).get("hash") != last.hash:
                problems.append("last hash differs")
        if problems:
            self.add(Damage.EDITED, entry, "export record does not match: " + "; ".join(problems))


def _span(first: int, last: int) -> str:
    """`1 line (seq 7)` or `3 lines (seq 7-9)`."""
    if first == last:
        return f"1 line (seq {first})"
    return f"{last - first + 1} lines (seq {first}-{last})"


# -- entry points ----------------------------------------------------------------------------
def verify_lines(
    lines: Iterable[Line],
    *,
    name: str = "lines",
    keys: Keys | None = None,
    record: HeadRecord | None = None,
    end: Path | None = None,
) -> ChainReport:
    """Verify lines given oldest first (one stream, or shipped objects in order).

    `record` is the head the writers recorded (lines missing at the end are reported at
    the end of the last line's file, or at `end` when there are no lines at all).
    """
    report = ChainReport(name, record=record)
    walk = _Walk(report, keys or Keys(), record, end)
    walk.run(_entries(lines, walk.keys))
    walk.finish()
    return report


def verify_stream(log_dir: Path, stream: str, keys: Keys | None = None) -> ChainReport:
    """Verify a stream of the log directory: archives oldest first, then the active file.

    Files are opened under the writers' lock, so appends and rotations while verifying
    change nothing; the head the writers recorded in the lock file pins the end.
    """
    with snapshot(log_dir, stream) as snap:
        report = verify_lines(
            (line for log_file in snap.files for line in lines_of(log_file)),
            name=stream,
            keys=keys,
            record=snap.record,
            end=stream_path(log_dir, stream),
        )
        report.files = [str(f.path) for f in snap.files]
    _check_record(report, keys or Keys(), Path(str(stream_path(log_dir, stream)) + ".lock"))
    return report


def _check_record(report: ChainReport, keys: Keys, lock: Path) -> None:
    """A keyed chain's head record must carry a MAC by one of the keys."""
    record = report.record
    if record is None or not (record.mac or report.keyed):
        return
    if not record.mac:
        detail = "the head record of a keyed chain has no MAC"
        report.findings.append(Finding(Damage.UNKEYED, str(lock), 1, detail))
    elif not any(sealer.mac(record) == record.mac for sealer in keys.keyed.values()):
        detail = "the head record's MAC does not match the key"
        report.findings.append(Finding(Damage.EDITED, str(lock), 1, detail))


@dataclass(frozen=True)
class _ObjectEnds:
    path: Path
    index: int
    first: Link | None
    last: Link | None


def _ends(path: Path, index: int) -> _ObjectEnds:
    first: Link | None = None
    last: Link | None = None
    log_file = open_file(path)
    try:
        for line in lines_of(log_file):
            parsed = split_line(line.data)
            if parsed is None:
                continue
            if first is None:
                first = parsed[1]
            last = parsed[1]
    finally:
        log_file.close()
    return _ObjectEnds(path, index, first, last)


def order_objects(paths: Sequence[Path]) -> list[Path]:
    """Shipped objects in chain order: each followed by the one whose first line links to its
    last; fragments (after a missing object) by their first seq, ties in the given order.

    Within one source file, object keys already sort in this order; across rotated files
    they need not (a key names the file by fingerprint), hence the links.
    """
    ends = [_ends(path, i) for i, path in enumerate(paths)]
    unsealed = [e for e in ends if e.first is None]
    sealed = [e for e in ends if e.first is not None]
    by_prev: dict[str, list[_ObjectEnds]] = {}
    for e in sealed:
        assert e.first is not None
        by_prev.setdefault(e.first.prev, []).append(e)
    last_hashes = {e.last.hash for e in sealed if e.last is not None}
    starts = [e for e in sealed if e.first is not None and e.first.prev not in last_hashes]
    starts.sort(key=lambda e: (e.first.seq if e.first else 0, e.index))
    ordered: list[_ObjectEnds] = []
    placed: set[int] = set()
    for start in [*starts, *sealed]:  # `sealed` again: cycles (a forged link) still get placed
        current: _ObjectEnds | None = start
        while current is not None and current.index not in placed:
            placed.add(current.index)
            ordered.append(current)
            successors = by_prev.get(current.last.hash, []) if current.last else []
            current = next((s for s in successors if s.index not in placed), None)
    return [e.path for e in sorted(unsealed, key=lambda e: e.index)] + [e.path for e in ordered]


def verify_paths(paths: Sequence[Path], keys: Keys | None = None) -> ChainReport:
    """Verify files given on the command line (shipped objects, exports) as one chain.

    The chain may start mid-stream (the first object's first line links to a line not
    given); from there on it must continue across objects without a gap.
    """
    ordered = order_objects(paths)
    report = verify_lines(iter_lines(ordered), name="paths", keys=keys)
    report.files = [str(p) for p in ordered]
    return report


def verify_log_dir(
    log_dir: Path, streams: Sequence[str], keys: Keys | None = None
) -> list[ChainReport]:
    """Verify each stream of the log directory that has files (or had: a lock file)."""
    reports = []
    for stream in streams:
        lock = Path(str(stream_path(log_dir, stream)) + ".lock")
        if stream_files(log_dir, stream) or lock.exists():
            reports.append(verify_stream(log_dir, stream, keys))
    return reports


def keys_for(key_files: Sequence[Path], config_key: ChainKey | None) -> Keys:
    """The keys to verify with: those given as files, else the configured one (if any)."""
    keys = [ChainKey.load(str(path)) for path in key_files]
    if not keys and config_key is not None:
        keys = [config_key]
    return Keys(keys)


def describe(reports: Iterable[ChainReport]) -> Mapping[str, Any]:
    """Reports as the `--json` document."""
    listed = [r.to_dict() for r in reports]
    return {"intact": all(r["intact"] for r in listed), "streams": listed}
