"""Agent runtimes: one module per runtime (Claude Code, Codex CLI, Gemini CLI, Copilot).

Each module knows how to recognise its runtime's telemetry and map it to normalized events.
Stdlib and `beacon.schema` only: the hook path imports these modules too.
"""
