"""Pipeline processors: enrich, truncate, size cap, dedupe, and explicit counted drops."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from beacon.config import BeaconConfig, LimitsConfig
from beacon.pipeline import (
    Dedupe,
    DropEvent,
    Enrich,
    Pipeline,
    Serialized,
    SizeCap,
    Truncate,
    build_pipeline,
)
from beacon.pipeline.truncate import TRUNCATION_MARKER, truncate_utf8
from beacon.schema import load_json_schema, new_event

VALIDATOR = Draft202012Validator(load_json_schema())


def test_enrich_adds_identity_and_keeps_mapper_values() -> None:
    """Enrich stamps id, created, endpoint, user and origin without overwriting."""
    event = new_event(
        "prompt.submitted", harness="claude_code", origin="ci", endpoint={"hostname": "builder"}
    )
    out = Enrich(hostname="laptop", origin="local")(event)
    assert out["event"]["id"] and out["event"]["created"].endswith("Z")
    assert out["endpoint"]["hostname"] == "builder"
    assert out["endpoint"]["os"] and out["endpoint"]["agent_version"]
    assert out["origin"] == "ci"
    same_id = out["event"]["id"]
    assert Enrich()(out)["event"]["id"] == same_id


@given(st.text(min_size=0, max_size=3000), st.integers(16, 2048))
@settings(max_examples=400, deadline=None)
def test_truncate_utf8_respects_limit_and_boundaries(text: str, limit: int) -> None:
    """Cuts land on a character boundary, carry the marker and never exceed the limit."""
    cut = truncate_utf8(text, limit)
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        assert cut is None
        return
    assert cut is not None
    assert len(cut.encode("utf-8", "surrogatepass")) <= limit
    assert cut.endswith(TRUNCATION_MARKER)
    assert text.startswith(cut[: -len(TRUNCATION_MARKER)])


def test_truncate_records_path_length_and_hash() -> None:
    """Each cut field is listed with its original byte length and sha256."""
    long_prompt = "é" * 3000  # 6000 bytes
    long_raw = "r" * 5000
    event = new_event(
        "prompt.submitted",
        harness="x",
        prompt={"text": long_prompt},
        raw={"attributes": {"body": long_raw}},
    )
    out = Truncate(4096, 2048)(event)
    assert len(out["prompt"]["text"].encode()) <= 4096
    assert len(out["raw"]["attributes"]["body"]) <= 2048
    cuts = {c["field"]: c for c in out["content"]["truncations"]}
    assert cuts["prompt.text"]["bytes"] == 6000
    assert cuts["prompt.text"]["sha256"] == hashlib.sha256(long_prompt.encode()).hexdigest()
    assert cuts["raw.attributes.body"]["bytes"] == 5000
    assert out["content"]["truncated"] is True


def test_small_events_pass_truncate_untouched() -> None:
    """An event shorter than every limit is not modified."""
    event = new_event("tool.invoked", harness="x", tool={"name": "Bash"})
    before = orjson.dumps(event)
    assert orjson.dumps(Truncate()(event)) == before


def _huge_event() -> dict[str, Any]:
    many = {f"k{i}": "v" * 1500 for i in range(60)}
    return new_event(
        "command.executed",
        harness="claude_code",
        command={"command": "x" * 4000, "output": "o" * 4000},
        file={"path": "/a", "diff": "d" * 4000},
        gen_ai={"input": {"messages": ["m" * 2000] * 20}},
        raw={"attributes": many},
        message="m" * 4000,
    )


def test_size_cap_degrades_in_steps_and_never_drops() -> None:
    """Oversize events lose raw first, then content; they are still written and flagged."""
    cap = SizeCap(16384)
    out = cap(_huge_event())
    assert len(orjson.dumps(out)) <= 16384
    assert out["field_truncated"] is True
    dropped = out["content"]["dropped_fields"]
    assert dropped[0] == "raw"
    assert "command.output" in dropped and "file.diff" in dropped
    assert out["event"]["action"] == "command.executed"
    assert out["command"]["command"].startswith("x")
    assert cap.degraded == 1


def test_size_cap_bare_fallback_for_pathological_core() -> None:
    """Even a huge core (thousands of keys in an open object) ends under the cap."""
    event = new_event("session.activity", harness="h" * 70000, session={"id": "s" * 70000})
    out = SizeCap(4096)(event)
    assert len(orjson.dumps(out)) <= 4096
    assert out["field_truncated"] is True
    assert out["event"]["action"] == "session.activity"


@given(st.integers(4096, 80000), st.integers(64, 8192), st.integers(64, 4096))
@settings(max_examples=60, deadline=None)
def test_pipeline_output_always_fits_cap_and_validates(cap: int, field: int, nested: int) -> None:
    """Whatever the limits, the pipeline's output is under the cap and schema-valid."""
    config = replace(BeaconConfig(), limits=LimitsConfig(field, nested, cap))
    out = build_pipeline(config).process(_huge_event())
    assert out is not None
    assert len(orjson.dumps(out)) <= cap
    VALIDATOR.validate(out)


def test_drops_are_explicit_and_counted() -> None:
    """A processor drops by raising DropEvent; the reason is counted."""

    def drop_metrics(event: dict[str, Any]) -> dict[str, Any]:
        if event["event"]["action"] == "metric.observed":
            raise DropEvent("runtime_metric")
        return event

    pipeline = Pipeline([Enrich(), drop_metrics])
    events = [new_event("metric.observed", harness="x"), new_event("tool.invoked", harness="x")]
    out = pipeline.process_batch(events)
    assert [e["event"]["action"] for e in out] == ["tool.invoked"]
    assert pipeline.stats.dropped == {"runtime_metric": 1}
    assert pipeline.stats.accepted == 2 and pipeline.stats.processed == 1


def test_dedupe_marks_same_tool_call_from_another_path() -> None:
    """The same call id from OTLP and a hook: both kept, the later marked duplicate."""
    now = [100.0]
    dedupe = Dedupe(window_seconds=10, clock=lambda: now[0])

    def call(source: str, event_id: str) -> dict[str, Any]:
        event = new_event(
            "command.executed",
            harness="claude_code",
            session={"id": "s1"},
            gen_ai={"tool": {"call": {"id": "toolu_1"}}},
        )
        event["event"].update(id=event_id, source=source)
        return dedupe(event)

    first = call("otlp.logs", "a")
    second = call("hook.command", "b")
    same_path = call("otlp.logs", "c")
    assert "duplicate_of" not in first["event"]
    assert second["event"]["duplicate_of"] == "a"
    assert "duplicate_of" not in same_path["event"]
    now[0] += 11
    assert "duplicate_of" not in call("hook.http", "d")["event"]


def test_dedupe_memory_is_bounded_by_window_and_key_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys older than the window are forgotten; past the key limit the oldest go first."""
    from beacon.pipeline import dedupe as dedupe_module

    monkeypatch.setattr(dedupe_module, "_MAX_KEYS", 100)
    now = [0.0]
    dedupe = Dedupe(window_seconds=10, clock=lambda: now[0])

    def call(call_id: str, source: str = "otlp.logs") -> dict[str, Any]:
        event = new_event(
            "command.executed",
            harness="claude_code",
            session={"id": "s"},
            gen_ai={"tool": {"call": {"id": call_id}}},
        )
        event["event"].update(id=f"{source}:{call_id}", source=source)
        return dedupe(event)

    for i in range(250):  # all inside one sweep interval: the key limit does the work
        call(f"c{i}")
    assert len(dedupe.seen) <= 100
    assert "duplicate_of" not in call("c0", "hook.http")["event"]  # the oldest were dropped
    assert call("c249", "hook.http")["event"]["duplicate_of"] == "otlp.logs:c249"
    now[0] = 30.0
    call("late")
    assert [key[1] for key in dedupe.seen] == ["late"]  # everything else expired


def test_integers_beyond_64_bits_are_kept_as_strings() -> None:
    """A value JSON encoders refuse (a 70-bit int) is kept as a string, not lost."""
    pipeline = build_pipeline(BeaconConfig())
    event = pipeline.process(new_event("tool.invoked", harness="x", raw={"n": 2**70, "m": 5}))
    assert event is not None
    assert event["raw"] == {"n": str(2**70), "m": 5}
    assert pipeline.stats.coerced == 1
    VALIDATOR.validate(event)


def test_dedupe_marks_same_prompt_from_another_path() -> None:
    """A prompt reported by OTLP and by a hook (same prompt id) is marked once."""
    dedupe = Dedupe(window_seconds=10, clock=lambda: 5.0)
    events = []
    for source in ("otlp.logs", "hook.http"):
        event = new_event(
            "prompt.submitted",
            harness="claude_code",
            session={"id": "s"},
            prompt={"text": "hi", "id": "p-1"},
        )
        event["event"].update(id=source, source=source)
        events.append(dedupe(event))
    assert "duplicate_of" not in events[0]["event"]
    assert events[1]["event"]["duplicate_of"] == "otlp.logs"


def test_a_dict_changed_outside_the_pipeline_is_measured_again() -> None:
    """Reprocessing the same dict after an outside change never reuses a stale measurement."""
    pipeline = build_pipeline(BeaconConfig())
    event = pipeline.process(new_event("tool.invoked", harness="x"))
    assert event is not None
    event["message"] = "password=hunter2 " + "m" * 5000
    again = pipeline.process(event)
    assert again is not None
    assert "hunter2" not in again["message"]
    assert len(again["message"].encode()) <= 4096


def test_standalone_processors_do_not_keep_stale_measurements() -> None:
    """Truncate and SizeCap used alone re-measure a dict changed between calls."""
    truncate, cap = Truncate(4096, 2048), SizeCap(8192)
    event = new_event("tool.invoked", harness="x")
    truncate(event)
    cap(event)
    event["message"] = "m" * 20000
    assert len(truncate(event)["message"].encode()) <= 4096
    event["raw"] = {"blob": ["r" * 1000] * 20}
    assert len(orjson.dumps(cap(event))) <= 8192


def test_process_serialized_hands_over_the_final_json_of_every_event() -> None:
    """The JSON the pipeline reuses for the writer is that of the event as it leaves.

    Clean, redacted, truncated, duplicate, capped and big-int events each change at a
    different step; a stale measurement would write a secret or a cut the event lacks.
    """
    pipeline = build_pipeline(BeaconConfig())

    def call(source: str, **fields: Any) -> dict[str, Any]:
        event = new_event(
            "command.executed",
            harness="claude_code",
            session={"id": "s1"},
            gen_ai={"tool": {"call": {"id": "toolu_1"}}},
            **fields,
        )
        event["event"]["source"] = source
        return event

    events = [
        new_event("prompt.submitted", harness="claude_code", message="hello"),
        call("otlp.logs", command={"command": "curl -H 'Authorization: Bearer abcdefghijklmn'"}),
        new_event("tool.completed", harness="claude_code", message="x" * 100_000),
        call("hook.command", command={"command": "echo again"}),
        _huge_event(),
        new_event("tool.completed", harness="claude_code", raw={"n": 2**70}),
    ]
    pairs = pipeline.process_serialized(events)
    assert len(pairs) == len(events)
    for event, blob in pairs:
        assert blob == orjson.dumps(event)
    actions = [orjson.loads(blob) for _, blob in pairs]
    assert "abcdefghijklmn" not in pairs[1][1].decode()
    assert actions[2]["content"]["truncations"]
    assert actions[3]["event"]["duplicate_of"] == actions[1]["event"]["id"]
    assert actions[4]["field_truncated"] is True
    assert actions[5]["raw"]["n"] == str(2**70)


def test_batch_screening_gives_the_same_events_as_one_at_a_time() -> None:
    """The batch path (enrich all, screen once, then the rest) equals per-event processing."""

    def batch() -> list[dict[str, Any]]:
        events = []
        for i in range(40):
            fields: dict[str, Any] = {"message": f"step {i}"}
            if i % 7 == 3:
                fields["command"] = {"command": f"curl -H 'Authorization: Bearer tok{i}abcdefgh'"}
            if i % 11 == 5:
                fields["raw"] = {"n": 2**70, "password": "hunter2"}
            if i % 13 == 0:
                fields["message"] = "y" * 20_000
            event = new_event(
                "tool.completed",
                harness="claude_code",
                timestamp="2026-11-22T00:00:00.000Z",
                **fields,
            )
            event["event"].update(id=f"id-{i}", created="2026-11-22T00:00:00.000Z")
            events.append(event)
        return events

    one_by_one = build_pipeline(BeaconConfig())
    expected = [one_by_one.process(e) for e in batch()]
    batched = build_pipeline(BeaconConfig())
    pairs = batched.process_serialized(batch())
    assert [e for e, _ in pairs] == expected
    assert [b for _, b in pairs] == [orjson.dumps(e) for e in expected]
    assert batched.counters() == one_by_one.counters()
    assert batched.stats == one_by_one.stats
    assert batched.counters()["redactions"] >= 8


def test_process_serialized_without_measuring_processors_still_writes_big_ints() -> None:
    """A pipeline that never serializes still hands over JSON for values orjson refuses."""
    events = [new_event("tool.completed", harness="x", raw={"n": 2**70}) for _ in range(3)]
    for pipeline in (Pipeline([Enrich()]), Pipeline([Enrich()], Serialized())):
        pairs = pipeline.process_serialized([dict(e) for e in events])
        assert [orjson.loads(blob)["raw"]["n"] for _, blob in pairs] == [str(2**70)] * 3


def test_events_sharing_a_dict_never_keep_a_stale_screened_json() -> None:
    """A batch whose events share a dict with a secret writes it redacted in every event.

    Redacting the first event changes the shared dict under the others, whose JSON was
    screened before; reusing that JSON would write the secret to disk.
    """
    shared = {"note": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "long": "z" * 5000}
    events = [
        new_event("session.activity", harness="x", message=f"m{i}", raw={"resource": shared})
        for i in range(4)
    ]
    pipeline = build_pipeline(BeaconConfig())
    pairs = pipeline.process_serialized(events)
    assert len(pairs) == 4
    for event, blob in pairs:
        assert b"ghp_" not in blob
        assert len(orjson.loads(blob)["raw"]["resource"]["long"].encode()) <= 2048
        assert blob == orjson.dumps(event)


def test_a_batch_gets_distinct_ordered_ids_and_one_ingest_time() -> None:
    """Enriching a request at once draws its ids in order and stamps one `event.created`."""
    events = [new_event("session.activity", harness="x", message=f"m{i}") for i in range(50)]
    events[7]["event"]["id"] = "kept-id"  # a mapper's id is kept
    pairs = build_pipeline(BeaconConfig()).process_serialized(events)
    ids = [event["event"]["id"] for event, _ in pairs]
    assert ids[7] == "kept-id"
    drawn = ids[:7] + ids[8:]
    assert len(set(drawn)) == 49 and drawn == sorted(drawn)
    assert len({event["event"]["created"] for event, _ in pairs}) == 1
