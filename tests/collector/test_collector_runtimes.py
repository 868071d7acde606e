"""Runtime mappers as pure functions: tool classification, usage accounting, noise controls."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beacon.runtimes import registry
from beacon.runtimes.context import MapContext, MapOptions
from beacon.runtimes.generic import canonical_harness
from beacon.runtimes.records import Batch, LogRecord, MetricPoint, Scope, Span
from beacon.runtimes.registry import Mapper, Runtime
from beacon.schema.actions import is_known_action
from beacon.schema.event import Event

CLAUDE = {"service.name": "claude-code", "service.version": "2.1.197"}
CODEX = {"service.name": "codex_exec", "service.version": "0.169.0"}
GEMINI = {"service.name": "gemini-cli", "service.version": "v20.20.2", "session.id": "g-1"}


def log(
    resource: dict[str, Any], attributes: dict[str, Any], *, body: Any = None, name: str = ""
) -> LogRecord:
    return LogRecord(
        scope=Scope(resource, "scope"),
        attributes=attributes,
        body=body,
        event_name=name,
        time_unix_nano=1_795_312_267_283_000_000,
    )


def point(
    resource: dict[str, Any], name: str, value: float, attrs: dict[str, Any], **kw: Any
) -> MetricPoint:
    return MetricPoint(
        scope=Scope(resource, "scope"),
        name=name,
        attributes=attrs,
        kind=kw.pop("kind", "sum"),
        value=value,
        time_unix_nano=kw.pop("time", 1_795_312_267_283_000_000),
        **kw,
    )


def run(
    *,
    logs: list[LogRecord] = (),
    spans: list[Span] = (),
    points: list[MetricPoint] = (),  # type: ignore[assignment]
    options: MapOptions | None = None,
) -> tuple[list[Event], Mapper]:
    mapper = Mapper(MapContext(options or MapOptions()))
    events = mapper.map(Batch(logs=list(logs), spans=list(spans), points=list(points)))
    for event in events:
        assert is_known_action(event["event"]["action"]), event["event"]
    return events, mapper


def claude_tool_result(tool: str, **attrs: Any) -> Event:
    record = log(
        CLAUDE,
        {
            "event.name": "tool_result",
            "session.id": "s-1",
            "tool_name": tool,
            "tool_use_id": "toolu_1",
            "success": "true",
            "duration_ms": "58",
            **attrs,
        },
        body="claude_code.tool_result",
    )
    events, _ = run(logs=[record])
    assert len(events) == 1
    return events[0]


def test_claude_bash_result_is_command_executed_with_decoded_command() -> None:
    """The command comes from the JSON-string `tool_input`; string numbers are coerced."""
    event = claude_tool_result("Bash", tool_input=json.dumps({"command": "echo BEACON_MARKER"}))
    assert event["event"]["action"] == "command.executed"
    assert event["command"] == {"command": "echo BEACON_MARKER", "duration_ms": 58}
    assert event["gen_ai"]["tool"]["call"]["id"] == "toolu_1"
    assert event["session"]["id"] == "s-1"
    assert event["harness"] == {"name": "claude_code", "version": "2.1.197"}
    assert event["raw"]["attributes"]["tool_name"] == "Bash"


@pytest.mark.parametrize(
    ("tool", "params", "action", "operation"),
    [
        ("Read", {"file_path": "/p/a.py"}, "file.read", "read"),
        ("Write", {"file_path": "/p/new.md"}, "file.modified", "create"),
        ("Edit", {"file_path": "/p/a.py"}, "file.modified", "modify"),
        ("NotebookEdit", {"notebook_path": "/p/n.ipynb"}, "file.modified", "modify"),
    ],
)
def test_claude_file_tools_map_to_file_actions(
    tool: str, params: dict[str, str], action: str, operation: str
) -> None:
    """Read/Write/Edit results carry `file{path, operation, language}`."""
    event = claude_tool_result(tool, tool_parameters=json.dumps(params))
    assert event["event"]["action"] == action
    path = next(iter(params.values()))
    assert event["file"]["path"] == path and event["file"]["operation"] == operation
    assert event["file"]["language"] == path.rsplit(".", 1)[1]


def test_claude_mcp_tool_name_is_split_into_server_and_tool() -> None:
    """`mcp__github__create_issue` is an MCP call to server github, tool create_issue."""
    event = claude_tool_result("mcp__github__create_issue")
    assert event["event"]["action"] == "mcp.tool_invoked"
    assert event["mcp"] == {"server": "github", "tool": "create_issue"}


def test_claude_failed_tool_is_tool_failed_with_error() -> None:
    """A non-shell tool with success "false" is tool.failed, error kept, severity raised."""
    event = claude_tool_result(
        "Glob", success="false", error_type="Error:ENOENT", error="no such file"
    )
    assert event["event"]["action"] == "tool.failed"
    assert event["error"] == {"type": "Error:ENOENT", "message": "no such file"}
    assert event["severity"] == "high"


def test_claude_other_tool_is_tool_completed() -> None:
    """Tools that are neither shell, file nor MCP are tool.completed."""
    assert claude_tool_result("Glob")["event"]["action"] == "tool.completed"


@pytest.mark.parametrize(
    ("decision", "source", "action", "required"),
    [
        ("accept", "config", "approval.allowed", False),
        ("accept", "user_temporary", "approval.allowed", True),
        ("reject", "user_reject", "approval.denied", True),
    ],
)
def test_claude_tool_decision_maps_to_approval(
    decision: str, source: str, action: str, required: bool
) -> None:
    """tool_decision -> approval.allowed/denied with decision and reason (the source)."""
    record = log(
        CLAUDE,
        {
            "event.name": "tool_decision",
            "decision": decision,
            "source": source,
            "tool_name": "Bash",
            "tool_use_id": "toolu_9",
        },
        body="claude_code.tool_decision",
    )
    (event,), _ = run(logs=[record])
    assert event["event"]["action"] == action
    assert event["approval"] == {"required": required, "decision": decision, "reason": source}
    assert event["gen_ai"]["tool"]["call"]["id"] == "toolu_9"


def test_claude_api_error_and_unknown_events_are_kept() -> None:
    """api_error -> model.error; an unknown name -> session.activity; no name -> unclassified."""
    records = [
        log(
            CLAUDE,
            {"event.name": "api_error", "status_code": "529", "error": "overloaded", "model": "m"},
            body="claude_code.api_error",
        ),
        log(
            CLAUDE, {"event.name": "brand_new_event", "x": "1"}, body="claude_code.brand_new_event"
        ),
        log(CLAUDE, {"x": "2"}),
    ]
    events, _ = run(logs=records)
    assert [e["event"]["action"] for e in events] == [
        "model.error",
        "session.activity",
        "telemetry.unclassified",
    ]
    assert events[0]["error"] == {"type": "http_529", "message": "overloaded"}
    assert events[1]["raw"]["attributes"] == {"event.name": "brand_new_event", "x": "1"}
    assert events[2]["raw"]["attributes"] == {"x": "2"}


def test_claude_api_request_carries_usage_and_cost() -> None:
    """api_request -> model.request with disjoint token counts and cost."""
    record = log(
        CLAUDE,
        {
            "event.name": "api_request",
            "model": "claude-x",
            "input_tokens": 12,
            "output_tokens": "20",
            "cache_read_tokens": 3,
            "cache_creation_tokens": 4,
            "cost_usd": 0.5,
        },
        body="claude_code.api_request",
    )
    (event,), _ = run(logs=[record])
    assert event["event"]["action"] == "model.request"
    assert event["gen_ai"]["usage"] == {
        "input_tokens": 12,
        "output_tokens": 20,
        "cache_read": {"input_tokens": 3},
        "cache_creation": {"input_tokens": 4},
        "cost_usd": 0.5,
    }


def codex_result(tool: str, arguments: Any, output: str = "", **attrs: Any) -> Event:
    record = log(
        CODEX,
        {
            "event.name": "codex.tool_result",
            "tool_name": tool,
            "call_id": "call_1",
            "arguments": json.dumps(arguments),
            "success": "true",
            "output": output,
            "conversation.id": "c-1",
            **attrs,
        },
    )
    (event,), _ = run(logs=[record])
    return event


def test_codex_shell_argv_and_exit_code_from_output() -> None:
    """`["bash","-lc",cmd]` gives cmd; the exit code printed in the output is kept."""
    event = codex_result(
        "shell", {"command": ["bash", "-lc", "ls /nope"]}, "Process exited with code 2\n"
    )
    assert event["event"]["action"] == "command.executed"
    assert event["command"]["command"] == "ls /nope"
    assert event["command"]["exit_code"] == 2
    assert event["severity"] == "low"
    assert event["session"]["id"] == "c-1"
    assert event["gen_ai"]["tool"]["call"]["id"] == "call_1"


def test_codex_apply_patch_and_mcp_results() -> None:
    """apply_patch adding a file is file.created; a result with mcp_server is an MCP call."""
    patch = codex_result(
        "apply_patch", {"input": "*** Begin Patch\n*** Add File: docs/x.md\n+hi\n"}
    )
    assert patch["event"]["action"] == "file.created"
    assert patch["file"] == {"path": "docs/x.md", "operation": "create", "language": "md"}
    mcp = codex_result("search", {"q": "x"}, mcp_server="docs")
    assert mcp["event"]["action"] == "mcp.tool_invoked"
    assert mcp["mcp"]["server"] == "docs"


def test_codex_token_usage_does_not_double_count_cached_input() -> None:
    """Codex `input` includes `cached_input`: input_tokens is the uncached part, total not usage."""
    attrs = {"model": "gpt", "app.version": "0.169.0"}
    points = [
        point(
            CODEX,
            "codex.turn.token_usage",
            v,
            {**attrs, "token_type": t},
            kind="histogram",
            temporality=1,
        )
        for t, v in (("input", 100.0), ("cached_input", 40.0), ("output", 20.0), ("total", 120.0))
    ]
    events, _ = run(points=points)
    usage = [e for e in events if e["event"]["action"] == "token.usage"]
    tokens = {e["gen_ai"]["token"]["type"]: e["gen_ai"]["usage"] for e in usage}
    assert tokens == {
        "input": {"input_tokens": 60},
        "cached_input": {"cache_read": {"input_tokens": 40}},
        "output": {"output_tokens": 20},
    }
    assert [e["event"]["action"] for e in events if "usage" not in e.get("gen_ai", {})] == [
        "metric.observed"
    ]


def test_codex_spans_and_internal_metrics_dropped_unless_asked() -> None:
    """Codex spans and internal metrics are counted drops by default, kept with the flags."""
    span = Span(scope=Scope(CODEX, "codex_exec"), name="run_turn", attributes={"thread.id": 1})
    metric = point(CODEX, "codex.sqlite.init.count", 1, {})
    events, mapper = run(spans=[span], points=[metric])
    assert events == []
    assert mapper.context.dropped == {"codex_span": 1, "runtime_metric": 1}
    events, _ = run(
        spans=[span],
        points=[metric],
        options=MapOptions(include_codex_spans=True, include_runtime_metrics=True),
    )
    assert sorted(e["event"]["action"] for e in events) == ["metric.observed", "trace.unclassified"]


def test_gemini_cumulative_token_usage_becomes_deltas() -> None:
    """Gemini metrics are cumulative: each export reports only the increase."""
    mapper = Mapper(MapContext())
    amounts = []
    for value in (60, 90, 90):
        p = point(
            GEMINI,
            "gemini_cli.token.usage",
            value,
            {"type": "input", "model": "g"},
            temporality=2,
            start_time_unix_nano=1,
        )
        amounts += [e["gen_ai"]["usage"]["input_tokens"] for e in mapper.map(Batch(points=[p]))]
    assert amounts == [60, 30]
    assert mapper.context.dropped["unchanged_usage"] == 1


def test_gemini_rejected_tool_call_is_only_an_approval_denied() -> None:
    """A rejected tool did not run: approval.denied, no tool event."""
    record = log(
        GEMINI,
        {
            "event.name": "gemini_cli.tool_call",
            "function_name": "run_shell_command",
            "decision": "reject",
            "success": False,
            "function_args": json.dumps({"command": "rm -rf /"}),
        },
    )
    events, _ = run(logs=[record])
    assert [e["event"]["action"] for e in events] == ["approval.denied"]
    assert events[0]["session"]["id"] == "g-1"
    assert "version" not in events[0]["harness"]  # service.version is Node's, not Gemini's


def test_gemini_file_operation_maps_by_operation() -> None:
    """file_operation create/read/update -> file.created/read/modified."""
    records = [
        log(
            GEMINI,
            {
                "event.name": "gemini_cli.file_operation",
                "operation": op,
                "tool_name": "write_file",
                "extension": ".py",
            },
        )
        for op in ("create", "read", "update")
    ]
    events, _ = run(logs=records)
    assert [e["event"]["action"] for e in events] == ["file.created", "file.read", "file.modified"]
    assert events[2]["file"] == {"operation": "modify", "language": "py"}


@pytest.mark.parametrize(
    ("service", "harness"),
    [("copilot-chat", "vscode_copilot"), ("github-copilot", "copilot_cli")],
)
def test_copilot_spans_map_tools_prompts_and_chats(service: str, harness: str) -> None:
    """execute_tool -> command.executed; invoke_agent with a request -> prompt; chat -> model."""
    resource = {"service.name": service, "service.version": "1.2"}
    spans = [
        Span(
            scope=Scope(resource, "copilot"),
            name="execute_tool run_in_terminal",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "run_in_terminal",
                "gen_ai.tool.call.id": "t1",
                "gen_ai.tool.call.arguments": '{"command": "make test"}',
                "gen_ai.conversation.id": "conv",
            },
            trace_id="ab" * 16,
            span_id="cd" * 8,
            start_time_unix_nano=1_000_000_000,
            end_time_unix_nano=1_250_000_000,
        ),
        Span(
            scope=Scope(resource, "copilot"),
            name="invoke_agent GitHub Copilot",
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "copilot_chat.user_request": "fix the build",
            },
        ),
        Span(
            scope=Scope(resource, "copilot"),
            name="chat gpt-5",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-5",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 5,
            },
        ),
    ]
    events, _ = run(spans=spans)
    assert [e["event"]["action"] for e in events] == [
        "command.executed",
        "prompt.submitted",
        "model.request",
    ]
    assert {e["harness"]["name"] for e in events} == {harness}
    assert events[0]["command"] == {"command": "make test", "duration_ms": 250}
    assert events[0]["session"]["id"] == "conv"
    assert events[0]["trace"] == {"id": "ab" * 16, "span_id": "cd" * 8}
    assert events[1]["prompt"]["text"] == "fix the build"
    assert events[2]["gen_ai"]["usage"] == {"input_tokens": 10, "output_tokens": 5}


def test_copilot_metrics_keep_token_usage_and_drop_own_metrics() -> None:
    """gen_ai.client.token.usage -> token.usage; copilot_chat.* metrics are runtime metrics."""
    resource = {"service.name": "copilot-chat"}
    points = [
        point(
            resource,
            "gen_ai.client.token.usage",
            42,
            {"gen_ai.token.type": "output"},
            kind="histogram",
            temporality=1,
        ),
        point(resource, "copilot_chat.tool.call.count", 1, {}),
    ]
    events, mapper = run(points=points)
    assert [e["event"]["action"] for e in events] == ["token.usage"]
    assert events[0]["gen_ai"]["usage"] == {"output_tokens": 42}
    assert mapper.context.dropped["runtime_metric"] == 1


@pytest.mark.parametrize(
    ("service", "harness"),
    [
        ("Claude Code", "claude_code"),
        ("codex_cli_rs", "codex_cli"),
        ("vscode-copilot", "vscode_copilot"),
        ("cline", "cline"),
        ("My Agent!", "my_agent_"),
        ("", "otel"),
    ],
)
def test_generic_harness_names_are_canonical(service: str, harness: str) -> None:
    """Harness names follow upstream's canonicalisation; unknown ones pass through, cleaned."""
    assert canonical_harness(service) == harness


def test_generic_keeps_unknown_senders_and_drops_process_metrics() -> None:
    """Unknown senders' logs are kept with raw attributes; process metrics are counted drops."""
    resource = {"service.name": "acme-agent"}
    events, mapper = run(
        logs=[log(resource, {"k": "v"}, body="hello"), log(resource, {"event.name": "acme.thing"})],
        points=[
            point(resource, "process.cpu.time", 1.0, {}),
            point(resource, "acme.widgets", 3, {}),
        ],
    )
    assert [(e["harness"]["name"], e["event"]["action"]) for e in events] == [
        ("acme-agent", "telemetry.unclassified"),
        ("acme-agent", "session.activity"),
        ("acme-agent", "metric.observed"),
    ]
    assert events[0]["message"] == "hello" and events[0]["raw"]["attributes"] == {"k": "v"}
    assert mapper.context.dropped["runtime_metric"] == 1


def test_a_failing_mapper_keeps_the_record_as_unclassified(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mapper bug never loses a record: it becomes telemetry.unclassified with the error."""

    def broken(*_: Any) -> list[Event]:
        raise KeyError("boom")

    runtime = Runtime("broken", lambda r, s: "broken", broken, broken, broken)
    monkeypatch.setattr(registry, "RUNTIMES", (runtime,))
    events, mapper = run(logs=[log({}, {"a": 1})], points=[point({}, "m", 1, {})])
    assert [e["event"]["action"] for e in events] == ["telemetry.unclassified"] * 2
    assert "KeyError" in events[0]["raw"]["mapping_error"]
    assert mapper.mapping_errors == 2


def test_runtime_modules_import_without_grpc_protobuf_or_aiohttp() -> None:
    """The hook path imports runtime modules: stdlib and beacon.schema only."""
    code = (
        "import sys\n"
        "import beacon.runtimes.registry as r\n"
        "r.runtimes()\n"
        "bad = [m for m in ('grpc', 'google.protobuf', 'aiohttp', 'orjson') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    "action", ["command.executed", "tool.failed", "token.usage", "session.activity"]
)
def test_otel_event_skeleton_is_new_event_plus_source(action: str) -> None:
    """OTLP events are `new_event`'s skeleton, stamped with the signal they came from."""
    from beacon.schema.event import new_event, skeleton

    fields = {"tool": {"name": "Bash"}}
    ours = skeleton(action, {"name": "h"}, "t", None, "m", dict(fields), "otlp.logs")
    theirs = new_event(action, harness="h", timestamp="t", message="m", **fields)
    theirs["event"]["source"] = "otlp.logs"
    assert orjson.dumps(ours) == orjson.dumps(theirs)  # same keys, values and order


@pytest.mark.parametrize(
    "unix_ns",
    [
        1,
        999_999_999,
        1_795_312_267_283_000_000,
        1_795_312_267_999_999_999,
        1_795_312_268_000_000_000,
    ],
)
def test_cached_timestamps_stay_exact_across_seconds(unix_ns: int) -> None:
    """The per-second prefix cache of `format_timestamp` agrees with a fresh formatting."""
    import time

    from beacon.schema.event import format_timestamp

    seconds, rest = divmod(unix_ns, 1_000_000_000)
    expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 10**6:03d}Z"
    assert format_timestamp(unix_ns) == expected


def test_a_mapper_failing_on_one_record_keeps_its_neighbours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records of one scope map in order; the one the mapper fails on becomes unclassified."""
    from beacon.runtimes.otel_events import log_event

    def picky(record: LogRecord, harness: str, ctx: MapContext) -> list[Event]:
        if record.attributes.get("bad"):
            raise ValueError("bad record")
        return [log_event(record, "session.activity", harness=harness)]  # type: ignore[arg-type]

    runtime = Runtime("picky", lambda r, s: "picky", picky, picky, picky)
    monkeypatch.setattr(registry, "RUNTIMES", (runtime,))
    scope = Scope({"service.name": "x"}, "s")
    records = [LogRecord(scope, {"n": i, "bad": i == 1}) for i in range(3)]
    events = Mapper().map(Batch(logs=records))
    assert [e["event"]["action"] for e in events] == [
        "session.activity",
        "telemetry.unclassified",
        "session.activity",
    ]
    assert [e["raw"]["attributes"]["n"] for e in events] == [0, 1, 2]
    assert "ValueError: bad record" in events[1]["raw"]["mapping_error"]


def test_log_base_matches_log_event() -> None:
    """The per-record closure builds the same event as `log_event`; its default message yields."""
    from beacon.runtimes.otel_events import log_base, log_event

    scope = Scope({"service.name": "x", "service.version": "1.0"}, "scope", "2")
    record = LogRecord(scope, {"a": "b"}, body="hi", time_unix_nano=5 * 10**18, severity_number=17)
    base = log_base(record, "claude_code", "1.0", "claude_code.x", "s1", default_message="body")
    direct = log_event(
        record,
        "tool.completed",  # type: ignore[arg-type]
        harness="claude_code",
        version="1.0",
        event_name="claude_code.x",
        session_id="s1",
        message="body",
        tool={"name": "Read"},
    )
    assert base("tool.completed", tool={"name": "Read"}) == direct  # type: ignore[arg-type]
    assert direct["severity"] == "high" and direct["session"] == {"id": "s1"}
    assert base("tool.completed", message="mine")["message"] == "mine"  # type: ignore[arg-type]
    assert "message" not in base("tool.completed", message=None)  # type: ignore[arg-type]


JSON_EDGES = [
    '{"a": 1, "b": [1.5, -0, -0.0, 1E2, 5e-324, 1.7976931348623157e308]}',
    '{"big": 12345678901234567890, "neg": -9223372036854775809}',
    '{"id": "1234567890123456789012", "n": 1}',
    '{"nan": NaN, "inf": Infinity}',
    '{"a": 1e400}',
    '{"s": "\\ud800 lone surrogate escape"}',
    '{"s": "\ud800 lone surrogate char"}',
    '{"dup": 1, "dup": 2}',
    '{"nested": {"x": [{"y": null, "z": true}]}}',
    '{"x": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"a": 1} trailing',
    '{"a": "\u00e9\u4e2d\U0001f600"}',
]


@pytest.mark.parametrize("text", JSON_EDGES)
def test_json_object_agrees_with_the_stdlib(text: str) -> None:
    """orjson speeds up JSON-string attributes only where it yields what `json` yields."""
    import orjson  # noqa: F401  (json_object uses it once the process has imported it)

    from beacon.runtimes.coerce import json_object

    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        expected = None
    got = json_object(text)
    assert repr(got) == repr(expected)  # repr: nan != nan, and -0.0 must stay -0.0
    if expected is not None:
        assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=False)
            | st.text(max_size=12),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_json_object_round_trips_like_the_stdlib(value: dict[str, Any]) -> None:
    """Any JSON object, big integers and odd floats included, decodes as `json.loads` does."""
    from beacon.runtimes.coerce import json_object

    text = json.dumps(value)
    assert repr(json_object(text)) == repr(json.loads(text))


def test_events_of_one_request_own_their_resource_and_are_each_redacted() -> None:
    """A secret in a resource attribute is redacted and flagged in every event of the request.

    The records of one request share the decoded resource; each event gets its own copy, so
    redacting one event leaves the others' copies to their own redaction (and flags).
    """
    from beacon.config import BeaconConfig
    from beacon.pipeline import build_pipeline

    resource = {**CLAUDE, "deploy.note": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789"}
    scope = Scope(resource, "com.anthropic.claude_code.events")
    records = [
        LogRecord(scope=scope, attributes={"prompt": f"hi {i}"}, body="claude_code.user_prompt")
        for i in range(3)
    ]
    events, _ = run(logs=records)
    assert len({id(e["raw"]["resource"]) for e in events}) == 3
    pairs = build_pipeline(BeaconConfig()).process_serialized(events)
    assert len(pairs) == 3
    for event, blob in pairs:
        assert b"ghp_" not in blob
        assert event["content"]["redacted"] is True
    assert "ghp_" in resource["deploy.note"]  # the decoded request itself is left as it was


def test_several_events_of_one_record_share_no_dict() -> None:
    """A Gemini tool call with a decision gives two events; neither shares a dict with the other."""
    record = log(
        GEMINI,
        {
            "event.name": "gemini_cli.tool_call",
            "function_name": "web_fetch",
            "call_id": "c-1",
            "decision": "accept",
            "success": "true",
            "function_args": '{"url": "https://example.test/?q=1"}',
        },
        name="gemini_cli.tool_call",
    )
    events, _ = run(logs=[record])
    assert len(events) == 2

    def containers(node: Any) -> set[int]:
        found: set[int] = set()
        if isinstance(node, dict | list):
            found.add(id(node))
            for value in node.values() if isinstance(node, dict) else node:
                found |= containers(value)
        return found

    assert not containers(events[0]) & containers(events[1])
