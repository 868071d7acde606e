"""Classify a finished tool call: shell command, file access, MCP call, or other tool.

Every runtime names its tools differently (`Bash`, `exec_command`, `run_shell_command`,
`run_in_terminal`); this module holds the union of those names and builds the `command`,
`file`, `mcp`, `tool` and `gen_ai.tool` blocks the same way for all of them.
"""

from __future__ import annotations

import re

from beacon.runtimes.coerce import as_str
from beacon.schema.actions import Action, Severity

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

SHELL_TOOLS = frozenset(
    {
        "bash",
        "powershell",
        "pwsh",
        "shell",
        "local_shell",
        "shell_command",
        "exec_command",
        "container.exec",
        "unified_exec",
        "run_shell_command",
        "run_in_terminal",
        "runinterminal",
        "terminal",
    }
)
READ_TOOLS = frozenset(
    {"read", "notebookread", "read_file", "read_many_files", "view", "view_file", "readfile"}
)
CREATE_TOOLS = frozenset({"write", "write_file", "create_file", "createfile"})
MODIFY_TOOLS = frozenset(
    {
        "edit",
        "multiedit",
        "notebookedit",
        "replace",
        "edit_file",
        "editfile",
        "apply_patch",
        "replace_string_in_file",
        "multi_replace_string_in_file",
        "insert_edit_into_file",
        "str_replace_based_edit_tool",
    }
)
_PATH_KEYS = ("file_path", "filePath", "notebook_path", "absolute_path", "path", "target_file")
_COMMAND_KEYS = ("command", "cmd", "full_command", "commandLine", "script")
_EXIT_CODE = re.compile(r"(?:Process exited with code|Exit code:?|exit code)\s*(-?\d+)", re.I)
_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.M)
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "fish", "pwsh", "powershell"})


class ToolCall:
    """What a runtime reported about one tool call, already coerced.

    A plain slotted class rather than a dataclass: `dataclasses` costs the hook path's
    start-up more than everything this module does.
    """

    __slots__ = (
        "arguments",
        "call_id",
        "command",
        "duration_ms",
        "error",
        "error_type",
        "mcp_server",
        "mcp_tool",
        "name",
        "output",
        "success",
    )

    def __init__(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        call_id: str | None = None,
        success: bool | None = None,
        duration_ms: int | None = None,
        output: str | None = None,
        error: str | None = None,
        error_type: str | None = None,
        mcp_server: str | None = None,
        mcp_tool: str | None = None,
        command: str | None = None,
    ) -> None:
        self.name = name
        self.arguments = arguments
        self.call_id = call_id
        self.success = success
        self.duration_ms = duration_ms
        self.output = output
        self.error = error
        self.error_type = error_type
        self.mcp_server = mcp_server
        self.mcp_tool = mcp_tool
        self.command = command

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ToolCall):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"ToolCall({fields})"


def split_mcp_name(name: str) -> tuple[str, str] | None:
    """`mcp__server__tool` -> (`server`, `tool`); None for other names."""
    if name.startswith("mcp__"):
        server, sep, tool = name[5:].partition("__")
        if sep and server and tool:
            return server, tool
    return None


def command_text(value: Any) -> str | None:
    """A shell command from a string or an argv list (`["bash", "-lc", "echo x"]` -> `echo x`)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        if (
            len(value) >= 3
            and value[0].rsplit("/", 1)[-1] in _SHELLS
            and value[-2]
            in (
                "-c",
                "-lc",
                "-Command",
            )
        ):
            return str(value[-1])
        import shlex

        return shlex.join(value)
    return None


def exit_code_from(output: str | None) -> int | None:
    """The exit code a runtime printed into a tool's output text, if any."""
    if not output:
        return None
    match = _EXIT_CODE.search(output[:4096])
    return int(match.group(1)) if match else None


def language_of(path: str) -> str | None:
    """The file extension without the dot, as upstream's `file.language`."""
    base = path.rsplit("/", 1)[-1]
    if "." not in base.lstrip("."):
        return None
    return base.rsplit(".", 1)[-1].lower() or None


def _file_block(path: str, operation: str) -> dict[str, Any]:
    block: dict[str, Any] = {"path": path, "operation": operation}
    language = language_of(path)
    if language:
        block["language"] = language
    return block


def classify(call: ToolCall) -> tuple[Action, dict[str, Any], str | None]:
    """The action, top-level fields and severity override for a finished tool call."""
    name = call.name
    key = name.lower()
    args = call.arguments or {}
    tool: dict[str, Any] = {"name": name}
    gen_ai_tool: dict[str, Any] = {"name": name}
    if call.call_id:
        gen_ai_tool["call"] = {"id": call.call_id}
    fields: dict[str, Any] = {"tool": tool, "gen_ai": {"tool": gen_ai_tool}}
    failed = call.success is False
    severity = Severity.MEDIUM.value if failed else None
    if failed:
        error: dict[str, Any] = {"type": call.error_type or "tool_error"}
        if call.error:
            error["message"] = call.error
        fields["error"] = error

    mcp = split_mcp_name(name)
    server = call.mcp_server or (mcp[0] if mcp else None)
    if server or key == "mcp_tool":
        block: dict[str, Any] = {}
        if server:
            block["server"] = server
        mcp_tool = call.mcp_tool or (mcp[1] if mcp else None)
        if mcp_tool:
            block["tool"] = mcp_tool
        fields["mcp"] = block
        return Action.MCP_TOOL_INVOKED, fields, severity

    if key in SHELL_TOOLS or call.command:
        command = call.command
        if command is None:
            for arg in _COMMAND_KEYS:
                command = command_text(args.get(arg))
                if command:
                    break
        block = {}
        if command:
            block["command"] = command
            tool["command"] = command
        exit_code = exit_code_from(call.output)
        if exit_code is not None:
            block["exit_code"] = exit_code
            if exit_code != 0 and severity is None:
                severity = Severity.LOW.value
        if call.duration_ms is not None:
            block["duration_ms"] = call.duration_ms
        fields["command"] = block
        return Action.COMMAND_EXECUTED, fields, severity

    path = next((p for p in (as_str(args.get(k)) for k in _PATH_KEYS) if p), None)
    if key == "apply_patch" and path is None:
        patch = args.get("input") or args.get("patch")
        found = _PATCH_FILE.search(patch) if isinstance(patch, str) else None
        if found:
            path = found.group(2).strip()
            patch_op = {"Add": "create", "Delete": "delete"}.get(found.group(1), "modify")
            tool["path"] = path
            fields["file"] = _file_block(path, patch_op)
            action = Action.FILE_CREATED if patch_op == "create" else Action.FILE_MODIFIED
            if failed:
                return Action.TOOL_FAILED, fields, None
            return action, fields, severity
    operation: str | None = None
    action = Action.TOOL_COMPLETED
    if key in READ_TOOLS:
        operation, action = "read", Action.FILE_READ
    elif key in CREATE_TOOLS:
        # Write tools create or overwrite; upstream files them as modified with op `create`.
        operation, action = "create", Action.FILE_MODIFIED
    elif key in MODIFY_TOOLS:
        operation, action = "modify", Action.FILE_MODIFIED
    if operation and path:
        tool["path"] = path
        fields["file"] = _file_block(path, operation)
    elif path:
        tool["path"] = path
    if failed:
        return Action.TOOL_FAILED, fields, None  # tool.failed's default severity (high)
    return action, fields, severity
