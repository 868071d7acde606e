"""Was the agent's telemetry captured? Checks a `runtime.jsonl` (and its rotated archives).

Stages, as upstream (upstream.md §7): the log exists; its lines parse and pass the event
check (`beacon.schema.check`; bad lines make the result `warn` and are listed, the good
ones still count); and at least `min_events` events of the chosen harnesses are there,
optionally only those of one CI session or since a time. Beacon's own events (CI run
markers, endpoint setup) never count. Result: `ok`, `warn` or `fail`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from beacon.schema.check import problems
from beacon.schema.event import now_timestamp, parse_timestamp

OK, WARN, FAIL = "ok", "warn", "fail"
BEACON_HARNESSES = frozenset({"ci", "endpoint", "test_harness"})
"""Harness names of events Beacon writes itself; they prove nothing about the agent."""
PROBLEMS_SHOWN = 5


@dataclass
class Stage:
    """One check and its outcome."""

    name: str
    status: str
    detail: str


@dataclass
class Validation:
    """The verdict on one log, as written to `summary.json` and printed with `--json`."""

    status: str
    log_path: str
    event_count: int
    min_events: int
    harnesses: list[str]
    by_harness: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, int] = field(default_factory=dict)
    invalid_lines: int = 0
    problems: list[str] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    generated_at: str = field(default_factory=now_timestamp)

    @property
    def ok(self) -> bool:
        """True unless a stage failed (a warning still passes)."""
        return self.status != FAIL

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def log_files(log_path: Path) -> list[Path]:
    """`log_path`'s rotated archives, oldest first (`.N` … `.1`), then the log itself."""
    archives: list[tuple[int, Path]] = []
    try:
        names = os.listdir(log_path.parent)
    except OSError:
        names = []
    prefix = log_path.name + "."
    for name in names:
        suffix = name[len(prefix) :] if name.startswith(prefix) else ""
        if suffix.isdigit():
            archives.append((int(suffix), log_path.parent / name))
    ordered = [path for _, path in sorted(archives, reverse=True)]
    if log_path.is_file():
        ordered.append(log_path)
    return ordered


def read_lines(files: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(`file:line`, line) of every non-empty line of `files`, in order."""
    for path in files:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                line = line.strip()
                if line:
                    yield f"{path.name}:{number}", line


def in_session(event: dict[str, Any], session_id: str | None, since: datetime | None) -> bool:
    """Whether `event` belongs to the session (by `ci.session_id`) and is not before `since`
    (by ingest time, `event.created`, else `timestamp`)."""
    if session_id is not None:
        ci = event.get("ci")
        if not isinstance(ci, dict) or ci.get("session_id") != session_id:
            return False
    if since is not None:
        meta = event.get("event")
        when = meta.get("created") if isinstance(meta, dict) else None
        try:
            if parse_timestamp(str(when or event.get("timestamp"))) < since:
                return False
        except ValueError:
            return False
    return True


def validate_log(
    log_path: Path,
    *,
    min_events: int = 1,
    runtimes: frozenset[str] | None = None,
    harnesses: tuple[str, ...] = (),
    session_id: str | None = None,
    since: datetime | None = None,
) -> Validation:
    """Check `log_path`. `runtimes`: the `harness.name` values that count (None: any agent);
    `harnesses` only names the choice in the result."""
    result = Validation(FAIL, str(log_path), 0, min_events, list(harnesses))
    files = log_files(log_path)
    if log_path.is_dir() or not files:
        what = "is a directory" if log_path.is_dir() else "does not exist"
        result.stages.append(Stage("runtime_log_exists", FAIL, f"{log_path} {what}"))
        return result
    result.stages.append(Stage("runtime_log_exists", OK, f"{len(files)} file(s)"))
    by_harness: Counter[str] = Counter()
    by_action: Counter[str] = Counter()
    for where, line in read_lines(files):
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            found = ["not JSON"]
        else:
            found = problems(event)
        if found:
            result.invalid_lines += 1
            if len(result.problems) < PROBLEMS_SHOWN:
                result.problems.append(f"{where}: {'; '.join(found)}")
            continue
        if not in_session(event, session_id, since):
            continue
        harness = event["harness"]["name"]
        if harness in BEACON_HARNESSES or (runtimes is not None and harness not in runtimes):
            continue
        by_harness[harness] += 1
        by_action[event["event"]["action"]] += 1
    if result.invalid_lines:
        detail = f"{result.invalid_lines} line(s) failed the event check"
        result.stages.append(Stage("runtime_log_parseable", WARN, detail))
    else:
        result.stages.append(Stage("runtime_log_parseable", OK, "every line is a valid event"))
    result.by_harness = dict(by_harness.most_common())
    result.by_action = dict(by_action.most_common())
    result.event_count = sum(by_harness.values())
    wanted = ", ".join(harnesses) if harnesses else "any agent"
    detail = f"{result.event_count} event(s) of {wanted}, at least {min_events} required"
    counted = OK if result.event_count >= min_events else FAIL
    result.stages.append(Stage("event_count", counted, detail))
    statuses = {stage.status for stage in result.stages}
    result.status = FAIL if FAIL in statuses else WARN if WARN in statuses else OK
    return result
