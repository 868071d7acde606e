"""Positions, paging, session tallies and usage: what `beacon.audit` gives the dashboard."""

from __future__ import annotations

import gzip
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from beacon.audit.query import (
    Filter,
    Position,
    PositionGone,
    event_at,
    parse_time,
    search,
)
from beacon.audit.reader import line_at, open_file, snapshot
from beacon.audit.sessions import SessionTally, summaries_of, summarize, tally
from beacon.audit.usage import add_usage, usage_totals
from beacon.errors import UsageError

WriteLog = Callable[..., Path]  # the `write_log` fixture of conftest.py


def pages(log_dir: object, where: Filter, size: int, newest_first: bool) -> list[str]:
    """Every match's id, read `size` at a time, each page continuing after the last."""
    ids: list[str] = []
    after: Position | None = None
    while True:
        found = search(
            log_dir,  # type: ignore[arg-type]
            where,
            limit=size,
            after=after,
            newest_first=newest_first,
        )
        ids += [m.event["event"]["id"] for m in found]
        if len(found) < size:
            return ids
        after = found[-1].position


@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("size", [1, 7, 50])
def test_paging_by_position_reads_each_match_once_across_rotated_files(
    write_log: WriteLog, newest_first: bool, size: int
) -> None:
    """Pages joined are the whole result, in order, across archives (one gzip-compressed)."""
    log_dir = write_log(120, rotate_bytes=4096, archives=50, batch=3)
    archive = log_dir / "runtime.jsonl.3"
    with archive.open("rb") as src, gzip.open(f"{archive}.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    archive.unlink()
    for where in (
        Filter(),
        Filter(text="LINE 1"),
        Filter(since=parse_time("2026-12-01T10:00:30Z")),
    ):
        whole = [m.event["event"]["id"] for m in search(log_dir, where, newest_first=newest_first)]
        assert whole
        assert pages(log_dir, where, size, newest_first) == whole


def test_a_position_survives_rotation_and_finds_its_event_again(write_log: WriteLog) -> None:
    log_dir = write_log(40, rotate_bytes=1 << 20)
    (match,) = search(log_dir, Filter(text="line 17"), limit=1)
    assert match.position is not None
    os.rename(log_dir / "runtime.jsonl", log_dir / "runtime.jsonl.1")  # a rotation
    again = event_at(log_dir, match.position)
    assert again is not None and again.line == match.line
    assert again.path.name == "runtime.jsonl.1"
    older = search(log_dir, Filter(), limit=3, after=match.position)
    assert [m.event["message"] for m in older] == ["line 16", "line 15", "line 14"]


def test_a_position_in_a_file_that_left_the_stream_is_refused(write_log: WriteLog) -> None:
    log_dir = write_log(10)
    (match,) = search(log_dir, Filter(), limit=1)
    assert match.position is not None
    gone = Position((match.position.ident[0], match.position.ident[1] + 10**9), 0)
    with pytest.raises(PositionGone):
        search(log_dir, Filter(), after=gone)
    assert event_at(log_dir, gone) is None


def test_line_at_needs_the_start_of_a_line(write_log: WriteLog) -> None:
    log_dir = write_log(5)
    data = (log_dir / "runtime.jsonl").read_bytes()
    second = data.index(b"\n") + 1
    log_file = open_file(log_dir / "runtime.jsonl")
    try:
        assert line_at(log_file, second) == data[second : data.index(b"\n", second)]
        assert line_at(log_file, second + 1) is None  # mid-line
        assert line_at(log_file, len(data)) is None  # past the end
    finally:
        log_file.close()
    compressed = log_dir / "copy.jsonl.gz"
    compressed.write_bytes(gzip.compress(data))
    gz = open_file(compressed)
    try:
        assert line_at(gz, second) == data[second : data.index(b"\n", second)]
    finally:
        gz.close()


def test_filter_parse_reads_user_input_like_the_command_line() -> None:
    where = Filter.parse(
        since="2026-12-01",
        harnesses=["claude", " ", ""],
        actions=["tool.*"],
        severity=" HIGH ",
        text="",
    )
    assert where.since == "2026-12-01T00:00:00.000Z"
    assert where.harnesses == ("claude",) and where.actions == ("tool.*",)
    assert where.severity == "high" and where.text is None
    assert Filter.parse().empty and not where.empty
    with pytest.raises(UsageError):
        Filter.parse(since="yesterday-ish")


def _session_events(seed: int) -> list[dict[str, object]]:
    """A shuffled mix of sessions: prompts, tool calls by id and not, requests, metrics,
    duplicates."""
    rnd = random.Random(seed)
    events: list[dict[str, object]] = []
    for n in range(300):
        sid = f"s{rnd.randrange(6)}"
        action = rnd.choice(
            [
                "prompt.submitted",
                "tool.invoked",
                "tool.completed",
                "command.executed",
                "model.request",
                "token.usage",
                "cost.usage",
                "hook.started",
            ]
        )
        event: dict[str, object] = {
            "timestamp": f"2026-12-{1 + n % 3:02d}T10:00:{n % 60:02d}.000Z",
            "event": {"action": action, "id": f"e{n}"},
            "harness": {"name": rnd.choice(["claude_code", "codex_cli"])},
            "session": {"id": sid, "working_directory": f"/w/{sid}"},
            "model": rnd.choice(["m1", "m2"]),
        }
        if rnd.random() < 0.5:
            event["gen_ai"] = {"tool": {"call": {"id": f"c{rnd.randrange(40)}"}}}
        if action in ("model.request", "token.usage", "cost.usage"):
            event["gen_ai"] = {
                "usage": {
                    "input_tokens": rnd.randrange(100),
                    "output_tokens": rnd.randrange(50),
                    "cost_usd": rnd.random() / 100,
                }
            }
        if rnd.random() < 0.1:
            event["event"]["duplicate_of"] = "e0"  # type: ignore[index]
        events.append(event)
    return events


@pytest.mark.parametrize("seed", range(5))
def test_tallies_of_parts_merged_equal_the_tally_of_the_whole(seed: int) -> None:
    """What the index does per file, merged (through its JSON state), gives `summarize`."""
    events = _session_events(seed)
    cut = random.Random(seed).randrange(1, len(events))
    merged: dict[str, SessionTally] = {}
    for part in (events[:cut], events[cut:]):
        for sid, found in tally(part).items():
            copy = SessionTally.from_state(found.state())
            if sid in merged:
                merged[sid].merge(copy)
            else:
                merged[sid] = copy
    assert [s.to_dict() for s in summaries_of(merged.values())] == [
        s.to_dict() for s in summarize(events)
    ]


@pytest.mark.parametrize("seed", range(5))
def test_usage_totals_count_each_session_as_its_summary_does(seed: int) -> None:
    """Per-day/model/harness usage adds up to the session summaries' tokens and cost."""
    events = _session_events(seed)
    rows: dict = {}
    add_usage(rows, events)
    totals = usage_totals(rows)
    summaries = summarize(events)
    assert totals.total.input_tokens == sum(s.input_tokens for s in summaries)
    assert totals.total.output_tokens == sum(s.output_tokens for s in summaries)
    assert round(totals.total.cost_usd, 9) == round(sum(s.cost_usd for s in summaries), 9)
    for summary in summaries:
        row = totals.by_session.get(summary.id)
        assert (row.input_tokens if row else 0) == summary.input_tokens
    assert sum(r.input_tokens for r in totals.by_day.values()) == totals.total.input_tokens


def test_usage_prefers_requests_and_falls_back_to_metrics() -> None:
    """A session with per-request numbers never adds its metrics; one without uses them."""

    def event(sid: str, action: str, tokens: int, cost: float = 0.0) -> dict[str, object]:
        return {
            "timestamp": "2026-12-01T10:00:00.000Z",
            "event": {"action": action},
            "session": {"id": sid},
            "harness": {"name": "claude_code"},
            "gen_ai": {"usage": {"input_tokens": tokens, "cost_usd": cost}},
        }

    rows: dict = {}
    add_usage(
        rows,
        [
            event("a", "model.request", 10),
            event("a", "token.usage", 10),  # the same tokens, as a metric
            event("a", "cost.usage", 0, 0.5),  # requests had no cost: the metric's counts
            event("b", "token.usage", 7),
            event("b", "hook.started", 99),  # not a usage action
        ],
    )
    totals = usage_totals(rows).to_dict()
    assert totals["total"]["input_tokens"] == 17
    assert totals["total"]["cost_usd"] == 0.5
    assert {s["name"]: s["input_tokens"] for s in totals["by_session"]} == {"a": 10, "b": 7}


def test_snapshot_files_carry_their_identity(write_log: WriteLog) -> None:
    log_dir = write_log(3)
    info = os.stat(log_dir / "runtime.jsonl")
    with snapshot(log_dir, "runtime") as snap:
        assert snap.files[-1].ident == (info.st_dev, info.st_ino)
