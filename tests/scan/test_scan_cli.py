"""`beacon scan` and `beacon rules` end to end: logs on disk, exit codes, JSON, SARIF, store."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from beacon.cli import main
from beacon.pipeline.enrich import Enrich
from beacon.runtimes.hooks import harness_of, map_hook
from beacon.runtimes.hooks.payload import hook_input
from beacon.scan.fields import markdown_reference

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
SARIF_SCHEMA = json.loads((TESTS / "fixtures/sarif/sarif-schema-2.1.0.json").read_text())
AGENTS = TESTS / "fixtures/agents"


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own HOME and working directory, no BEACON_* settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for key in ("BEACON_RULES_DIR", "BEACON_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def _event(seconds: int, action: str, session: str = "s1", **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": f"2026-12-01T09:{seconds // 60:02d}:{seconds % 60:02d}.000Z",
        "vendor": "beacon",
        "event": {"action": action, "id": f"id-{action}-{seconds}"},
        "session": {"id": session},
        **fields,
    }


def _write(path: Path, events: list[dict[str, Any]], *, gz: bool = False) -> None:
    data = b"".join(orjson.dumps(e) + b"\n" for e in events)
    path.write_bytes(gzip.compress(data) if gz else data)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A log dir whose read-then-egress chain spans the archives: .2.gz, .1, then active."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(
        logs / "runtime.jsonl.2.gz",
        [_event(0, "file.read", file={"path": "/work/app/.env"})],
        gz=True,
    )
    _write(logs / "runtime.jsonl.1", [_event(10, "session.activity")])
    (logs / "runtime.jsonl").write_bytes(
        orjson.dumps(
            _event(30, "command.executed", command={"command": "curl https://x.example/c"})
        )
        + b"\nnot json\n"
        + orjson.dumps(_event(40, "command.executed", "s2", command={"command": "ls"}))
        + b"\n"
    )
    return logs


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_streams_archives_oldest_first_and_correlates_across_them(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The read in `.2.gz` and the curl in the active file make one correlation finding."""
    code, out, _ = _run(["scan", "--log-dir", str(log_dir), "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    ids = {f["rule_id"] for f in report["findings"]}
    assert ids == {"credential-file-read", "secret-read-then-egress"}
    chain = next(f for f in report["findings"] if f["rule_id"] == "secret-read-then-egress")
    assert [e["id"] for e in chain["events"]] == ["id-file.read-0", "id-command.executed-30"]
    assert [e["step"] for e in chain["events"]] == ["read_secret", "egress"]
    assert chain["session_id"] == "s1" and chain["severity"] == "high"
    summary = report["summary"]
    assert [Path(f).name for f in summary["files"]] == [
        "runtime.jsonl.2.gz",
        "runtime.jsonl.1",
        "runtime.jsonl",
    ]
    assert summary["events"] == 4 and summary["malformed_lines"] == 1


def test_fail_on_gates_a_ci_job(log_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--fail-on high` exits 1 with a high finding; `--fail-on critical` exits 0."""
    assert _run(["scan", "--log-dir", str(log_dir), "--fail-on", "high"], capsys)[0] == 1
    assert _run(["scan", "--log-dir", str(log_dir), "--fail-on", "critical"], capsys)[0] == 0


def test_text_output_names_rule_session_reason_and_events(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The human report carries rule id, title, severity, session, reason, event ids and times."""
    code, out, err = _run(["scan", "--log-dir", str(log_dir)], capsys)
    assert code == 0
    assert "HIGH      secret-read-then-egress: Credential read followed by network egress" in out
    assert "session s1 · Credential file read, then network egress" in out
    assert "2026-12-01T09:00:30.000Z command.executed id-command.executed-30 [egress]" in out
    assert "2 finding(s) (1 high, 1 medium) in 4 events from 3 file(s)" in out
    assert "skipped 1 malformed line(s)" in err


def test_filters_min_severity_session_and_since(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--min-severity` drops lower rules; `--session` and `--since` narrow the events."""
    base = ["scan", "--log-dir", str(log_dir), "--json"]
    high = json.loads(_run([*base, "--min-severity", "high"], capsys)[1])
    assert [f["rule_id"] for f in high["findings"]] == ["secret-read-then-egress"]
    other = json.loads(_run([*base, "--session", "s2"], capsys)[1])
    assert other["findings"] == [] and other["summary"]["scanned"] == 1
    late = json.loads(_run([*base, "--since", "2026-12-01T09:00:20Z"], capsys)[1])
    assert late["findings"] == [] and late["summary"]["scanned"] == 2
    code, _, err = _run([*base, "--since", "yesterday"], capsys)
    assert code == 2 and "--since 'yesterday'" in err


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(
    log_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--sarif` writes SARIF 2.1.0: one result per finding, rule metadata with taxonomy."""
    target = tmp_path / "beacon.sarif"
    assert _run(["scan", "--log-dir", str(log_dir), "--sarif", str(target)], capsys)[0] == 0
    document = json.loads(target.read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == {
        "credential-file-read",
        "secret-read-then-egress",
    }
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) >= 25
    egress = rules["secret-read-then-egress"]
    assert egress["properties"]["security-severity"] == "8.0"
    assert "mitre_attack:T1041" in egress["properties"]["tags"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_missing_log_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No log where asked: exit 2 with the path, not a traceback."""
    code, _, err = _run(["scan", "--log-path", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2
    assert "no log at" in err


def test_broken_rule_refuses_the_scan(
    log_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule that does not load stops the scan with exit 2 naming the file."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.rule.yaml").write_text("id: bad\nversion: 1\n")
    code, _, err = _run(["scan", "--log-dir", str(log_dir), "--rules", str(rules)], capsys)
    assert code == 2
    assert "bad.rule.yaml" in err


def _golden_events() -> list[dict[str, Any]]:
    events = []
    for path in sorted((TESTS / "collector/golden").glob("*/*.jsonl")):
        events.extend(json.loads(line) for line in path.read_text().splitlines())
    enrich = Enrich("test-host")
    for path in sorted(AGENTS.glob("*/*/hooks/*/*")):
        platform = path.relative_to(AGENTS).parts[0].split("-")[0]
        bodies = (
            [line for line in path.read_bytes().splitlines() if line.strip()]
            if path.suffix == ".jsonl"
            else [path.read_bytes()]
        )
        for body in bodies:
            mapped = map_hook(hook_input(harness_of(platform) or platform, body))
            events.extend(enrich(e) for e in mapped)
    return events


def test_recorded_benign_agent_sessions_give_no_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Claude Code, Codex and Gemini CLI sessions (OTLP and hooks), mapped: nothing fires."""
    events = _golden_events()
    assert len(events) > 200
    actions = {e["event"]["action"] for e in events}
    assert {"command.executed", "prompt.submitted", "approval.allowed"} <= actions
    log = tmp_path / "benign.jsonl"
    _write(log, events)
    code, out, _ = _run(["scan", "--log-path", str(log), "--json", "--fail-on", "info"], capsys)
    report = json.loads(out)
    assert report["findings"] == []
    assert report["summary"]["scanned"] == len(events)
    assert report["summary"]["evaluation_errors"] == 0
    assert code == 0


def test_rules_test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules test --json` reports counts, failures and load errors; exit 1 on any."""
    code, out, _ = _run(["rules", "test", "--json"], capsys)
    report = json.loads(out)
    assert code == 0
    assert report["rules"] >= 25 and report["fixtures"] == report["passed"] > 100
    assert report["failures"] == [] and report["errors"] == []

    broken = tmp_path / "pack"
    broken.mkdir()
    source = (ROOT / "beacon/scan/rules/reverse-shell.rule.yaml").read_text()
    (broken / "flipped.rule.yaml").write_text(
        source.replace("id: reverse-shell", "id: flipped").replace(
            "verdict: no_match", "verdict: maybe"
        )
    )
    (broken / "wrong.rule.yaml").write_text(
        source.replace("id: reverse-shell", "id: wrong").replace(
            "- name: python_http_server\n    verdict: no_match",
            "- name: python_http_server\n    verdict: match",
        )
    )
    (broken / "typo.rule.yaml").write_text(
        source.replace("id: reverse-shell", "id: typo").replace(
            "e.command.command", "e.comand.command"
        )
    )
    code, out, _ = _run(["rules", "test", str(broken), "--json"], capsys)
    report = json.loads(out)
    assert code == 1
    assert report["failures"] == [
        {"rule": "wrong", "fixture": "python_http_server", "expected": "match", "got": "no_match"}
    ]
    assert {e["path"].rsplit("/", 1)[-1] for e in report["errors"]} == {
        "flipped.rule.yaml",
        "typo.rule.yaml",
    }
    assert all(set(e) == {"rule", "path", "message"} for e in report["errors"])


def test_lint_enforces_the_maturity_ladder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stable rule without a no_match fixture fails lint; experimental with one passes."""
    source = (ROOT / "beacon/scan/rules/git-hook-installed.rule.yaml").read_text()
    head, _, _ = source.partition("  - name: sample_hook_edit")
    (tmp_path / "only-match.rule.yaml").write_text(head)
    code, out, _ = _run(["rules", "lint", str(tmp_path)], capsys)
    assert code == 1
    assert "status stable needs at least one `no_match` fixture" in out
    (tmp_path / "only-match.rule.yaml").write_text(
        head.replace("status: stable", "status: experimental")
    )
    assert _run(["rules", "lint", str(tmp_path)], capsys)[0] == 0


def test_add_list_remove_use_the_user_store(
    private_home: Path, log_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rules add` copies into ~/.beacon/rules (0600 in 0700), the store wins over the
    baseline, and `rules remove` deletes it again."""
    source = (ROOT / "beacon/scan/rules/credential-file-read.rule.yaml").read_text()
    mine = tmp_path / "mine.rule.yaml"
    mine.write_text(source.replace("severity: medium", "severity: critical"))
    assert _run(["rules", "add", str(mine)], capsys)[0] == 0
    stored = private_home / ".beacon/rules/credential-file-read.rule.yaml"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.stat().st_mode & 0o777 == 0o700

    code, out, _ = _run(["rules", "list", "--json"], capsys)
    row = next(r for r in json.loads(out)["rules"] if r["id"] == "credential-file-read")
    assert row["severity"] == "critical" and row["source"] == str(stored)
    assert _run(["scan", "--log-dir", str(log_dir), "--fail-on", "critical"], capsys)[0] == 1

    code, _, err = _run(["rules", "add", str(mine)], capsys)
    assert code == 2 and "--force" in err
    assert _run(["rules", "add", str(mine), "--force"], capsys)[0] == 0
    assert _run(["rules", "remove", "credential-file-read"], capsys)[0] == 0
    assert not stored.exists()
    code, _, err = _run(["rules", "remove", "reverse-shell"], capsys)
    assert code == 2 and "baseline rule" in err


def test_add_refuses_a_rule_whose_fixtures_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing enters the store unless it loads and passes its maturity gate."""
    source = (ROOT / "beacon/scan/rules/reverse-shell.rule.yaml").read_text()
    bad = tmp_path / "bad.rule.yaml"
    bad.write_text(source.replace("verdict: no_match", "verdict: match"))
    code, _, err = _run(["rules", "add", str(bad)], capsys)
    assert code == 2 and "failing" in err
    assert not (tmp_path / "home/.beacon/rules").exists()


def test_fields_reference_is_generated_and_in_sync(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules fields --markdown` is docs/rule-fields.md and lists the upstream rule fields."""
    code, out, _ = _run(["rules", "fields", "--markdown"], capsys)
    assert code == 0 and out == markdown_reference()
    assert (ROOT / "docs/rule-fields.md").read_text() == out
    for field in ("e.gen_ai.tool.description", "e.gen_ai.usage.cost_usd", "e.mcp.method.name"):
        assert f"| `{field}` |" in out
    fields = json.loads(_run(["rules", "fields", "--json"], capsys)[1])
    assert {"field": "e.gen_ai.usage.cost_usd", "type": "double"} in fields


def test_every_flag_and_subcommand_is_documented() -> None:
    """docs/scan.md names every `beacon scan` flag, `beacon rules` action and their flags."""
    import argparse

    from beacon.scan.cli import register
    from beacon.scan.store import STORE_ENV

    doc = (ROOT / "docs" / "scan.md").read_text()
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    sub = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    parsers = [sub["scan"], *sub["rules"]._subparsers._group_actions[0].choices.values()]
    flags = {o for p in parsers for a in p._actions for o in a.option_strings if o[:2] == "--"}
    actions = set(sub["rules"]._subparsers._group_actions[0].choices)
    missing = [f for f in sorted(flags - {"--help"}) if f not in doc]
    missing += [a for a in sorted(actions) if f"beacon rules {a}" not in doc and f"{a}|" not in doc]
    missing += [STORE_ENV] if STORE_ENV not in doc else []
    assert not missing, f"undocumented in docs/scan.md: {missing}"


def test_unpinned_mcp_server_in_a_real_inventory_snapshot(
    private_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`beacon inventory --write-event` over a Claude config with an unpinned `npx` server
    writes a snapshot that `beacon scan` reads from inventory_state.jsonl and flags."""
    servers = {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]},
        "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory@1.2.3"]},
    }
    (private_home / ".claude.json").write_text(json.dumps({"mcpServers": servers}))
    logs = tmp_path / "logs"
    assert _run(["inventory", "--write-event", "--log-dir", str(logs)], capsys)[0] == 0
    code, out, _ = _run(["scan", "--log-dir", str(logs), "--json", "--fail-on", "medium"], capsys)
    report = json.loads(out)
    assert [f["rule_id"] for f in report["findings"]] == ["unpinned-mcp-server"]
    assert report["findings"][0]["events"][0]["action"] == "inventory.snapshot"
    assert code == 1

    servers["filesystem"]["args"][1] += "@2025.8.21"
    (private_home / ".claude.json").write_text(json.dumps({"mcpServers": servers}))
    clean = tmp_path / "clean"
    assert _run(["inventory", "--write-event", "--log-dir", str(clean)], capsys)[0] == 0
    assert (
        json.loads(_run(["scan", "--log-dir", str(clean), "--json"], capsys)[1])["findings"] == []
    )
