"""The field model of event schema 1.1: one table that generates the JSON Schema and the docs.

Keeping the model, the shipped `event.schema.json` and `docs/event-schema.md` generated from
one source means they cannot drift; a test regenerates both and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beacon.schema.actions import ACTION_CATEGORY, Action, Category, Origin, Severity
from beacon.schema.event import EVENT_KIND, PRODUCT, SCHEMA_VERSION, VENDOR

HEX64_PATTERN = r"^[0-9a-f]{64}$"
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


@dataclass(frozen=True)
class Field:
    """One key of the event: its JSON type, meaning and, for objects, its children."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()
    children: tuple[Field, ...] = ()
    open: bool = False
    pattern: str | None = None
    items: str | Field | None = None
    upstream: bool = True


def _f(name: str, type_: str, description: str, **kw: Any) -> Field:
    return Field(name, type_, description, **kw)


def _obj(name: str, description: str, *children: Field, **kw: Any) -> Field:
    return Field(name, "object", description, children=children, **kw)


_S, _I, _B, _N = "string", "integer", "boolean", "number"

_ANY = "any"


def _open(name: str, description: str, *children: Field) -> Field:
    return _obj(name, description, *children, open=True)


def _strings(name: str, description: str) -> Field:
    return _f(name, "array", description, items=_S)


# The upstream 1.0 `gen_ai` tree (OTel GenAI semantic conventions). Every sub-object stays
# open, so runtime attributes beyond these keep validating; the declared leaves are what
# threat rules can reference with a type.
GEN_AI_FIELDS: tuple[Field, ...] = (
    _open(
        "agent",
        "The agent or subagent.",
        _f("description", _S, "Agent description."),
        _f("id", _S, "Agent id."),
        _f("name", _S, "Agent name."),
        _f("version", _S, "Agent version."),
    ),
    _open("conversation", "The conversation.", _f("id", _S, "Conversation id.")),
    _open("data_source", "A retrieval data source.", _f("id", _S, "Data source id.")),
    _open(
        "embeddings",
        "An embeddings call.",
        _f("dimension_count", _I, "Embedding dimensions."),
    ),
    _open(
        "evaluation",
        "An evaluation result.",
        _f("explanation", _S, "Explanation."),
        _f("name", _S, "Evaluation name."),
        _open(
            "score",
            "The score.",
            _f("label", _S, "Score label."),
            _f("value", _N, "Score value."),
        ),
    ),
    _open("input", "Model input.", _f("messages", _ANY, "Input messages (any JSON).")),
    _open("operation", "The operation.", _f("name", _S, "Operation name, e.g. `chat`.")),
    _open(
        "output",
        "Model output.",
        _f("messages", _ANY, "Output messages (any JSON)."),
        _f("type", _S, "Output type."),
    ),
    _open("prompt", "A named prompt template.", _f("name", _S, "Prompt name.")),
    _open("provider", "The model provider.", _f("name", _S, "Provider name.")),
    _open(
        "request",
        "Request parameters.",
        _f("choice_count", _I, "Choices requested."),
        _strings("encoding_formats", "Encoding formats."),
        _f("frequency_penalty", _N, "Frequency penalty."),
        _f("max_tokens", _I, "Maximum output tokens."),
        _f("model", _S, "Requested model."),
        _f("presence_penalty", _N, "Presence penalty."),
        _f("seed", _I, "Seed."),
        _strings("stop_sequences", "Stop sequences."),
        _f("stream", _B, "Whether the response is streamed."),
        _f("temperature", _N, "Temperature."),
        _f("top_k", _N, "Top-k."),
        _f("top_p", _N, "Top-p."),
    ),
    _open(
        "response",
        "Response details.",
        _strings("finish_reasons", "Finish reasons."),
        _f("id", _S, "Response id."),
        _f("model", _S, "Model that answered."),
        _f("time_to_first_chunk", _N, "Seconds to the first streamed chunk."),
    ),
    _open(
        "retrieval",
        "A retrieval call.",
        _f("documents", _ANY, "Retrieved documents (any JSON)."),
        _f("query_text", _S, "Query text."),
    ),
    _f("system_instructions", _ANY, "System instructions (any JSON)."),
    _open("token", "Token accounting.", _f("type", _S, "Token type of a usage datapoint.")),
    _open(
        "tool",
        "A tool call.",
        _open(
            "call",
            "The call.",
            _f("arguments", _ANY, "Call arguments (any JSON)."),
            _f("id", _S, "Call id (pairs hook and OTLP reports)."),
            _f("result", _ANY, "Call result (any JSON)."),
        ),
        _f("definitions", _ANY, "Tool definitions (any JSON)."),
        _f("description", _S, "The tool's advertised description."),
        _f("name", _S, "Tool name."),
        _f("type", _S, "Tool type."),
    ),
    _open(
        "usage",
        "Token usage and cost.",
        _open(
            "cache_creation",
            "Cache writes.",
            _f("input_tokens", _I, "Input tokens written to the cache."),
        ),
        _open(
            "cache_read",
            "Cache reads.",
            _f("input_tokens", _I, "Input tokens read from the cache."),
        ),
        _f("cost_usd", _N, "Cost in USD as the runtime reported it."),
        _f("input_tokens", _I, "Input tokens."),
        _f("output_tokens", _I, "Output tokens."),
        _open(
            "reasoning",
            "Reasoning.",
            _f("output_tokens", _I, "Reasoning output tokens."),
        ),
    ),
    _open("workflow", "A workflow.", _f("name", _S, "Workflow name.")),
)

EVENT_FIELDS: tuple[Field, ...] = (
    _f(
        "timestamp",
        _S,
        "When it happened: RFC 3339 UTC with milliseconds.",
        required=True,
        pattern=TIMESTAMP_PATTERN,
    ),
    _f("vendor", _S, "Always `beacon`.", required=True, enum=(VENDOR,)),
    _f("product", _S, "Always `endpoint-agent`.", required=True, enum=(PRODUCT,)),
    _f(
        "schema_version",
        _S,
        "Schema version of this line, `1.1`.",
        required=True,
        enum=(SCHEMA_VERSION,),
    ),
    _obj(
        "event",
        "What happened.",
        _f("kind", _S, "Always `agent_runtime`.", required=True, enum=(EVENT_KIND,)),
        _f(
            "action",
            _S,
            "The action, from the closed vocabulary.",
            required=True,
            enum=tuple(a.value for a in Action),
        ),
        _f(
            "category",
            _S,
            "The action's family.",
            required=True,
            enum=tuple(c.value for c in Category),
        ),
        _f(
            "id",
            _S,
            "Unique id of this event (UUIDv7), stable once written.",
            required=True,
            upstream=False,
        ),
        _f(
            "created",
            _S,
            "When Beacon ingested it: RFC 3339 UTC with milliseconds.",
            required=True,
            pattern=TIMESTAMP_PATTERN,
            upstream=False,
        ),
        _f(
            "source",
            _S,
            "Ingest path: `otlp.logs`, `otlp.traces`, `otlp.metrics`, "
            "`hook.command`, `hook.http`, `inventory`, `beacon`.",
            upstream=False,
        ),
        _f(
            "duplicate_of",
            _S,
            "`event.id` of an event this one duplicates (same tool call seen on another path).",
            upstream=False,
        ),
        required=True,
    ),
    _f("severity", _S, "Severity level.", required=True, enum=tuple(s.value for s in Severity)),
    _obj(
        "endpoint",
        "The machine that recorded the event.",
        _f("hostname", _S, "Host name."),
        _f("os", _S, "Operating system (`linux`, `darwin`, `windows`).", required=True),
        _f("agent_version", _S, "Agent Beacon version."),
        required=True,
    ),
    _obj(
        "user",
        "The local user the agent ran as.",
        _f("name", _S, "User name."),
        _f("uid", _S, "User id (or a hashed cloud user id)."),
    ),
    _obj(
        "harness",
        "The agent runtime.",
        _f(
            "name",
            _S,
            "Canonical runtime name (`claude_code`, `codex_cli`, `gemini_cli`, "
            "`copilot_cli`, `vscode_copilot`, `cursor`, …).",
            required=True,
        ),
        _f("version", _S, "Runtime version."),
        _f("executable_path", _S, "Path of the runtime's executable."),
        _f("config_path", _S, "Path of the runtime's config file."),
        required=True,
    ),
    _f("origin", _S, "Where the agent ran.", enum=tuple(o.value for o in Origin)),
    _obj(
        "error",
        "An error the source reported.",
        _f("type", _S, "Error type or code."),
        _f("message", _S, "Error message (redacted, truncated).", upstream=False),
    ),
    _obj(
        "run",
        "CI or cloud run context.",
        _f("provider", _S, "CI provider, e.g. `github_actions`."),
        _f("run_id", _S, "Run id."),
        _f("run_attempt", _S, "Run attempt."),
        _f("workflow", _S, "Workflow name."),
        _f("job", _S, "Job name."),
        _f("event_name", _S, "Triggering event."),
        _f("commit", _S, "Commit SHA."),
        _f("repository", _S, "Repository."),
        _f("branch", _S, "Branch."),
        _f("pr", _S, "Raw PR ref, e.g. `refs/pull/12/merge`."),
        _f("pr_number", _S, "PR number."),
        _f("actor", _S, "Who triggered the run."),
        _f("ephemeral", _B, "Whether the runner is ephemeral."),
    ),
    _obj(
        "ci",
        "CI job details beyond `run`: the Beacon CI session, links, refs and the runner.",
        _f(
            "session_id",
            _S,
            "Id of the Beacon CI session (one `beacon ci exec`, or one `start` … `finish`).",
            upstream=False,
        ),
        _f("url", _S, "Web address of the run or job.", upstream=False),
        _f("job_id", _S, "The provider's id of this job execution.", upstream=False),
        _f(
            "ref",
            _S,
            "Full Git ref of the run (`refs/heads/main`, `refs/pull/12/merge`).",
            upstream=False,
        ),
        _f("base_branch", _S, "Target branch of a pull or merge request.", upstream=False),
        _f(
            "workflow_ref",
            _S,
            "Workflow file and ref that ran (`owner/repo/.github/workflows/x.yml@refs/…`).",
            upstream=False,
        ),
        _f(
            "triggering_actor",
            _S,
            "Who started this attempt (differs from `run.actor` on re-runs).",
            upstream=False,
        ),
        _f("repository_id", _S, "The provider's numeric repository id.", upstream=False),
        _f("actor_id", _S, "The provider's numeric id of `run.actor`.", upstream=False),
        _f("runner_name", _S, "Name of the runner or agent.", upstream=False),
        _f("runner_os", _S, "Runner operating system as the provider names it.", upstream=False),
        _f("runner_arch", _S, "Runner architecture as the provider names it.", upstream=False),
        _f(
            "runner_environment",
            _S,
            "`github-hosted` or `self-hosted` (GitHub Actions).",
            upstream=False,
        ),
        upstream=False,
    ),
    _obj(
        "session",
        "The agent session.",
        _f("id", _S, "Session (conversation) id as the runtime reports it."),
        _f("working_directory", _S, "The session's working directory."),
    ),
    _obj(
        "trace",
        "OTLP trace context.",
        _f("id", _S, "Trace id (hex)."),
        _f("span_id", _S, "Span id (hex)."),
        _f("parent_span_id", _S, "Parent span id (hex)."),
    ),
    _obj(
        "jsonrpc",
        "JSON-RPC details (MCP).",
        _f("request.id", _S, "Request id."),
        _f("protocol.version", _S, "JSON-RPC version."),
    ),
    _obj(
        "network",
        "Network details.",
        _f("protocol.name", _S, "Protocol name."),
        _f("protocol.version", _S, "Protocol version."),
        _f("transport", _S, "Transport, lower-cased."),
    ),
    _obj("rpc", "RPC details.", _f("response.status_code", _S, "Response status code.")),
    _obj("server", "Remote server.", _f("address", _S, "Address."), _f("port", _I, "Port.")),
    _obj(
        "tool",
        "The tool the agent used.",
        _f("name", _S, "Tool name as the runtime names it (`Bash`, `Read`, `mcp__srv__tool`)."),
        _f("command", _S, "The tool's command line or stringified arguments."),
        _f("path", _S, "A path the tool acted on."),
        _f("failure_type", _S, "How the tool failed (hook path)."),
        _f("error", _S, "The tool's error text (redacted, truncated)."),
    ),
    _obj(
        "file",
        "A file the agent read or changed.",
        _f("path", _S, "File path."),
        _f(
            "operation",
            _S,
            "`read`, `create`, `modify`, or `delete` (new in 1.1).",
            enum=("read", "create", "modify", "delete"),
        ),
        _f("language", _S, "Extension without the dot."),
        _f("diff_hash", _S, "sha256 (hex) of the diff or new content."),
        _f("diff_bytes", _I, "Size of the diff or new content in bytes."),
        _f("diff", _S, "The diff text (redacted, truncated)."),
    ),
    _obj(
        "command",
        "A shell command the agent ran.",
        _f("command", _S, "Command text."),
        _f("exit_code", _I, "Exit code (0 kept)."),
        _f("duration_ms", _I, "Duration in milliseconds."),
        _f("output", _S, "Command output (redacted, truncated)."),
    ),
    _obj(
        "mcp",
        "An MCP interaction.",
        _f("server", _S, "MCP server name."),
        _f("tool", _S, "MCP tool name."),
        _f("method.name", _S, "JSON-RPC method, e.g. `tools/call`."),
        _f("protocol.version", _S, "MCP protocol version."),
        _f("resource.uri", _S, "Resource URI."),
        _f("session.id", _S, "MCP session id."),
    ),
    _obj(
        "approval",
        "A permission decision.",
        _f("required", _B, "Whether approval was required."),
        _f("decision", _S, "The decision as reported (`accept`, `reject`, `requested`, …)."),
        _f("reason", _S, "Why, or who decided (`config`, `user_temporary`, …)."),
    ),
    _obj(
        "policy",
        "A policy decision.",
        _f("id", _S, "Rule id."),
        _f("name", _S, "Rule name."),
        _f("decision", _S, "Decision."),
        _f("enforcement", _S, "`enforce` or `monitor`."),
        _f("reason", _S, "Reason."),
    ),
    _obj(
        "prompt",
        "A user prompt.",
        _f("text", _S, "Prompt text (redacted, truncated)."),
        _f("id", _S, "The runtime's prompt id (pairs hook and OTLP reports).", upstream=False),
    ),
    _obj(
        "content",
        "What happened to the event's content on the way to disk.",
        _f(
            "retention",
            _S,
            "`metadata`, `redacted` or `full`.",
            enum=("metadata", "redacted", "full", ""),
        ),
        _f("included", _B, "Whether content fields are present."),
        _f("redacted", _B, "Whether any secret was redacted."),
        _f("truncated", _B, "Whether any field was truncated."),
        _f("hash", _S, "sha256 (hex) of the primary content before truncation."),
        _f("bytes", _I, "Length of the primary content before truncation."),
        _f("redaction_count", _I, "How many secrets were redacted.", upstream=False),
        _f(
            "truncations",
            "array",
            "One entry per truncated field.",
            upstream=False,
            items=_obj(
                "truncation",
                "A truncated field.",
                _f("field", _S, "Dotted path of the field.", required=True),
                _f("bytes", _I, "Original length in UTF-8 bytes.", required=True),
                _f("sha256", _S, "sha256 (hex) of the original value.", required=True),
            ),
        ),
        _f(
            "dropped_fields",
            "array",
            "Fields removed to fit the event size cap.",
            items=_S,
            upstream=False,
        ),
    ),
    _obj(
        "destination",
        "A forwarding destination (validation events).",
        _f("type", _S, "Destination type."),
        _f("mode", _S, "Mode."),
        _f("status", _S, "Status."),
    ),
    _obj(
        "health",
        "A component's health.",
        _f("component", _S, "Component."),
        _f("status", _S, "Status."),
        _f("reason", _S, "Reason."),
    ),
    _obj(
        "gen_ai",
        "OpenTelemetry GenAI semantic-convention fields (usage, request, response, tool "
        "call, agent …). Open: attributes beyond the declared ones are kept.",
        *GEN_AI_FIELDS,
        open=True,
    ),
    _f("model", _S, "Model name."),
    _f("repository", _S, "Repository URL or workspace path."),
    _f("branch", _S, "Branch name."),
    _f("message", _S, "Human-readable summary."),
    _f(
        "raw",
        "object",
        "Source payload: OTLP attributes or the hook payload (redacted, truncated).",
        open=True,
    ),
    _f("field_truncated", _B, "Set when the event exceeded the size cap and was degraded."),
    _obj(
        "integrity",
        "The line's link in its stream's hash chain, added by the writer as the last key "
        "(docs/audit.md); producers never set it.",
        _f(
            "seq",
            _I,
            "Position in the stream's chain, 1 for its first line.",
            required=True,
        ),
        _f(
            "prev",
            _S,
            "`hash` of the previous line of the stream (64 zeros for the first).",
            required=True,
            pattern=HEX64_PATTERN,
        ),
        _f(
            "hash",
            _S,
            "SHA-256 (HMAC-SHA256 when keyed) over `prev`, `seq` and the line without "
            "`integrity`, hex.",
            required=True,
            pattern=HEX64_PATTERN,
        ),
        _f(
            "key",
            _S,
            "Id of the key of a keyed (HMAC) chain: 16 hex digits; absent for plain SHA-256.",
            pattern=r"^[0-9a-f]{16}$",
        ),
        upstream=False,
    ),
)


def _field_schema(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": field.description}
    if field.type == "object":
        schema["type"] = "object"
        if field.children:
            schema["properties"] = {c.name: _field_schema(c) for c in field.children}
            required = [c.name for c in field.children if c.required]
            if required:
                schema["required"] = required
        schema["additionalProperties"] = field.open
        return schema
    if field.type != "any":
        schema["type"] = field.type
    if field.enum:
        schema["enum"] = list(field.enum)
    if field.pattern:
        schema["pattern"] = field.pattern
    if field.type == "array":
        if isinstance(field.items, Field):
            schema["items"] = _field_schema(field.items)
        elif field.items:
            schema["items"] = {"type": field.items}
    return schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one event line, generated from `EVENT_FIELDS`."""
    root = _field_schema(_obj("event_line", "", *EVENT_FIELDS))
    root.pop("description")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://agent-beacon.dev/schema/event-{SCHEMA_VERSION}.json",
        "title": f"Agent Beacon normalized event {SCHEMA_VERSION}",
        "description": "One line of runtime.jsonl or inventory_state.jsonl.",
        **root,
    }


def _rows(fields: tuple[Field, ...], prefix: str) -> list[str]:
    rows: list[str] = []
    for field in fields:
        path = f"{prefix}{field.name}"
        kind = field.type
        if field.type == "array" and field.items is not None:
            inner = field.items.type if isinstance(field.items, Field) else field.items
            kind = f"array of {inner}"
        notes = [field.description]
        if field.enum and len(field.enum) <= 6:
            notes.append("One of: " + ", ".join(f"`{v}`" for v in field.enum) + ".")
        if not field.upstream:
            notes.append("*(new in 1.1)*")
        required = "yes" if field.required else ""
        rows.append(f"| `{path}` | {kind} | {required} | {' '.join(notes)} |")
        rows.extend(_rows(field.children, f"{path}."))
        if isinstance(field.items, Field):
            rows.extend(_rows(field.items.children, f"{path}[]."))
    return rows


def markdown_reference() -> str:
    """The field reference page `docs/event-schema.md`, generated from `EVENT_FIELDS`."""
    actions = "\n".join(f"| `{a.value}` | `{ACTION_CATEGORY[a].value}` |" for a in Action)
    return "\n".join(
        [
            f"# Event schema {SCHEMA_VERSION}",
            "",
            "<!-- Generated by `python scripts/regenerate.py`; a test fails when this drifts. -->",
            "",
            "Every line of `runtime.jsonl` and `inventory_state.jsonl` is one JSON object of this",
            "shape. Schema 1.1 is a strict superset of upstream Agent Beacon 1.0: every 1.0 field",
            "keeps its name and meaning, so content built for 1.0 keeps working. Additions are",
            "marked *(new in 1.1)*; timestamps now carry milliseconds. The JSON Schema ships in",
            "the package as `beacon/schema/event.schema.json`.",
            "",
            "Keys with a dot inside one name (`mcp.method.name`, `jsonrpc.request.id`) are literal",
            "dotted keys inside their object, as in 1.0.",
            "",
            "## Fields",
            "",
            "| field | type | required | meaning |",
            "|---|---|---|---|",
            *_rows(EVENT_FIELDS, ""),
            "",
            "## Actions",
            "",
            "The vocabulary is closed: an event with any other action does not validate.",
            "`inventory.heartbeat` and `inventory.snapshot` go to `inventory_state.jsonl`;",
            "every other action goes to `runtime.jsonl`.",
            "",
            "| action | category |",
            "|---|---|",
            actions,
            "",
        ]
    )
