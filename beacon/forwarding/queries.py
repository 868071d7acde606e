"""Starter investigations over `beacon_runtime` / `beacon_inventory`, written once for every engine.

Each query is a function of a `SqlDialect`, so Athena, BigQuery and DuckDB get the same
question in their own spelling. Every query filters on the `date` partition (with slack)
and on each event's own timestamp, over the window `${BEACON_QUERY_FROM}` ..
`${BEACON_QUERY_TO}` (UTC days, inclusive). The DuckDB end-to-end test checks each one
against counts computed in Python from the source lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from beacon.forwarding.dialect import SqlDialect

CI_FILES = (
    r"\.github/workflows/|\.gitlab-ci\.yml|\.circleci/|Jenkinsfile|azure-pipelines\.yml"
    r"|\.buildkite/|bitbucket-pipelines\.yml|\.travis\.yml"
)
"""CI definitions: a session that reads or changes one can change what CI runs."""


@dataclass(frozen=True)
class StarterQuery:
    """One investigation: a name (`-- name:` in queries.sql), a summary, the SQL per dialect."""

    name: str
    summary: str
    streams: tuple[str, ...]
    build: Callable[[SqlDialect], str]

    def sql(self, d: SqlDialect) -> str:
        """The statement in `d`'s dialect (no trailing semicolon)."""
        return self.build(d)


def _commands_per_host_day(d: SqlDialect) -> str:
    return f"""SELECT
  {d.day()} AS day,
  {d.col("endpoint", "hostname")} AS host,
  count(*) AS commands,
  count(DISTINCT {d.col("session", "id")}) AS sessions
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'command.executed'
GROUP BY 1, 2
ORDER BY 1, 2"""


def _top_commands(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("command", "command")} AS command_line,
  count(*) AS runs,
  count(DISTINCT {d.col("endpoint", "hostname")}) AS hosts,
  count(DISTINCT {d.col("user", "name")}) AS users
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'command.executed'
  AND {d.col("command", "command")} IS NOT NULL
GROUP BY 1
ORDER BY runs DESC, command_line
LIMIT 25"""


def _secrets_redacted(d: SqlDialect) -> str:
    return f"""SELECT
  {d.day()} AS day,
  {d.col("endpoint", "hostname")} AS host,
  {d.col("harness", "name")} AS harness,
  {d.col("event", "action")} AS action,
  count(*) AS events,
  sum(coalesce({d.col("content", "redaction_count")}, 0)) AS redactions
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("content", "redacted")} = true
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4"""


def _denied_approvals(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("endpoint", "hostname")} AS host,
  {d.col("user", "name")} AS user_name,
  {d.col("harness", "name")} AS harness,
  {d.col("tool", "name")} AS tool_name,
  {d.col("event", "action")} AS action,
  count(*) AS events,
  max({d.col("timestamp")}) AS last_seen
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} IN ('approval.denied', 'policy.blocked')
GROUP BY 1, 2, 3, 4, 5
ORDER BY events DESC, last_seen DESC"""


def _mcp_servers_fleet(d: SqlDialect) -> str:
    host, ts = d.col("endpoint", "hostname"), d.col("timestamp")
    digest = d.json_text(d.col("raw"), "$.inventory.snapshot_digest")
    server = "mcp_server"
    return f"""WITH reporting AS (
  -- hosts whose inventory reported (heartbeat or snapshot) inside the window
  SELECT DISTINCT {host} AS host
  FROM {d.table("inventory")}
  WHERE {d.window(indent="    ")}
),
snapshots AS (
  -- snapshots are written only when the inventory changes: look back through all history
  SELECT {host} AS host, {digest} AS digest, {ts} AS ts, {d.col("raw")} AS raw
  FROM {d.table("inventory")}
  WHERE {d.window(since=False, indent="    ")}
    AND {d.col("event", "action")} = 'inventory.snapshot'
),
latest AS (
  SELECT host, digest
  FROM (
    SELECT host, digest, row_number() OVER (PARTITION BY host ORDER BY ts DESC, digest DESC) AS rn
    FROM snapshots
  ) AS ranked
  WHERE rn = 1
)
SELECT
  {d.json_text(server, "$.server_name")} AS server_name,
  {d.json_text(server, "$.transport")} AS transport,
  count(DISTINCT s.host) AS hosts
FROM snapshots AS s
JOIN latest AS l ON s.host = l.host AND s.digest = l.digest
JOIN reporting AS r ON s.host = r.host
{d.unnest_json_array("s.raw", "$.inventory.mcp_servers", server)}
GROUP BY 1, 2
ORDER BY hosts DESC, server_name, transport"""


def _mcp_tool_calls(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("mcp", "server")} AS mcp_server,
  {d.col("mcp", "tool")} AS mcp_tool,
  count(*) AS calls,
  count(DISTINCT {d.col("endpoint", "hostname")}) AS hosts,
  count(DISTINCT {d.col("user", "name")}) AS users
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'mcp.tool_invoked'
GROUP BY 1, 2
ORDER BY calls DESC"""


def _token_cost_by_user(d: SqlDialect) -> str:
    gen_ai = d.col("gen_ai")
    return f"""SELECT
  {d.col("user", "name")} AS user_name,
  {d.col("harness", "name")} AS harness,
  {d.col("model")} AS model,
  count(*) AS requests,
  sum({d.json_number(gen_ai, "$.usage.input_tokens", True)}) AS input_tokens,
  sum({d.json_number(gen_ai, "$.usage.output_tokens", True)}) AS output_tokens,
  sum({d.json_number(gen_ai, "$.usage.cache_read.input_tokens", True)}) AS cache_read_tokens,
  sum({d.json_number(gen_ai, "$.usage.cost_usd", False)}) AS cost_usd
FROM {d.table("runtime")}
WHERE {d.window()}
  -- one event per model call; token.usage / cost.usage metrics repeat the same totals
  AND {d.col("event", "action")} = 'model.request'
GROUP BY 1, 2, 3
ORDER BY cost_usd DESC, input_tokens DESC"""


def _ci_file_sessions(d: SqlDialect) -> str:
    touched = "\n    OR ".join(
        d.regex(d.col(*path), CI_FILES)
        for path in (
            ("file", "path"),
            ("tool", "path"),
            ("command", "command"),
            ("tool", "command"),
        )
    )
    return f"""SELECT
  {d.col("endpoint", "hostname")} AS host,
  {d.col("user", "name")} AS user_name,
  {d.col("harness", "name")} AS harness,
  {d.col("session", "id")} AS session_id,
  min({d.col("timestamp")}) AS first_seen,
  max({d.col("timestamp")}) AS last_seen,
  count(*) AS ci_events
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("session", "id")} IS NOT NULL
  AND (
    {touched}
  )
GROUP BY 1, 2, 3, 4
ORDER BY first_seen, session_id"""


def _failed_commands(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("endpoint", "hostname")} AS host,
  {d.col("command", "command")} AS command_line,
  {d.col("command", "exit_code")} AS exit_code,
  count(*) AS failures,
  max({d.col("timestamp")}) AS last_seen
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'command.executed'
  AND {d.col("command", "exit_code")} <> 0
GROUP BY 1, 2, 3
ORDER BY failures DESC, last_seen DESC"""


def _high_severity(d: SqlDialect) -> str:
    return f"""SELECT
  {d.day()} AS day,
  {d.col("endpoint", "hostname")} AS host,
  {d.col("severity")} AS severity,
  {d.col("event", "action")} AS action,
  count(*) AS events
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("severity")} IN ('high', 'critical')
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4"""


def _harness_versions(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("harness", "name")} AS harness,
  {d.col("harness", "version")} AS version,
  count(DISTINCT {d.col("endpoint", "hostname")}) AS hosts,
  count(DISTINCT {d.col("session", "id")}) AS sessions,
  count(*) AS events,
  min({d.col("timestamp")}) AS first_seen,
  max({d.col("timestamp")}) AS last_seen
FROM {d.table("runtime")}
WHERE {d.window()}
GROUP BY 1, 2
ORDER BY 1, 2"""


def _writes_outside_workspace(d: SqlDialect) -> str:
    path, cwd = d.col("file", "path"), d.col("session", "working_directory")
    return f"""SELECT
  {d.col("endpoint", "hostname")} AS host,
  {d.col("user", "name")} AS user_name,
  {path} AS path,
  count(*) AS writes,
  count(DISTINCT {d.col("session", "id")}) AS sessions,
  max({d.col("timestamp")}) AS last_seen
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} IN ('file.modified', 'file.created')
  AND {d.starts_with(path, "'/'")}
  AND {cwd} IS NOT NULL
  AND {path} <> {cwd}
  AND NOT {d.starts_with(path, f"concat({cwd}, '/')")}
GROUP BY 1, 2, 3
ORDER BY writes DESC, path"""


def _prompts_per_user_day(d: SqlDialect) -> str:
    return f"""SELECT
  {d.day()} AS day,
  {d.col("user", "name")} AS user_name,
  {d.col("harness", "name")} AS harness,
  count(*) AS prompts,
  count(DISTINCT {d.col("session", "id")}) AS sessions
FROM {d.table("runtime")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'prompt.submitted'
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3"""


def _inventory_heartbeats(d: SqlDialect) -> str:
    return f"""SELECT
  {d.col("endpoint", "hostname")} AS host,
  count(*) AS heartbeats,
  max({d.col("timestamp")}) AS last_heartbeat
FROM {d.table("inventory")}
WHERE {d.window()}
  AND {d.col("event", "action")} = 'inventory.heartbeat'
GROUP BY 1
ORDER BY last_heartbeat, host"""


STARTER_QUERIES: tuple[StarterQuery, ...] = (
    StarterQuery(
        "commands_per_host_day",
        "Shell commands agents ran, per host and UTC day, with the number of sessions.",
        ("runtime",),
        _commands_per_host_day,
    ),
    StarterQuery(
        "top_commands",
        "The 25 most frequent command lines across the fleet, and on how many hosts.",
        ("runtime",),
        _top_commands,
    ),
    StarterQuery(
        "secrets_redacted",
        "Events in which Beacon redacted a secret before writing, per day, host and action.",
        ("runtime",),
        _secrets_redacted,
    ),
    StarterQuery(
        "denied_approvals",
        "Denied approvals and policy blocks: who, where, which tool, how often.",
        ("runtime",),
        _denied_approvals,
    ),
    StarterQuery(
        "mcp_servers_fleet",
        "MCP servers configured across the fleet (each reporting host's latest inventory).",
        ("inventory",),
        _mcp_servers_fleet,
    ),
    StarterQuery(
        "mcp_tool_calls",
        "MCP tool calls per server and tool, with hosts and users.",
        ("runtime",),
        _mcp_tool_calls,
    ),
    StarterQuery(
        "token_cost_by_user",
        "Model requests, tokens and reported cost per user, runtime and model.",
        ("runtime",),
        _token_cost_by_user,
    ),
    StarterQuery(
        "ci_file_sessions",
        "Sessions that read, changed or ran commands on CI definitions "
        "(.github/workflows, .gitlab-ci.yml, Jenkinsfile, …).",
        ("runtime",),
        _ci_file_sessions,
    ),
    StarterQuery(
        "failed_commands",
        "Commands that exited non-zero, per host and exit code.",
        ("runtime",),
        _failed_commands,
    ),
    StarterQuery(
        "high_severity",
        "High and critical events (denials, blocks, failures, tamper) per day and host.",
        ("runtime",),
        _high_severity,
    ),
    StarterQuery(
        "harness_versions",
        "Agent runtimes and versions in use: hosts, sessions, first and last seen.",
        ("runtime",),
        _harness_versions,
    ),
    StarterQuery(
        "writes_outside_workspace",
        "Files an agent created or modified outside its session's working directory.",
        ("runtime",),
        _writes_outside_workspace,
    ),
    StarterQuery(
        "prompts_per_user_day",
        "Prompts submitted per user, runtime and UTC day.",
        ("runtime",),
        _prompts_per_user_day,
    ),
    StarterQuery(
        "inventory_heartbeats",
        "Inventory heartbeats per host, oldest last heartbeat first: the silent endpoints.",
        ("inventory",),
        _inventory_heartbeats,
    ),
)


def queries_markdown() -> str:
    """The starter queries as a Markdown table; `docs/fleet.md` embeds exactly this text."""
    rows = "".join(
        f"| `{q.name}` | `{'`, `'.join(q.streams)}` | {q.summary} |\n" for q in STARTER_QUERIES
    )
    return "| query | stream | what it answers |\n|---|---|---|\n" + rows
