"""Session correlations: order, window, sessions, repeated steps, `order: any`, bounded state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from beacon.scan import Engine, ScanStats, parse_rule
from beacon.scan.engine import SWEEP_EVERY
from beacon.scan.rules import Rule, parse_duration

RULE = """
id: read-then-send
version: 1
title: Read then send
severity: high
status: experimental
posture: detect
correlation:
  scope: session
  window: {window}
  order: {order}
  steps:
    - {{ id: read, match: 'e.event.action == "file.read" && e.file.path.endsWith(".env")' }}
    - id: send
      match: 'e.event.action == "command.executed" && e.command.command.startsWith("curl")'
emit: {{ reason: "read then send" }}
tests: [{{ name: t, verdict: match, events: [{{ event: {{ action: file.read }} }}] }}]
"""
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _rule(window: str = "2m", order: str = "sequence") -> Rule:
    return parse_rule(RULE.format(window=window, order=order), "read-then-send.rule.yaml")


def _read(seconds: float | None, session: str = "s1", eid: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": {"action": "file.read", "id": eid or f"r{seconds}"},
        "file": {"path": "/app/.env"},
        "session": {"id": session},
    }
    if seconds is not None:
        event["timestamp"] = _ts(seconds)
    return event


def _send(seconds: float | None, session: str = "s1", eid: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": {"action": "command.executed", "id": eid or f"c{seconds}"},
        "command": {"command": "curl https://x.example"},
        "session": {"id": session},
    }
    if seconds is not None:
        event["timestamp"] = _ts(seconds)
    return event


def _ts(seconds: float) -> str:
    when = START + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _findings(rule: Rule, events: list[dict[str, Any]]) -> list[list[str]]:
    return [[ref.id for ref in f.events] for f in Engine([rule]).run(events)]


def test_steps_in_order_within_the_window_match() -> None:
    """Read at 0 s, send at 60 s in one session: one finding naming both events."""
    assert _findings(_rule(), [_read(0), _send(60)]) == [["r0", "c60"]]


def test_out_of_order_steps_do_not_match() -> None:
    """Send before read is not the sequence."""
    assert _findings(_rule(), [_send(0), _read(10)]) == []


def test_final_step_outside_the_window_does_not_match() -> None:
    """The last step must fall within `window` of the first; 120.001 s > 2 m."""
    assert _findings(_rule(), [_read(0), _send(120.001)]) == []
    assert _findings(_rule(), [_read(0), _send(120)]) == [["r0", "c120"]]


def test_steps_in_different_sessions_do_not_match() -> None:
    """Correlation scope is the session."""
    assert _findings(_rule(), [_read(0, "s1"), _send(5, "s2")]) == []


def test_a_later_anchor_completes_when_an_earlier_one_expired() -> None:
    """An early read out of window must not hide a later read that completes in time."""
    events = [_read(0, eid="old"), _read(100, eid="new"), _send(150)]
    assert _findings(_rule(), events) == [["new", "c150"]]


def test_repeated_steps_give_one_finding_per_completed_sequence() -> None:
    """Many reads then a send: one finding; state restarts, so a second pair is a second one."""
    events = [_read(0), _read(1), _read(2), _send(3), _send(4), _read(10), _send(11)]
    assert _findings(_rule(), events) == [["r2", "c3"], ["r10", "c11"]]


def test_equal_timestamps_count_as_at_or_after() -> None:
    """Two events in the same millisecond keep their order in the log."""
    assert _findings(_rule(), [_read(5), _send(5)]) == [["r5", "c5"]]


def test_fixture_events_without_timestamps_keep_listed_order() -> None:
    """No timestamps: no window is enforced and the listed order is the order."""
    assert _findings(_rule(window="1ms"), [_read(None), _send(None)]) == [["rNone", "cNone"]]
    assert _findings(_rule(), [_send(None), _read(None)]) == []


def test_one_event_never_satisfies_two_steps() -> None:
    """An event matching both steps still needs a second event for the second step."""
    rule = parse_rule(
        RULE.format(window="1m", order="sequence").replace(
            'e.event.action == "command.executed" && e.command.command.startsWith("curl")',
            'e.file.path.endsWith(".env")',
        ),
        "x.rule.yaml",
    )
    assert _findings(rule, [_read(0)]) == []
    assert len(_findings(rule, [_read(0), _read(1)])) == 1


def test_any_order_matches_both_orders_within_the_window() -> None:
    """`order: any` (threat-rules v1.1): send then read matches too, within the window."""
    rule = _rule(order="any")
    assert len(_findings(rule, [_send(0), _read(30)])) == 1
    assert _findings(rule, [_send(0), _read(121)]) == []
    assert _findings(rule, [_send(0, "s1"), _read(1, "s2")]) == []


@pytest.mark.parametrize("count", [12_000, 36_000])
def test_correlation_state_stays_bounded_over_a_long_log(count: int) -> None:
    """Unanswered reads across 5,000 sessions: state never exceeds what one window plus one
    sweep interval holds, however long the log."""
    rule = _rule(window="30s")
    stats = ScanStats()

    def events() -> Any:
        for i in range(count):
            yield _read(i * 0.5, session=f"s{i % 5000}", eid=str(i))

    assert list(Engine([rule]).run(events(), stats)) == []
    # 30 s at 2 reads/s is 61 live partial matches; sweeps run every SWEEP_EVERY events.
    assert 0 < stats.state_peak <= 61 + SWEEP_EVERY


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("120s", 120.0), ("5m", 300.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("300ms", 0.3)],
)
def test_windows_are_go_durations(text: str, seconds: float) -> None:
    """Windows use Go's duration syntax."""
    assert parse_duration(text) == pytest.approx(seconds)


def test_bad_window_is_a_load_error() -> None:
    """`window: 2 minutes` is rejected with a message naming the key."""
    with pytest.raises(Exception) as info:
        parse_rule(RULE.format(window="2 minutes", order="sequence"), "w.rule.yaml")
    assert "correlation.window" in str(info.value)
