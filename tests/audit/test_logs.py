"""`beacon logs`: filters against a hand-built expectation, formats, sessions, export, follow."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from chained_logs import chain_files

from beacon.audit.formats import CSV_COLUMNS
from beacon.audit.query import Filter, ScanStats, parse_time, search
from beacon.audit.reader import stream_lines
from beacon.audit.sessions import sessions, summarize, timeline
from beacon.audit.tail import follow
from beacon.audit.verify import verify_paths, verify_stream
from beacon.cli import main
from beacon.errors import UsageError
from beacon.logfiles.jsonl import JsonlFile
from beacon.schema.actions import category_of

BASE = datetime(2026, 12, 1, tzinfo=UTC)
HARNESSES = ["claude_code", "codex_cli", "gemini_cli"]
ACTIONS = [
    "prompt.submitted",
    "tool.invoked",
    "command.executed",
    "model.request",
    "session.started",
    "approval.denied",
]
SEVERITIES = ["info", "low", "medium", "high", "critical"]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _event(n: int) -> dict[str, Any]:
    moment = BASE + timedelta(seconds=37 * n)
    if n % 10 == 9:  # reported late: its own time is before the lines around it
        moment -= timedelta(minutes=5)
    action = ACTIONS[n % len(ACTIONS)]
    text = f"event number {n}"
    if n % 13 == 0:
        text = f"please grep the NeedleText in file {n}"
    if n == 50:
        text = 'she said "hi" to Größe'
    if n == 51:
        text = '=HYPERLINK("http://evil")'
    return {
        "timestamp": _stamp(moment),
        "vendor": "beacon",
        "event": {
            "kind": "agent_runtime",
            "action": action,
            "category": category_of(action),
            "id": f"ev-{n:04d}",
        },
        "severity": SEVERITIES[n % len(SEVERITIES)],
        "harness": {"name": HARNESSES[n % 3]},
        "session": {"id": f"sess-{n % 4}-{'x' * (n % 4)}"},
        "message": text,
    }


EVENTS = [_event(n) for n in range(150)]


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The events written through the real writer: rotated, the oldest archive gzipped."""
    directory = tmp_path_factory.mktemp("logs")
    jsonl = JsonlFile(directory / "runtime.jsonl", rotate_bytes=6000, archives=50)
    for start in range(0, len(EVENTS), 4):
        jsonl.append([orjson.dumps(e) + b"\n" for e in EVENTS[start : start + 4]])
    jsonl.close()
    oldest = chain_files(directory)[0]
    with gzip.open(oldest.with_name(oldest.name + ".gz"), "wb") as out:
        out.write(oldest.read_bytes())
    oldest.unlink()
    assert len(chain_files(directory)) >= 4
    assert any(p.name.endswith(".gz") for p in directory.iterdir())
    return directory


def _ids(found: list[Any]) -> list[str]:
    return [m.event["event"]["id"] for m in found]


def _expected(keep: Callable[[dict[str, Any]], bool], newest_first: bool = True) -> list[str]:
    ids = [e["event"]["id"] for e in EVENTS if keep(e)]
    return ids[::-1] if newest_first else ids


SINCE = _stamp(BASE + timedelta(minutes=20))
UNTIL = _stamp(BASE + timedelta(minutes=50))

CASES: dict[str, tuple[Filter, Callable[[dict[str, Any]], bool]]] = {
    "everything": (Filter(), lambda e: True),
    "since-until": (
        Filter(since=SINCE, until=UNTIL),
        lambda e: SINCE <= e["timestamp"] < UNTIL,
    ),
    "session-prefix": (
        Filter(sessions=("sess-2",)),
        lambda e: e["session"]["id"].startswith("sess-2"),
    ),
    "harness-family": (Filter(harnesses=("codex",)), lambda e: e["harness"]["name"] == "codex_cli"),
    "action-exact": (
        Filter(actions=("command.executed",)),
        lambda e: e["event"]["action"] == "command.executed",
    ),
    "action-prefix-or": (
        Filter(actions=("tool.*", "prompt.submitted")),
        lambda e: e["event"]["action"] in ("tool.invoked", "prompt.submitted"),
    ),
    "category": (
        Filter(categories=("approval",)),
        lambda e: e["event"]["category"] == "approval",
    ),
    "severity-minimum": (
        Filter(severity="high"),
        lambda e: e["severity"] in ("high", "critical"),
    ),
    "text-any-case": (Filter(text="needletext"), lambda e: "NeedleText" in e["message"]),
    "text-quote": (Filter(text='said "hi"'), lambda e: 'said "hi"' in e["message"]),
    "combined": (
        Filter(since=SINCE, harnesses=("claude_code",), severity="medium"),
        lambda e: (
            e["timestamp"] >= SINCE
            and e["harness"]["name"] == "claude_code"
            and e["severity"] in ("medium", "high", "critical")
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_filters_match_the_hand_built_expectation(log_dir: Path, case: str) -> None:
    """Each filter over active and archived files (.gz too), newest first and oldest first."""
    where, keep = CASES[case]
    assert _ids(search(log_dir, where)) == _expected(keep)
    assert _ids(search(log_dir, where, newest_first=False)) == _expected(keep, False)


def test_text_filter_folds_unicode_case(log_dir: Path) -> None:
    """Non-ASCII text is matched case-insensitively too (Unicode case folding)."""
    for text in ("GRÖßE", "grösse", "GRÖSSE"):
        assert _ids(search(log_dir, Filter(text=text))) == ["ev-0050"], text


def test_limit_stops_early_and_stats_count_every_line(log_dir: Path) -> None:
    """--limit returns the newest N; an unlimited text scan reads every line of every file."""
    assert _ids(search(log_dir, Filter(), limit=3)) == ["ev-0149", "ev-0148", "ev-0147"]
    stats = ScanStats()
    found = search(log_dir, Filter(text="NeedleText"), stats=stats)
    assert stats.lines == len(EVENTS) and stats.parsed == len(found) == 12
    assert len(stats.files) == len(chain_files(log_dir))


def test_unknown_severity_and_bad_times_are_clear_errors() -> None:
    """A typo is a usage error that says what is accepted."""
    with pytest.raises(UsageError, match="known: info, low, medium, high, critical"):
        Filter(severity="urgent")
    with pytest.raises(UsageError, match="ISO 8601"):
        parse_time("last tuesday")


def test_time_expressions() -> None:
    """ISO with and without offset (UTC assumed), ages, and named days."""
    now = datetime(2026, 12, 3, 15, 30, 0, 250_000, tzinfo=UTC)
    assert parse_time("2026-12-01", now) == "2026-12-01T00:00:00.000Z"
    assert parse_time("2026-12-01T10:00", now) == "2026-12-01T10:00:00.000Z"
    assert parse_time("2026-12-01T10:00:00+02:00", now) == "2026-12-01T08:00:00.000Z"
    assert parse_time("2026-12-01T10:00:00.5Z", now) == "2026-12-01T10:00:00.500Z"
    assert parse_time("15m", now) == "2026-12-03T15:15:00.250Z"
    assert parse_time("2d", now) == "2026-12-01T15:30:00.250Z"
    assert parse_time("yesterday", now) == "2026-12-02T00:00:00.000Z"


def test_reader_reads_both_directions_with_line_numbers(log_dir: Path) -> None:
    """Oldest-first and newest-first reads agree, line numbers included."""
    forward = [(line.path.name, line.number, line.data) for line in stream_lines(log_dir)]
    backward = [
        (line.path.name, line.number, line.data) for line in stream_lines(log_dir, reverse=True)
    ]
    assert backward == forward[::-1] and len(forward) == len(EVENTS)
    assert forward[0][1] == 1 and forward[0][0].endswith(".gz")


def test_gzipped_archive_still_verifies(log_dir: Path) -> None:
    """A compressed archive (logrotate-style) is read transparently by verify too."""
    report = verify_stream(log_dir, "runtime")
    assert report.intact and report.chained == len(EVENTS)


# -- the CLI ---------------------------------------------------------------------------------
def test_cli_csv_parses_with_the_csv_module(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--csv: the stable header, one row per event, formula-looking text made inert."""
    assert main(["logs", "--log-dir", str(log_dir), "--csv", "--reverse"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["event.id"] for r in records] == [e["event"]["id"] for e in EVENTS]
    assert records[50]["message"] == 'she said "hi" to Größe'
    assert records[51]["message"] == '\'=HYPERLINK("http://evil")'
    assert records[7]["harness.name"] == "codex_cli" and records[7]["severity"] == "medium"
    assert records[0]["integrity.seq"] == "1" and len(records[0]["integrity.hash"]) == 64


def test_cli_json_prints_lines_exactly_as_stored(
    log_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--json output is the stored bytes: the lines still verify as a chain."""
    assert main(["logs", "--log-dir", str(log_dir), "--json", "--reverse"]) == 0
    out = capsys.readouterr().out
    stored = b"".join(line.data + b"\n" for line in stream_lines(log_dir))
    assert out.encode() == stored
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(out.encode())
    assert verify_paths([copy]).intact


def test_cli_table_filters_and_default_limit(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table shows the newest matches first with the summary column."""
    args = ["logs", "--log-dir", str(log_dir), "--harness", "claude", "--action", "prompt.*"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = _expected(
        lambda e: (
            e["harness"]["name"] == "claude_code" and e["event"]["action"].startswith("prompt.")
        )
    )
    assert lines[0].split()[:3] == ["TIME", "(UTC)", "HARNESS"]
    assert len(lines) == 1 + len(expected)
    assert "prompt.submitted" in lines[1] and "claude_code" in lines[1]
    assert len(expected) == 25 and lines[1].startswith("2026-12-01 01:28:48.000")
    assert main(["logs", "--log-dir", str(log_dir)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 50


# -- sessions ----------------------------------------------------------------------------------
def _session_events() -> list[dict[str, Any]]:
    def ev(n: int, action: str, **extra: Any) -> dict[str, Any]:
        return {
            "timestamp": _stamp(BASE + timedelta(seconds=n)),
            "event": {"action": action, "id": f"s{n}", **extra.pop("meta", {})},
            "harness": {"name": "claude_code"},
            "session": {"id": "abc-123", "working_directory": "/work/p"},
            **extra,
        }

    call = {"gen_ai": {"tool": {"call": {"id": "toolu_1"}}}}
    call2 = {"gen_ai": {"tool": {"call": {"id": "toolu_2"}}}}
    usage = {
        "model": "m1",
        "gen_ai": {"usage": {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.25}},
    }
    return [
        ev(0, "session.started"),
        ev(1, "prompt.submitted", prompt={"text": "hi", "id": "p1"}),
        ev(2, "prompt.submitted", prompt={"text": "hi", "id": "p1"}),  # OTLP + hook: one
        ev(3, "tool.invoked", **call),
        ev(4, "command.executed", **call, command={"command": "ls"}),
        ev(5, "command.executed", meta={"duplicate_of": "s4"}, **call),
        ev(6, "tool.invoked", **call2),
        ev(7, "model.request", **usage),
        ev(8, "model.request", **usage),
        ev(9, "token.usage", gen_ai={"usage": {"input_tokens": 20}}),  # same tokens again
        ev(10, "cost.usage", gen_ai={"usage": {"cost_usd": 0.5}}),
        ev(11, "prompt.submitted", prompt={"text": "again"}),
    ]


def test_session_summary_counts_each_thing_once() -> None:
    """Duplicates and OTLP/hook pairs count once; tokens come from requests, not metrics."""
    (summary,) = summarize(_session_events())
    assert summary.to_dict() == {
        "id": "abc-123",
        "harness": "claude_code",
        "start": "2026-12-01T00:00:00.000Z",
        "end": "2026-12-01T00:00:11.000Z",
        "events": 12,
        "prompts": 2,
        "tool_calls": 2,
        "commands": 1,
        "input_tokens": 20,
        "output_tokens": 10,
        "tokens": 30,
        "cost_usd": 0.5,
        "models": ["m1"],
        "working_directory": "/work/p",
    }


def test_sessions_and_timeline_from_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`beacon logs sessions` lists it; `beacon logs session PREFIX` prints its timeline."""
    events = _session_events()
    other = dict(events[0], session={"id": "zzz-9"}, timestamp=_stamp(BASE + timedelta(hours=1)))
    jsonl = JsonlFile(tmp_path / "runtime.jsonl")
    jsonl.append([orjson.dumps(e) + b"\n" for e in [*reversed(events), other]])
    jsonl.close()
    found = sessions(tmp_path)
    assert [s.id for s in found] == ["zzz-9", "abc-123"]  # latest start first
    summary, timeline_events = timeline(tmp_path, "abc")
    assert summary.prompts == 2 and len(timeline_events) == len(events)
    assert [m.event["event"]["id"] for m in timeline_events] == [e["event"]["id"] for e in events]
    with pytest.raises(UsageError, match="no session"):
        timeline(tmp_path, "nope")
    assert main(["logs", "--log-dir", str(tmp_path), "sessions"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].startswith("zzz-9") and table[2].startswith("abc-123")
    assert "$0.5000" in table[2]
    assert main(["logs", "--log-dir", str(tmp_path), "sessions", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed[1]["tool_calls"] == 2
    assert main(["logs", "session", "abc", "--log-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("session abc-123  (claude_code)")
    assert "2 prompts, 2 tool calls, 1 command, 30 tokens, $0.5000" in text
    assert "+00:04.000  command.executed" in text and "ls" in text


# -- export --------------------------------------------------------------------------------------
def test_export_is_a_contiguous_window_that_verifies_on_its_own(
    log_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lines from the first to the last in the window (write order) plus a record."""
    out = tmp_path / "audit.jsonl.gz"
    args = ["logs", "--log-dir", str(log_dir), "export", "--since", SINCE, "--until", UNTIL]
    assert main([*args, "--output", str(out)]) == 0
    assert "check it with: beacon verify" in capsys.readouterr().out
    assert os.stat(out).st_mode & 0o777 == 0o600
    lines = gzip.decompress(out.read_bytes()).splitlines()
    in_window = [i for i, e in enumerate(EVENTS) if SINCE <= e["timestamp"] < UNTIL]
    first, last = in_window[0], in_window[-1]
    ids = [orjson.loads(line)["event"]["id"] for line in lines[:-1]]
    assert ids == [e["event"]["id"] for e in EVENTS[first : last + 1]]
    record = orjson.loads(lines[-1])["beacon_export"]
    assert record["lines"] == last - first + 1 and record["in_window"] == len(in_window)
    assert record["first"]["hash"] == orjson.loads(lines[0])["integrity"]["hash"]
    assert main(["verify", str(out)]) == 0
    assert "export of runtime" in capsys.readouterr().out
    assert main([*args, "--output", str(out)]) == 2  # never overwrites

    tampered = tmp_path / "tampered.jsonl.gz"
    tampered.write_bytes(gzip.compress(b"\n".join(lines[:3] + lines[4:]) + b"\n"))
    assert main(["verify", str(tampered)]) == 1
    assert "deleted" in capsys.readouterr().out
    cut = tmp_path / "cut.jsonl.gz"  # the last lines and the record gone: a clean prefix,
    cut.write_bytes(gzip.compress(b"\n".join(lines[:-3]) + b"\n"))  # which says "no export"
    assert main(["verify", str(cut)]) == 0
    assert "export of" not in capsys.readouterr().out
    forged = tmp_path / "forged.jsonl.gz"  # the record kept but lines cut: caught
    forged.write_bytes(gzip.compress(b"\n".join(lines[:-3] + lines[-1:]) + b"\n"))
    assert main(["verify", str(forged)]) == 1


# -- follow --------------------------------------------------------------------------------------
def test_follow_reads_new_lines_across_rotations_without_gaps_or_repeats(tmp_path: Path) -> None:
    """Appends interleaved with (multiple) rotations: every new line comes out once, in order."""
    path = tmp_path / "runtime.jsonl"
    jsonl = JsonlFile(path, rotate_bytes=700, archives=50)
    jsonl.append([b'{"old":0}\n'])
    steps = iter(range(40))
    written: list[bytes] = []
    polls = [0]

    def step(_: float) -> None:  # the follower's sleep: the writer gets a turn instead
        polls[0] += 1
        n = next(steps, None)
        if n is None:
            return
        batch = [orjson.dumps({"n": n, "k": k, "pad": "p" * (n % 50)}) + b"\n" for k in range(3)]
        jsonl.append(batch)
        written.extend(batch)

    got: list[bytes] = []
    for line in follow(path, stop=lambda: len(got) >= 120 or polls[0] > 200, sleep=step):
        got.append(line)
    jsonl.close()
    assert jsonl.rotations > 40  # some appends rotated twice between two looks
    assert [orjson.loads(g)["n"] for g in got] == [orjson.loads(w)["n"] for w in written]
    assert [orjson.loads(g)["k"] for g in got] == [orjson.loads(w)["k"] for w in written]


def test_export_of_lines_from_before_the_chain_still_verifies(tmp_path: Path) -> None:
    """A window holding only unchained (pre-chain) lines exports with a record that checks."""
    logs = tmp_path / "logs"
    logs.mkdir()
    old = [dict(EVENTS[n], timestamp=f"2026-11-01T00:00:0{n}.000Z") for n in range(3)]
    (logs / "runtime.jsonl").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in old))
    JsonlFile(logs / "runtime.jsonl").append([orjson.dumps(EVENTS[5]) + b"\n"])
    out = tmp_path / "old.jsonl.gz"
    args = ["logs", "--log-dir", str(logs), "export", "--until", "2026-11-02", "-o", str(out)]
    assert main(args) == 0
    record = orjson.loads(gzip.decompress(out.read_bytes()).splitlines()[-1])["beacon_export"]
    assert (record["lines"], record["unchained"], record["first"]) == (0, 3, None)
    report = verify_paths([out])
    assert report.intact and report.unchained == 3 and report.export is not None
