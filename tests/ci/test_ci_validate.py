"""`beacon ci validate` and the event check it runs on every line."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from ci_harness import CIJob, read_events

from beacon.ci.validate import validate_log
from beacon.config import load_config
from beacon.pipeline import build_pipeline
from beacon.schema.check import problems
from beacon.schema.event import new_event

GOLDEN = Path(__file__).resolve().parents[1] / "collector" / "golden"


def _event(action: str, harness: str, session: str = "s1", created: str = "") -> dict[str, Any]:
    event = build_pipeline(load_config(env={})).process(new_event(action, harness=harness))
    assert event is not None
    event["ci"] = {"session_id": session}
    if created:
        event["event"]["created"] = created
    return event


def _write(path: Path, events: list[Any], extra: list[bytes] = ()) -> Path:  # type: ignore[assignment]
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [orjson.dumps(e) for e in events] + list(extra)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _golden_events() -> list[dict[str, Any]]:
    """Recorded collector output (masked: ids, times and endpoint refilled by enrichment)."""
    pipeline = build_pipeline(load_config(env={}))
    events = []
    for path in sorted(GOLDEN.rglob("*.jsonl")):
        for event in read_events(path)[:15]:
            processed = pipeline.process(event)
            assert processed is not None
            events.append(processed)
    return events


def test_check_agrees_with_the_json_schema_on_real_and_broken_events() -> None:
    """Golden collector output passes both; each broken variant fails both."""
    text = resources.files("beacon.schema").joinpath("event.schema.json").read_text()
    validator = jsonschema.Draft202012Validator(json.loads(text))
    events = _golden_events()
    assert events
    for event in events:
        assert problems(event) == [], event
        assert validator.is_valid(event)
    breakers = {
        "harness.name": lambda e: e["harness"].pop("name"),
        "event.action": lambda e: e["event"].__setitem__("action", "tool.exploded"),
        "severity": lambda e: e.__setitem__("severity", "loud"),
        "endpoint.os": lambda e: e.pop("endpoint"),
        "vendor": lambda e: e.__setitem__("vendor", "someone"),
        "origin": lambda e: e.__setitem__("origin", "moon"),
    }
    for name, breaker in breakers.items():
        broken = copy.deepcopy(events[0])
        breaker(broken)
        assert problems(broken), name
        assert not validator.is_valid(broken), name


def test_counts_agent_events_by_harness_and_ignores_beacons_own(tmp_path: Path) -> None:
    """Claude and Codex events count; `ci.*` markers never do; the filter narrows."""
    log = _write(
        tmp_path / "runtime.jsonl",
        [
            _event("ci.run_started", "ci"),
            _event("prompt.submitted", "claude_code"),
            _event("command.executed", "claude_code"),
            _event("prompt.submitted", "codex_cli"),
        ],
    )
    result = validate_log(log, min_events=3)
    assert result.status == "ok" and result.event_count == 3
    assert result.by_harness == {"claude_code": 2, "codex_cli": 1}
    assert result.by_action == {"prompt.submitted": 2, "command.executed": 1}
    only_codex = validate_log(log, min_events=2, runtimes=frozenset({"codex_cli"}))
    assert only_codex.status == "fail" and only_codex.event_count == 1
    assert only_codex.stages[-1].name == "event_count"


def test_bad_lines_warn_and_are_located_but_good_events_count(tmp_path: Path) -> None:
    """A torn line and a schema-invalid line: `warn`, each named by file and line."""
    bad = _event("prompt.submitted", "claude_code")
    bad["severity"] = "loud"
    log = _write(
        tmp_path / "runtime.jsonl",
        [_event("prompt.submitted", "claude_code"), bad],
        [b'{"vendor": "beacon", "tor'],
    )
    result = validate_log(log)
    assert result.status == "warn" and result.ok
    assert result.invalid_lines == 2 and result.event_count == 1
    assert result.problems[0].startswith("runtime.jsonl:2: severity")
    assert result.problems[1] == "runtime.jsonl:3: not JSON"


def test_rotated_archives_count_and_missing_log_fails(tmp_path: Path) -> None:
    """Events in `runtime.jsonl.1` count; no log at all is `fail`."""
    log = tmp_path / "runtime.jsonl"
    _write(tmp_path / "runtime.jsonl.1", [_event("prompt.submitted", "claude_code")])
    _write(log, [_event("prompt.submitted", "claude_code")])
    assert validate_log(log, min_events=2).event_count == 2
    missing = validate_log(tmp_path / "nothing" / "runtime.jsonl")
    assert missing.status == "fail" and missing.stages[0].name == "runtime_log_exists"


def test_session_and_since_filters(tmp_path: Path) -> None:
    """`--session` keeps one session's events; `--since` drops those ingested earlier."""
    log = _write(
        tmp_path / "runtime.jsonl",
        [
            _event("prompt.submitted", "claude_code", "old", "2026-01-01T00:00:00.000Z"),
            _event("prompt.submitted", "claude_code", "new", "2026-06-01T00:00:00.000Z"),
            _event("command.executed", "claude_code", "new", "2026-06-01T00:00:01.000Z"),
        ],
    )
    assert validate_log(log, session_id="new").event_count == 2
    assert validate_log(log, session_id="gone").status == "fail"
    since = datetime(2026, 3, 1, tzinfo=UTC)
    assert validate_log(log, since=since).event_count == 2


def test_validate_command_exit_codes_and_json(tmp_path: Path, plain_env: dict[str, str]) -> None:
    """Exit 0 with enough events, 1 without; `--json` prints the result; bad flags exit 2."""
    job = CIJob(tmp_path, plain_env)
    log = _write(tmp_path / "logs" / "runtime.jsonl", [_event("prompt.submitted", "codex_cli")])
    ok = job.beacon("ci", "validate", "--log-path", str(log), "--harness", "codex", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["by_harness"] == {"codex_cli": 1}
    short = job.beacon("ci", "validate", "--log-path", str(log), "--harness", "claude")
    assert short.returncode == 1 and "event_count" in short.stdout
    since = job.beacon("ci", "validate", "--log-path", str(log), "--since", "yesterday")
    assert since.returncode == 2 and "--since" in since.stderr


@pytest.mark.parametrize("value", ["-1", "many"])
def test_min_events_must_be_a_count(tmp_path: Path, plain_env: dict[str, str], value: str) -> None:
    """A negative or non-numeric `--min-events` is a usage error."""
    job = CIJob(tmp_path, plain_env)
    result = job.beacon("ci", "validate", "--min-events", value)
    assert result.returncode == 2
