"""A realistic log for dashboard tests and screenshots, written through Beacon's one ingest
path (enrichment, redaction, the hash chain): several days of Claude Code and Codex CLI
sessions with prompts, model requests, approvals (one denied), shell commands (one failing),
file reads and edits, MCP calls and answers. Event shapes follow what the runtime mappers
write for the recorded fixtures (tests/collector/golden/).

    python tests/dashboard/demo_log.py LOG_DIR
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from beacon.config import load_config
from beacon.ingest import write_events
from beacon.schema.event import new_event

PLANTED = "kubectl rollout restart deployment/payments-api"
"""A command in one session that a search test looks for."""

PROJECT = "/home/dev/src/payments"


class Session:
    """Events of one agent session, built in time order."""

    def __init__(self, harness: str, version: str, sid: str, start: datetime, model: str) -> None:
        self.harness, self.version, self.sid, self.now, self.model = (
            harness,
            version,
            sid,
            start,
            model,
        )
        self.events: list[dict[str, Any]] = []
        self.calls = 0

    def _at(self, seconds: float) -> str:
        self.now += timedelta(seconds=seconds)
        return self.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.now.microsecond // 1000:03d}Z"

    def add(self, action: str, after: float, **fields: Any) -> dict[str, Any]:
        event = new_event(
            action,
            harness=self.harness,
            timestamp=self._at(after),
            session={"id": self.sid, "working_directory": PROJECT},
            **fields,
        )
        event["harness"]["version"] = self.version
        event["event"]["source"] = "otlp.logs"
        self.events.append(event)
        return event

    def prompt(self, text: str, after: float = 1.0) -> None:
        self.add("prompt.submitted", after, prompt={"text": text}, message="User prompt submitted")

    def request(self, tokens_in: int, tokens_out: int, cost: float, after: float = 2.0) -> None:
        self.add(
            "model.request",
            after,
            model=self.model,
            message=f"API request to {self.model}",
            gen_ai={
                "request": {"model": self.model},
                "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost},
            },
        )

    def _call(self) -> dict[str, Any]:
        self.calls += 1
        return {"id": f"toolu_{self.sid[:6]}{self.calls:03d}"}

    def shell(
        self, command: str, output: str, code: int = 0, ms: int = 800, denied: bool = False
    ) -> None:
        call = self._call()
        tool = {"name": "Bash", "command": command}
        if denied:
            self.add(
                "approval.denied",
                1.2,
                tool=tool,
                command={"command": command},
                approval={"required": True, "decision": "reject", "reason": "user"},
                gen_ai={"tool": {"name": "Bash", "call": call}},
                severity="medium",
                message="Tool Bash: reject",
            )
            return
        self.add(
            "approval.allowed",
            0.8,
            tool=tool,
            command={"command": command},
            approval={"required": False, "decision": "accept", "reason": "config"},
            gen_ai={"tool": {"name": "Bash", "call": call}},
            message="Tool Bash: accept",
        )
        self.add(
            "command.executed",
            ms / 1000,
            tool=tool,
            command={"command": command, "exit_code": code, "duration_ms": ms, "output": output},
            gen_ai={"tool": {"name": "Bash", "call": call}},
            message="Tool Bash finished",
        )

    def read(self, path: str) -> None:
        call = self._call()
        self.add(
            "file.read",
            0.6,
            tool={"name": "Read", "path": path},
            file={"path": path, "operation": "read", "language": path.rsplit(".", 1)[-1]},
            gen_ai={"tool": {"name": "Read", "call": call}},
            message=f"Read {path}",
        )

    def edit(self, path: str, diff: str) -> None:
        call = self._call()
        self.add(
            "file.modified",
            1.4,
            tool={"name": "Edit", "path": path},
            file={
                "path": path,
                "operation": "modify",
                "language": path.rsplit(".", 1)[-1],
                "diff": diff,
                "diff_bytes": len(diff),
            },
            gen_ai={"tool": {"name": "Edit", "call": call}},
            message=f"Edit {path}",
        )

    def mcp(self, server: str, tool: str, arguments: dict[str, Any]) -> None:
        call = self._call()
        self.add(
            "mcp.tool_invoked",
            1.1,
            mcp={"server": server, "tool": tool},
            tool={"name": f"mcp__{server}__{tool}"},
            gen_ai={
                "tool": {"name": f"mcp__{server}__{tool}", "call": dict(call, arguments=arguments)}
            },
            message=f"MCP {server}/{tool}",
        )

    def answer(self, text: str, after: float = 3.0) -> None:
        self.add(
            "agent.response",
            after,
            model=self.model,
            gen_ai={"output": {"messages": [{"role": "assistant", "content": text}]}},
            message="Assistant response",
        )


def build(now: datetime | None = None) -> list[dict[str, Any]]:
    """The demo events, oldest first, ending shortly before `now`."""
    now = now or datetime.now(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    sessions: list[Session] = []

    # Four days ago: Codex CLI fixes a flaky test.
    s = Session(
        "codex_cli",
        "0.169.0",
        "7f3c2a91-codex-flaky",
        day - timedelta(days=4, hours=-9),
        "gpt-5.1-codex",
    )
    s.prompt("The test test_refund_rounding fails one run in ten. Find out why and fix it.")
    s.request(8_200, 640, 0.0)
    s.shell(
        "pytest tests/test_refunds.py -k rounding -q",
        "1 failed, 3 passed in 0.41s",
        code=1,
        ms=1900,
    )
    s.read(f"{PROJECT}/payments/refunds.py")
    s.request(11_900, 1_240, 0.0)
    s.edit(
        f"{PROJECT}/payments/refunds.py",
        "-    return round(amount * rate, 2)\n"
        "+    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)\n",
    )
    s.shell("pytest tests/test_refunds.py -q", "4 passed in 0.38s", ms=1700)
    s.answer(
        "Fixed: refunds used float rounding. They now use Decimal with banker's rounding; "
        "the test passes 200 runs in a row."
    )
    sessions.append(s)

    # Two days ago: Claude Code adds an endpoint, one command denied.
    s = Session(
        "claude_code",
        "2.1.197",
        "3e9a51c7-6b1d-4c1e-9f0a-claude-healthz",
        day - timedelta(days=2, hours=-14),
        "claude-sonnet-4-5",
    )
    s.prompt("Add a /healthz endpoint to the payments API that checks the database connection.")
    s.request(14_500, 900, 0.0571)
    s.read(f"{PROJECT}/payments/app.py")
    s.mcp("postgres", "query", {"sql": "select 1"})
    s.request(18_200, 2_100, 0.0861)
    s.edit(
        f"{PROJECT}/payments/app.py",
        '+@app.get("/healthz")\n'
        "+async def healthz() -> dict[str, str]:\n"
        '+    await db.execute("select 1")\n'
        '+    return {"status": "ok"}\n',
    )
    s.shell("pytest -q", "57 passed in 3.12s", ms=3400)
    s.shell("git push origin HEAD:main", "", denied=True)
    s.answer(
        "The endpoint is in app.py and tested. I did not push: "
        "pushing to main needs your approval.",
        after=4.0,
    )
    s.prompt("Open a pull request instead.", after=95.0)
    s.request(19_700, 420, 0.0654)
    s.shell("gh pr create --fill --base main", "https://github.com/acme/payments/pull/412", ms=2600)
    s.answer("Opened https://github.com/acme/payments/pull/412.")
    sessions.append(s)

    # Yesterday: Claude Code restarts a deployment (the planted command).
    s = Session(
        "claude_code",
        "2.1.197",
        "5b9e0c44-claude-rollout",
        day - timedelta(days=1, hours=-16),
        "claude-opus-4-1",
    )
    s.prompt("Payments API pods are stuck on the old config map. Restart them in staging.")
    s.request(9_800, 350, 0.1592)
    s.shell("kubectl config current-context", "staging-eu", ms=300)
    s.shell(PLANTED, "deployment.apps/payments-api restarted", ms=900)
    s.shell(
        "kubectl rollout status deployment/payments-api --timeout=120s",
        "error: timed out waiting for the condition",
        code=1,
        ms=120_000,
    )
    s.request(12_300, 800, 0.2445)
    s.answer(
        "The restart is still rolling out after two minutes: one pod fails its readiness "
        "probe. Check `kubectl describe pod` for the new replica."
    )
    sessions.append(s)

    # Today: Codex CLI writes docs.
    s = Session(
        "codex_cli",
        "0.169.0",
        "a41d77e0-codex-docs",
        day + timedelta(hours=max(0, now.hour - 2)),
        "gpt-5.1-codex",
    )
    s.prompt("Document the refund API in docs/refunds.md with one example per endpoint.")
    s.request(6_400, 2_900, 0.0)
    s.read(f"{PROJECT}/payments/refunds.py")
    s.edit(f"{PROJECT}/docs/refunds.md", "+# Refunds\n+\n+`POST /refunds` creates a refund…\n")
    s.answer("Wrote docs/refunds.md with examples for POST /refunds and GET /refunds/{id}.")
    sessions.append(s)

    events = [e for s in sessions for e in s.events]
    events.sort(key=lambda e: e["timestamp"])
    return events


def write(log_dir: Path, now: datetime | None = None) -> int:
    """Write the demo log into `log_dir`; returns the number of events written."""
    config = load_config(None, env={})
    config = replace(config, writer=replace(config.writer, log_dir=str(log_dir)))
    return write_events(build(now), config)


if __name__ == "__main__":
    print(write(Path(sys.argv[1])), "events written")
