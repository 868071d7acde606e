"""The real Claude Code CLI starts an inventory run through its SessionStart hook.

Claude Code (the pinned npm release, against the collector tests' fake Anthropic API) runs
`beacon-hooks` as a command hook on SessionStart; the hook starts a detached
`beacon inventory --write-event --trigger hook`, which records the project's Claude config.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Endpoint

sys.path.insert(0, str(REPO / "tests" / "collector"))
from claude_cli_harness import claude_binary, claude_env, fake_api, run_claude_turn

pytestmark = [pytest.mark.slow, pytest.mark.network]
__all__ = ["fake_api"]  # the fixture, imported for pytest
HOOKS_BIN = Path(sys.executable).parent / "beacon-hooks"


def test_real_claude_session_start_writes_an_inventory(
    empty_endpoint: Endpoint, fake_api: str
) -> None:
    binary = claude_binary()
    endpoint = empty_endpoint
    hook = f"{HOOKS_BIN} --platform claude --collector http://127.0.0.1:9 --log-dir {endpoint.logs}"
    settings = {
        "hooks": {
            "SessionStart": [{"hooks": [{"type": "command", "command": hook, "timeout": 10}]}]
        }
    }
    (endpoint.project / ".claude").mkdir()
    (endpoint.project / ".claude" / "settings.json").write_text(json.dumps(settings))
    (endpoint.project / ".mcp.json").write_text(
        json.dumps(
            {"mcpServers": {"docs": {"type": "http", "url": "https://docs.example.com/mcp"}}}
        )
    )
    env = claude_env(
        endpoint.root,
        endpoint.home,
        fake_api,
        "127.0.0.1:9",
        BEACON_STATE_DIR=str(endpoint.state),
        BEACON_INVENTORY_SYSTEM_ROOT=str(endpoint.root / "system"),
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
    )
    run_claude_turn(binary, endpoint.project, env)
    deadline = time.monotonic() + 60
    heartbeat: dict[str, Any] | None = None
    while time.monotonic() < deadline and heartbeat is None:
        for event in endpoint.events():
            if event["event"]["action"] == "inventory.heartbeat":
                heartbeat = event["raw"]["inventory"]
        time.sleep(0.2)
    assert heartbeat is not None, "no inventory heartbeat after Claude Code's SessionStart"
    assert (heartbeat["trigger"], heartbeat["trigger_harness"]) == ("hook", "claude_code")
    snapshot = next(e for e in endpoint.events() if e["event"]["action"] == "inventory.snapshot")
    servers = snapshot["raw"]["inventory"]["mcp_servers"]
    assert [(s["server_name"], s["source_scope"]) for s in servers] == [("docs", "project")]
