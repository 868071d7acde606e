"""`beacon inventory --write-event` end to end: heartbeat and snapshot through the ingest
path, nothing secret in the file, unchanged/changed/initial, parts under the size cap."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import PLANTED, Endpoint

from beacon.schema.model import json_schema

CAP = 65536


def _actions(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"]["action"] for e in events]


def _inventory(event: dict[str, Any]) -> dict[str, Any]:
    return event["raw"]["inventory"]


def _snapshot_lists(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [
        r
        for e in events
        if e["event"]["action"] == "inventory.snapshot"
        for r in _inventory(e)[name]
    ]


def test_first_run_writes_snapshot_then_heartbeat(endpoint: Endpoint) -> None:
    """A complete snapshot and a heartbeat; both valid events of schema 1.1."""
    outcome = json.loads(endpoint.write_event("--json").stdout)
    assert (outcome["status"], outcome["change_reason"]) == ("written", "initial")
    assert (outcome["events_written"], outcome["snapshot_parts"]) == (2, 1)
    events = endpoint.events()
    assert _actions(events) == ["inventory.snapshot", "inventory.heartbeat"]
    validator = jsonschema.Draft202012Validator(json_schema())
    for event in events:
        validator.validate(event)
        assert event["harness"] == {"name": "endpoint"}
        assert event["event"]["category"] == "inventory"
        assert "field_truncated" not in event and "truncations" not in event.get("content", {})
    snapshot, heartbeat = (_inventory(e) for e in events)
    assert heartbeat["change_reason"] == snapshot["change_reason"] == "initial"
    assert heartbeat["snapshot_digest"] == snapshot["snapshot_digest"]
    assert heartbeat["snapshot_digest"].startswith("sha256:")
    assert heartbeat["previous_snapshot_digest"] is None
    assert heartbeat["trigger"] == "manual"
    assert heartbeat["counts"] == {"configs": 17, "mcp_servers": 24, "skills": 7, "runtimes": 9}
    assert (snapshot["part"], snapshot["parts"]) == (1, 1)
    assert snapshot["user_scope"]["home_path"] == str(endpoint.home)
    assert snapshot["user_scope"]["working_dir"] == str(endpoint.project)
    assert len(snapshot["mcp_servers"]) == 24 and len(snapshot["skills"]) == 7
    assert "mcp_servers" not in heartbeat


def test_no_secret_or_value_anywhere_in_the_file(endpoint: Endpoint) -> None:
    """Env, header and argument values, URL paths and queries, skill bodies, history: none."""
    endpoint.write_event()
    data = endpoint.log_file.read_bytes()
    assert PLANTED not in data
    for planted in (b"xoxb-", b"dbuser", b"x-tenant", b"--dsn", b"/sse?session"):
        assert planted not in data


def test_contents_are_redacted_too(endpoint: Endpoint) -> None:
    """With --contents, settings are copied with every env, header and argument value gone."""
    endpoint.write_event("--contents")
    data = endpoint.log_file.read_bytes()
    assert PLANTED not in data
    configs = {
        (c["runtime"], Path(c["path"]).name, c["scope"]): c
        for c in _snapshot_lists(endpoint.events(), "configs")
    }
    settings = configs[("claude_code", "settings.json", "user")]
    assert settings["redaction"] == "redacted"
    content = settings["content"]
    assert content["redacted_count"] >= 6
    assert '"OTEL_EXPORTER_OTLP_ENDPOINT": "[REDACTED]"' in content["text"]
    assert "Bash(npm run test:*)" in content["text"]  # the rest of the settings is kept
    assert (
        "content" not in configs[("claude_code", ".claude.json", "user")]
    )  # state file: history, never copied


def test_second_run_is_unchanged_and_writes_no_snapshot(endpoint: Endpoint) -> None:
    """Same inventory: one more heartbeat naming the previous digest, no snapshot."""
    endpoint.write_event()
    done = endpoint.write_event()
    assert "unchanged" in done.stdout
    events = endpoint.events()
    assert _actions(events) == ["inventory.snapshot", "inventory.heartbeat", "inventory.heartbeat"]
    first, second = _inventory(events[1]), _inventory(events[2])
    assert second["change_reason"] == "unchanged"
    assert (
        second["previous_snapshot_digest"] == first["snapshot_digest"] == second["snapshot_digest"]
    )


def test_edit_writes_a_changed_snapshot(endpoint: Endpoint) -> None:
    """Adding a server changes the digest: a new snapshot with it, reason `changed`."""
    endpoint.write_event()
    mcp = endpoint.project / ".mcp.json"
    document = json.loads(mcp.read_text())
    document["mcpServers"]["added"] = {"command": "uvx", "args": ["mcp-server-git==0.6.2"]}
    mcp.write_text(json.dumps(document))
    endpoint.write_event()
    events = endpoint.events()
    assert _actions(events)[2:] == ["inventory.snapshot", "inventory.heartbeat"]
    snapshot = _inventory(events[2])
    assert snapshot["change_reason"] == "changed"
    assert snapshot["previous_snapshot_digest"] == _inventory(events[0])["snapshot_digest"]
    assert "added" in {s["server_name"] for s in snapshot["mcp_servers"]}


def test_deleted_log_gets_a_snapshot_again(endpoint: Endpoint) -> None:
    """The log is the reference: a run after the file is gone starts over with `initial`."""
    endpoint.write_event()
    endpoint.log_file.unlink()
    endpoint.write_event()
    assert _actions(endpoint.events()) == ["inventory.snapshot", "inventory.heartbeat"]
    assert _inventory(endpoint.events()[0])["change_reason"] == "initial"


def test_printing_writes_nothing(endpoint: Endpoint) -> None:
    """Without --write-event: a table, or one JSON document; no file, no state."""
    table = endpoint.beacon("inventory", "--log-dir", str(endpoint.logs))
    assert "MCP servers (24)" in table.stdout
    assert re.search(r"^claude_code +2\.1\.220 +enabled +installed +/", table.stdout, re.M)
    document = json.loads(endpoint.beacon("inventory", "--json").stdout)
    assert document["counts"]["mcp_servers"] == 24
    assert document["snapshot_digest"].startswith("sha256:")
    assert "PLANTED" not in table.stdout + json.dumps(document)
    assert not endpoint.logs.exists() and not endpoint.state.exists()


def _many_servers(endpoint: Endpoint, count: int) -> None:
    servers = {
        f"server-{i:04d}-{'x' * 40}": {
            "command": "npx",
            "args": ["-y", f"@acme/mcp-server-{i}", f"--root=/srv/PLANTED-{i}"],
            "env": {f"SETTING_{j}": f"PLANTED-{i}-{j}" for j in range(8)}
            | {"ACME_API_TOKEN": f"PLANTED-token-{i}"},
        }
        for i in range(count)
    }
    (endpoint.home / ".claude.json").write_text(json.dumps({"mcpServers": servers}))


def test_600_servers_are_all_present_in_parts_under_the_cap(empty_endpoint: Endpoint) -> None:
    """A snapshot too large for one event is split; every line fits 64 KiB; none is lost."""
    _many_servers(empty_endpoint, 600)
    empty_endpoint.write_event()
    lines = empty_endpoint.log_file.read_bytes().splitlines()
    assert all(len(line) <= CAP for line in lines), max(len(line) for line in lines)
    events = [json.loads(line) for line in lines]
    snapshots = [e for e in events if e["event"]["action"] == "inventory.snapshot"]
    assert len(snapshots) > 1
    parts = [_inventory(e)["part"] for e in snapshots]
    assert parts == list(range(1, len(snapshots) + 1))
    assert {_inventory(e)["parts"] for e in snapshots} == {len(snapshots)}
    assert len({_inventory(e)["snapshot_digest"] for e in events}) == 1
    names = [s["server_name"] for s in _snapshot_lists(events, "mcp_servers")]
    assert len(names) == len(set(names)) == 600
    assert all(_inventory(e)["counts"]["mcp_servers"] == 600 for e in events)
    for event in events:
        assert "field_truncated" not in event and "raw" in event
    assert PLANTED not in empty_endpoint.log_file.read_bytes()
    # The next run sees a complete multi-part snapshot: unchanged.
    empty_endpoint.write_event()
    assert _inventory(empty_endpoint.events()[-1])["change_reason"] == "unchanged"


def test_torn_part_does_not_count_as_a_snapshot(empty_endpoint: Endpoint) -> None:
    """If a part is missing (a torn write), the next run writes the snapshot again."""
    _many_servers(empty_endpoint, 300)
    empty_endpoint.write_event()
    lines = empty_endpoint.log_file.read_bytes().splitlines(keepends=True)
    empty_endpoint.log_file.write_bytes(b"".join(lines[1:]))  # lose part 1
    empty_endpoint.write_event()
    assert _inventory(empty_endpoint.events()[-1])["change_reason"] == "initial"


@pytest.mark.parametrize("broken", ["malformed", "directory", "symlink_loop", "fifo", "not_utf8"])
def test_unreadable_and_malformed_files_are_reported_and_the_run_goes_on(
    endpoint: Endpoint, broken: str
) -> None:
    """A bad file gets a parser status and a reason (never its text); the rest is complete."""
    path = endpoint.home / ".cursor" / "mcp.json"
    path.unlink()
    if broken == "malformed":
        path.write_text('{"mcpServers": {"x": PLANTED-not-json}}')
    elif broken == "directory":
        path.mkdir()
    elif broken == "symlink_loop":
        path.symlink_to(path)
    elif broken == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b'{"a": "\xff\xfe PLANTED"}')
    endpoint.write_event()
    events = endpoint.events()
    configs = _snapshot_lists(events, "configs")
    record = next(c for c in configs if c["path"] == str(path))
    expected = {
        "malformed": ("parse_failed", "invalid jsonc"),
        "directory": ("unreadable", "is_directory"),
        "symlink_loop": ("unreadable", "symlink_loop"),
        "fifo": ("unsupported", "not_regular_file"),
        "not_utf8": ("parse_failed", "not_utf8"),
    }[broken]
    assert (record["parser_status"], record["reason"][: len(expected[1])]) == expected
    assert len(_snapshot_lists(events, "mcp_servers")) == 22  # the other files' servers
    assert _inventory(events[-1])["posture"]["parse_failures"] == 2  # and the broken skill
    assert PLANTED not in endpoint.log_file.read_bytes()


def test_unwritable_log_dir_is_an_error_not_a_crash(endpoint: Endpoint) -> None:
    """A log path that cannot be created gives a clear error and exit code, nothing lost."""
    blocker = endpoint.root / "blocker"
    blocker.write_text("a file where the log directory should be")
    result = endpoint.beacon(
        "inventory", "--write-event", "--log-dir", str(blocker / "logs"), check=False
    )
    assert result.returncode != 0
    assert "beacon: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_small_size_cap_still_keeps_every_server(empty_endpoint: Endpoint) -> None:
    """With `limits.max_event_bytes = 8192`, parts get smaller and more numerous; none lost."""
    _many_servers(empty_endpoint, 40)
    config = empty_endpoint.root / "beacon.toml"
    config.write_text("[limits]\nmax_event_bytes = 8192\n")
    empty_endpoint.write_event("--config", str(config))
    lines = empty_endpoint.log_file.read_bytes().splitlines()
    assert all(len(line) <= 8192 for line in lines)
    events = [json.loads(line) for line in lines]
    assert not [e for e in events if e.get("field_truncated")]
    assert len(_snapshot_lists(events, "mcp_servers")) == 40
