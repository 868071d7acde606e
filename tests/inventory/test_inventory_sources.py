"""The scanner on a realistic home: every runtime's config shapes, MCP servers, skills,
telemetry and hook status, posture fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Endpoint

from beacon.config import BeaconConfig
from beacon.inventory.scope import Scope
from beacon.inventory.snapshot import Inventory, collect


def _collect(endpoint: Endpoint, **kw: Any) -> Inventory:
    return collect(Scope.of(endpoint.home, endpoint.project, endpoint.env), BeaconConfig(), **kw)


@pytest.fixture
def inventory(endpoint: Endpoint) -> Inventory:
    return _collect(endpoint)


def _servers(inventory: Inventory) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["runtime"], s["server_name"]): s for s in inventory.mcp_servers}


EXPECTED_SERVERS = {
    # (runtime, name): (scope, transport, block)
    ("claude_code", "github"): ("user", "http", "mcpServers"),
    ("claude_code", "filesystem"): ("user", "stdio", "mcpServers"),
    ("claude_code", "linear"): ("user", "sse", "mcpServers"),
    ("claude_code", "internal-db"): ("user", "stdio", "mcpServers"),
    ("claude_code", "sqlite"): ("local", "stdio", "projects[*].mcpServers"),
    ("claude_code", "fetch"): ("local", "stdio", "projects[*].mcpServers"),
    ("claude_code", "playwright"): ("project", "stdio", "mcpServers"),
    ("claude_code", "remote-plain"): ("project", "http", "mcpServers"),
    ("codex_cli", "context7"): ("user", "stdio", "mcp_servers"),
    ("codex_cli", "figma"): ("user", "http", "mcp_servers"),
    ("gemini_cli", "stripe"): ("user", "http", "mcpServers"),
    ("gemini_cli", "local-tool"): ("user", "stdio", "mcpServers"),
    ("cursor", "notion"): ("user", "http", "mcpServers"),
    ("cursor", "docker-tool"): ("user", "stdio", "mcpServers"),
    ("cursor", "project-tool"): ("project", "stdio", "mcpServers"),
    ("vscode_copilot", "time"): ("user", "stdio", "mcp.servers"),
    ("vscode_copilot", "memory"): ("user", "stdio", "servers"),
    ("vscode_copilot", "perplexity"): ("project", "stdio", "servers"),
    ("vscode_copilot", "remote-sse"): ("project", "sse", "servers"),
    ("windsurf", "brave"): ("user", "http", "mcpServers"),
    ("copilot_cli", "gh"): ("user", "http", "mcpServers"),
    ("opencode", "jira"): ("user", "http", "mcp"),
    ("opencode", "local"): ("user", "stdio", "mcp"),
    ("claude_desktop", "slack"): ("user", "stdio", "mcpServers"),
}


def test_every_server_of_every_runtime_is_found(inventory: Inventory) -> None:
    """All 24 servers, in every documented shape and nesting level, with scope and transport."""
    servers = _servers(inventory)
    assert set(servers) == set(EXPECTED_SERVERS)
    for key, (scope, transport, block) in EXPECTED_SERVERS.items():
        server = servers[key]
        assert (server["source_scope"], server["transport"], server["source_block"]) == (
            scope,
            transport,
            block,
        ), key
        assert server["parser_status"] == "ok", key
    assert servers[("claude_code", "sqlite")]["project_path"] == "/home/dev/app"
    assert inventory.counts()["mcp_servers"] == 24


def test_server_records_hold_names_and_counts_never_values(inventory: Inventory) -> None:
    """Command basename, argument count, non-secret env key names; no values."""
    servers = _servers(inventory)
    db = servers[("claude_code", "internal-db")]
    assert db["command_name"] == "db-mcp"
    assert db["args_count"] == 2
    assert db["env_keys"] == ["PGHOST"]  # DB_PASSWORD looks secret: left out
    assert db["env_key_count"] == 2
    opencode = servers[("opencode", "local")]
    assert (opencode["command_name"], opencode["args_count"]) == ("bun", 3)
    assert opencode["env_keys"] == ["MY_ENV_VAR"]
    assert opencode["disabled"] is True
    stripe = servers[("gemini_cli", "stripe")]
    assert (stripe["url_scheme"], stripe["url_host"], stripe["header_keys"]) == (
        "https",
        "mcp.stripe.com",
        [],
    )
    assert stripe["header_key_count"] == 1
    assert str(inventory.document()).count("PLANTED") == 0


def test_posture_unpinned_packages(inventory: Inventory) -> None:
    """npx without a version, @latest, uvx without ==, a :latest image are unpinned."""
    servers = _servers(inventory)
    unpinned = {k[1] for k, s in servers.items() if s["unpinned_package"]}
    assert unpinned == {
        "filesystem",
        "sqlite",
        "playwright",
        "docker-tool",
        "time",
        "memory",
        "perplexity",
        "local",
        "slack",
    }
    pinned = {k[1] for k, s in servers.items() if s["package_pinned"]}
    assert pinned == {"context7", "fetch"}
    assert servers[("claude_code", "playwright")]["package_launcher"] == "npx"
    assert servers[("opencode", "local")]["package_launcher"] == "bun x"


def test_package_hash_matches_a_known_package_without_naming_it(inventory: Inventory) -> None:
    """`package_hash` is sha256 of `<ecosystem>:<name>`, so a fleet can match known packages."""
    import hashlib

    expected = hashlib.sha256(b"npm:@modelcontextprotocol/server-filesystem").hexdigest()
    server = _servers(inventory)[("claude_code", "filesystem")]
    assert server["package_hash"] == f"sha256:{expected}"


def test_posture_plain_http_and_inline_secrets(inventory: Inventory) -> None:
    """Cleartext remote URLs and literal credentials are flagged by key name only."""
    servers = _servers(inventory)
    assert {k[1] for k, s in servers.items() if s["plain_http_remote"]} == {"remote-plain"}
    inline = {k[1]: s["inline_secret_keys"] for k, s in servers.items() if s["inline_secret"]}
    assert inline == {
        "internal-db": ["env.DB_PASSWORD", "args[1]"],
        "remote-plain": ["headers.X-API-Key"],
        "context7": ["env.CONTEXT7_API_KEY"],
        "stripe": ["headers.Authorization"],
        "gh": ["headers.Authorization"],
        "slack": ["env.SLACK_BOT_TOKEN"],
    }
    # References (${VAR}, ${input:…}, {env:…}, bearer_token_env_var) are not inline secrets.
    for name in ("github", "perplexity", "jira", "docker-tool", "figma"):
        assert not next(s for k, s in servers.items() if k[1] == name)["inline_secret"], name


def test_config_files_are_recorded_with_kind_scope_and_hash(inventory: Inventory) -> None:
    """Each existing file once, parsed by its format (JSONC ones included)."""
    configs = {(c["runtime"], Path(c["path"]).name, c["scope"]): c for c in inventory.configs}
    for key in [
        ("claude_code", ".claude.json", "user"),
        ("claude_code", "settings.json", "user"),
        ("claude_code", "settings.json", "project"),
        ("claude_code", ".mcp.json", "project"),
        ("codex_cli", "config.toml", "user"),
        ("codex_cli", "hooks.json", "user"),
        ("gemini_cli", "settings.json", "user"),
        ("cursor", "mcp.json", "user"),
        ("cursor", "mcp.json", "project"),
        ("cursor", "hooks.json", "user"),
        ("vscode_copilot", "settings.json", "user"),
        ("vscode_copilot", "mcp.json", "user"),
        ("vscode_copilot", "mcp.json", "project"),
        ("windsurf", "mcp_config.json", "user"),
        ("copilot_cli", "mcp-config.json", "user"),
        ("opencode", "opencode.json", "user"),
        ("claude_desktop", "claude_desktop_config.json", "user"),
    ]:
        record = configs[key]
        assert record["parser_status"] == "ok", key
        assert record["file_sha256"].startswith("sha256:"), key
        assert record["modified_at"].endswith("Z"), key
    assert len(inventory.configs) == 17
    assert configs[("claude_code", ".claude.json", "user")]["mcp_server_count"] == 6
    assert configs[("claude_code", ".claude.json", "user")]["config_kind"] == "state"
    jsonc = configs[("vscode_copilot", "settings.json", "user")]
    assert (jsonc["parser_mode"], jsonc["mcp_server_count"]) == ("jsonc", 1)


def test_runtime_telemetry_and_hooks_status(inventory: Inventory) -> None:
    """Config files decide telemetry (loopback OTLP) and hooks (`beacon-hooks` present)."""
    runtimes = {r["name"]: r for r in inventory.runtimes}
    status = {name: (r["telemetry"], r["hooks"]) for name, r in runtimes.items()}
    assert status == {
        "claude_code": ("enabled", "installed"),
        "codex_cli": ("enabled", "installed"),
        "gemini_cli": ("enabled", "missing"),
        "cursor": ("missing", "installed"),
        "vscode_copilot": ("enabled", "missing"),
        "copilot_cli": ("missing", "missing"),
        "windsurf": ("missing", "missing"),
        "opencode": ("missing", "missing"),
        "claude_desktop": ("missing", "unsupported"),
    }
    assert runtimes["claude_code"]["version"] == "2.1.220"
    assert runtimes["codex_cli"]["version"] == "0.142.4"
    assert runtimes["gemini_cli"]["version"] == "0.9.0"
    assert runtimes["cursor"]["version"] is None  # no executable on PATH, found by config
    assert runtimes["claude_code"]["executable_path"].endswith("/bin/claude")


def test_skills_front_matter_parsed_and_body_never_kept(inventory: Inventory) -> None:
    """Names and descriptions from front matter; missing or broken front matter is reported."""
    skills = {(s["runtime"], s["directory_name"]): s for s in inventory.skills}
    assert set(skills) == {
        ("claude_code", "release-notes"),
        ("claude_code", "no-front-matter"),
        ("claude_code", "broken-yaml"),
        ("claude_code", "deploy"),
        ("agent_skills", "shared-review"),
        ("cursor", "lint"),
        ("codex_cli", "plan"),
    }
    notes = skills[("claude_code", "release-notes")]
    assert notes["skill_name"] == "release-notes"
    assert notes["name_source"] == "front_matter"
    assert notes["description"].startswith("Draft release notes")
    assert notes["allowed_tools"] == ["Bash(git log *)", "Read"]
    assert notes["parser_status"] == "ok"
    assert skills[("claude_code", "deploy")]["source_scope"] == "project"
    bare = skills[("claude_code", "no-front-matter")]
    assert (bare["parser_status"], bare["reason"], bare["name_source"]) == (
        "partial",
        "no front matter",
        "directory",
    )
    broken = skills[("claude_code", "broken-yaml")]
    assert broken["parser_status"] == "parse_failed"
    assert broken["file_sha256"].startswith("sha256:")


def test_digest_ignores_touch_but_not_edits(endpoint: Endpoint) -> None:
    """Same content -> same digest even after a touch; an edit changes it."""
    import os

    first = _collect(endpoint).digest
    settings = endpoint.home / ".cursor" / "mcp.json"
    os.utime(settings, (1_700_000_000, 1_700_000_000))
    assert _collect(endpoint).digest == first
    settings.write_text(settings.read_text().replace("notion", "notion-2"))
    assert _collect(endpoint).digest != first


def test_working_directory_equal_to_home_is_read_once(endpoint: Endpoint) -> None:
    """Project-scope paths that are the user-scope paths are not counted twice."""
    inventory = collect(Scope.of(endpoint.home, endpoint.home, endpoint.env), BeaconConfig())
    paths = [c["path"] for c in inventory.configs]
    assert len(paths) == len(set(paths))
    roots = [(r["runtime"], r["root_path"]) for r in inventory.skill_roots]
    assert len(roots) == len(set(roots))
