"""The closed action vocabulary of schema 1.1: every action, its category and its stream.

Every upstream 1.0 action is here with its upstream meaning; the additions cover what our
runtimes report (model API lifecycle, hooks, unclassified telemetry). Stdlib only: the hook
path imports this module.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """`event.category`: the family an action belongs to (upstream names kept)."""

    PROMPT = "prompt"
    COMMAND = "command"
    FILE = "file"
    MCP = "mcp"
    APPROVAL = "approval"
    SESSION = "session"
    METRIC = "metric"
    TOOL = "tool"
    AGENT = "agent"
    MODEL = "model"
    HOOK = "hook"
    INVENTORY = "inventory"
    VALIDATION = "validation"
    TELEMETRY = "telemetry"
    CI = "ci"
    SYSTEM = "system"
    TRACE = "trace"


class Severity(StrEnum):
    """`severity`: upstream's five levels, lowest first."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Origin(StrEnum):
    """`origin`: where the agent ran."""

    LOCAL = "local"
    CLOUD = "cloud"
    CI = "ci"


class Stream(StrEnum):
    """The two output streams; each is one rotated JSONL file."""

    RUNTIME = "runtime"
    INVENTORY = "inventory"


class Action(StrEnum):
    """`event.action`: what happened. Closed: an event with another action is invalid."""

    # session lifecycle
    SESSION_STARTED = "session.started"
    SESSION_ENDED = "session.ended"
    SESSION_ACTIVITY = "session.activity"
    SESSION_STATUS = "session.status"
    SESSION_ERROR = "session.error"
    SESSION_COMPACTING = "session.compacting"
    SESSION_COMPACTED = "session.compacted"
    SESSION_EVENT = "session.event"
    SESSION_CREATED = "session.created"
    SESSION_DELETED = "session.deleted"
    SESSION_IDLE = "session.idle"
    # prompts
    PROMPT_SUBMITTED = "prompt.submitted"
    # tools
    TOOL_INVOKED = "tool.invoked"
    TOOL_COMPLETED = "tool.completed"
    TOOL_FAILED = "tool.failed"
    TOOL_BATCH_COMPLETED = "tool.batch_completed"
    # commands
    COMMAND_EXECUTED = "command.executed"
    COMMAND_INVOKED = "command.invoked"
    # files
    FILE_READ = "file.read"
    FILE_MODIFIED = "file.modified"
    FILE_CREATED = "file.created"
    # MCP
    MCP_TOOL_INVOKED = "mcp.tool_invoked"
    MCP_CONNECTION = "mcp.connection"
    # approvals and policy
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_ALLOWED = "approval.allowed"
    APPROVAL_DENIED = "approval.denied"
    POLICY_BLOCKED = "policy.blocked"
    # agents
    SUBAGENT_STARTED = "subagent.started"
    SUBAGENT_STOPPED = "subagent.stopped"
    AGENT_REASONING = "agent.reasoning"
    AGENT_RESPONSE = "agent.response"
    AGENT_MESSAGE = "agent.message"
    AGENT_NOTIFICATION = "agent.notification"
    # model API
    MODEL_REQUEST = "model.request"
    MODEL_ERROR = "model.error"
    MODEL_REFUSAL = "model.refusal"
    MODEL_RETRY = "model.retry"
    # runtime hooks (the agent's own hook machinery, as it reports it)
    HOOK_REGISTERED = "hook.registered"
    HOOK_STARTED = "hook.started"
    HOOK_COMPLETED = "hook.completed"
    # usage and metrics
    TOKEN_USAGE = "token.usage"
    COST_USAGE = "cost.usage"
    METRIC_OBSERVED = "metric.observed"
    TRACE_UNCLASSIFIED = "trace.unclassified"
    TELEMETRY_UNCLASSIFIED = "telemetry.unclassified"
    # endpoint management
    AGENT_DETECTED = "agent.detected"
    TELEMETRY_ENABLED = "telemetry.enabled"
    TELEMETRY_DISABLED = "telemetry.disabled"
    TELEMETRY_MISCONFIGURED = "telemetry.misconfigured"
    INVENTORY_HEARTBEAT = "inventory.heartbeat"
    INVENTORY_SNAPSHOT = "inventory.snapshot"
    INSTALLATION_UPDATED = "installation.updated"
    ENDPOINT_HEALTH_FAILED = "endpoint.health_failed"
    ENDPOINT_TAMPER_DETECTED = "endpoint.tamper_detected"
    ENDPOINT_VALIDATION = "endpoint.validation"
    # CI mode
    CI_RUN_STARTED = "ci.run_started"
    CI_RUN_COMPLETED = "ci.run_completed"


_PREFIX_CATEGORY: dict[str, Category] = {
    "session": Category.SESSION,
    "prompt": Category.PROMPT,
    "tool": Category.TOOL,
    "command": Category.COMMAND,
    "file": Category.FILE,
    "mcp": Category.MCP,
    "approval": Category.APPROVAL,
    "policy": Category.APPROVAL,
    "subagent": Category.AGENT,
    "agent": Category.AGENT,
    "model": Category.MODEL,
    "hook": Category.HOOK,
    "token": Category.METRIC,
    "cost": Category.METRIC,
    "metric": Category.METRIC,
    "trace": Category.TRACE,
    "telemetry": Category.TELEMETRY,
    "inventory": Category.INVENTORY,
    "installation": Category.SYSTEM,
    "endpoint": Category.SYSTEM,
    "ci": Category.CI,
}

# Exceptions to the prefix rule, kept as upstream files them.
_SPECIAL_CATEGORY: dict[Action, Category] = {
    Action.AGENT_DETECTED: Category.INVENTORY,
    Action.ENDPOINT_VALIDATION: Category.VALIDATION,
}

ACTION_CATEGORY: dict[Action, Category] = {
    action: _SPECIAL_CATEGORY.get(action, _PREFIX_CATEGORY[action.value.split(".", 1)[0]])
    for action in Action
}

INVENTORY_ACTIONS: frozenset[str] = frozenset(
    {Action.INVENTORY_HEARTBEAT.value, Action.INVENTORY_SNAPSHOT.value}
)

# Upstream's dashboard/Wazuh ladder: the default severity of an action.
_HIGH_SEVERITY = {Action.APPROVAL_DENIED, Action.POLICY_BLOCKED, Action.TOOL_FAILED}
_CRITICAL_SEVERITY = {Action.ENDPOINT_TAMPER_DETECTED, Action.ENDPOINT_HEALTH_FAILED}


def category_of(action: str) -> str:
    """The category of a known action; unknown actions fall back to their prefix rule."""
    try:
        return ACTION_CATEGORY[Action(action)].value
    except ValueError:
        prefix = _PREFIX_CATEGORY.get(action.split(".", 1)[0])
        return prefix.value if prefix else Category.SESSION.value


def stream_of(action: str) -> Stream:
    """Which file an action is written to: inventory snapshots apart, all else runtime."""
    return Stream.INVENTORY if action in INVENTORY_ACTIONS else Stream.RUNTIME


def default_severity(action: str) -> str:
    """Severity for an action when the source says nothing more specific."""
    if action in _CRITICAL_SEVERITY:
        return Severity.CRITICAL.value
    if action in _HIGH_SEVERITY:
        return Severity.HIGH.value
    return Severity.INFO.value


def is_known_action(action: str) -> bool:
    """Whether `action` is part of the closed vocabulary."""
    return action in _ACTION_VALUES


_ACTION_VALUES: frozenset[str] = frozenset(a.value for a in Action)
