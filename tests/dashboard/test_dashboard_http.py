"""The dashboard over HTTP: its guard (Host, Origin, methods, loopback), its headers, and
that its APIs answer what `beacon logs`, `beacon scan` and `beacon verify` answer."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_harness import CLAUDE_SESSION, REPO, Site, clean_env, listing, start_dashboard
from demo_log import PLANTED

PAGES = ("/", "/sessions", "/tokens", "/inventory", "/findings", "/health")
APIS = (
    "/api/events",
    "/api/summary",
    "/api/sessions",
    "/api/tokens",
    "/api/inventory",
    "/api/findings",
    "/api/health",
    "/api/status",
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CHART_JS_SHA256 = "3f288f4f26882c26b58931fb586a9b4f30370b5de38d69dc005b0bd05b08e113"


def client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=30, trust_env=False)


def get(site: Site, path: str, **kw: Any) -> httpx.Response:
    with client(site) as http:
        return http.get(path, **kw)


def beacon(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "beacon.cli", *args],
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    return done


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


# -- the guard -------------------------------------------------------------------------------
def test_foreign_host_is_refused_with_421(site: Site) -> None:
    """DNS rebinding: a page at evil.example that resolves to 127.0.0.1 sends its own Host."""
    for host in ("evil.example", f"evil.example:{site.dashboard.port}", "127.0.0.1:1", "localhost"):
        response = get(site, "/api/events", headers={"Host": host})
        assert response.status_code == 421, host
        assert PLANTED not in response.text
        assert_security_headers(response)
    for host in (f"127.0.0.1:{site.dashboard.port}", f"localhost:{site.dashboard.port}"):
        assert get(site, "/api/status", headers={"Host": host}).status_code == 200, host


def test_cross_origin_api_reads_are_refused(site: Site) -> None:
    """A foreign Origin, or a browser saying the fetch is cross-site or same-site (another
    port of localhost), gets 403 from the API; the dashboard's own origin gets the data."""
    own = f"http://127.0.0.1:{site.dashboard.port}"
    refused = (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": f"http://localhost:{site.dashboard.port + 1}"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": own, "Sec-Fetch-Site": "cross-site"},
    )
    for headers in refused:
        response = get(site, "/api/events", params={"q": PLANTED}, headers=headers)
        assert response.status_code == 403, headers
        assert PLANTED not in response.text
        assert_security_headers(response)
    ok = get(site, "/api/events", headers={"Origin": own, "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200


def test_only_get_and_head_are_allowed(site: Site) -> None:
    """Read-only: every other method gets 405 with `Allow: GET, HEAD`, on every path."""
    with client(site) as http:
        for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"):
            for path in ("/", "/api/events", "/api/sessions", "/static/app.css", "/nope"):
                response = http.request(method, path, content=b"{}")
                assert response.status_code == 405, (method, path)
                assert response.headers["Allow"] == "GET, HEAD"
                assert_security_headers(response)
        head = http.head("/api/status")
        assert head.status_code == 200 and head.content == b""


def test_every_response_carries_the_security_headers(site: Site) -> None:
    """Pages, APIs, static files, the icon and errors; no-store on the API and pages."""
    with client(site) as http:
        for path in (*PAGES, *APIS, "/static/app.css", "/favicon.ico", "/nope", "/api/nope"):
            response = http.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            assert_security_headers(response)
            if path.startswith("/api/") or path in PAGES:
                assert response.headers["Cache-Control"] == "no-store", path
        assert http.get("/nope").status_code == 404
        missing = http.get("/api/nope")
        assert missing.status_code == 404 and "error" in missing.json()
        icon = http.get("/favicon.ico")
        assert icon.headers["Content-Type"].startswith("image/svg+xml")


def test_non_loopback_addresses_are_refused(site: Site) -> None:
    """`--addr` must be loopback: the process exits 2 with the reason, before binding."""
    for addr in ("0.0.0.0:0", "192.0.2.1:8765", "[::]:0", "example.com:8765"):
        done = beacon(site, "dashboard", "--log-dir", str(site.log_dir), "--addr", addr)
        assert done.returncode == 2, (addr, done.stdout, done.stderr)
        assert "--addr" in done.stderr
        assert "listening" not in done.stdout
    done = beacon(site, "dashboard", "--addr", "nonsense")
    assert done.returncode == 2 and "HOST:PORT" in done.stderr


def test_open_hands_the_url_to_the_browser_and_ipv6_loopback_works(site: Site) -> None:
    """`--open` calls the user's browser ($BROWSER here: a script noting its argument) with
    the URL it printed; `[::1]` is loopback too, and its Host header is accepted."""
    opened = site.base / "opened.txt"
    script = site.base / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    script.chmod(0o755)
    env = dict(site.env, BROWSER=f"{script} %s")
    running = start_dashboard(site.log_dir, env, "--open")
    try:
        for _ in range(200):
            if opened.exists() and opened.read_text().strip():
                break
            time.sleep(0.05)
        assert opened.read_text().strip() == running.url
    finally:
        assert running.stop() == 0
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6 loopback")
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    running = start_dashboard(site.log_dir, site.env, "--addr", "[::1]:0")  # the last wins
    try:
        assert running.url.startswith("http://[::1]:")
        with httpx.Client(base_url=running.url, timeout=30, trust_env=False) as http:
            assert http.get("/api/status").status_code == 200
            local = {"Host": f"localhost:{running.port}"}
            assert http.get("/api/status", headers=local).status_code == 200
            assert http.get("/api/status", headers={"Host": "evil.example"}).status_code == 421
    finally:
        assert running.stop() == 0


def test_endpoint_dashboard_is_the_same_command(site: Site) -> None:
    """`beacon endpoint dashboard` takes the same flags and also refuses remote binds."""
    done = beacon(site, "endpoint", "dashboard", "--help")
    assert done.returncode == 0
    for flag in ("--log-dir", "--addr", "--open", "--system"):
        assert flag in done.stdout
    done = beacon(site, "endpoint", "dashboard", "--addr", "0.0.0.0:0")
    assert done.returncode == 2 and "not a loopback address" in done.stderr


def test_bad_filter_values_get_400_with_the_reason(site: Site) -> None:
    response = get(site, "/api/events", params={"since": "last tuesday"})
    assert response.status_code == 400
    assert "cannot read time" in response.json()["error"]
    assert get(site, "/api/events", params={"severity": "urgent"}).status_code == 400
    assert get(site, "/api/events", params={"limit": "0"}).status_code == 400
    assert get(site, "/api/events", params={"after": "../../etc"}).status_code == 400
    page = get(site, "/", params={"since": "last tuesday"})
    assert page.status_code == 400 and "cannot read time" in page.text


# -- the APIs answer what the CLI answers ------------------------------------------------------
def logs_json(site: Site, *args: str) -> list[dict[str, Any]]:
    done = beacon(site, "logs", "--log-dir", str(site.log_dir), "--json", "--limit", "0", *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def all_pages(site: Site, **params: str) -> list[dict[str, Any]]:
    """Every event the API returns for a query, following `next` page by page."""
    events: list[dict[str, Any]] = []
    after = None
    with client(site) as http:
        for _ in range(100):
            query = dict(params, limit="7", **({"after": after} if after else {}))
            body = http.get("/api/events", params=query).json()
            assert len(body["events"]) <= 7
            events += [row["event"] for row in body["events"]]
            after = body["next"]
            if after is None:
                return events
    raise AssertionError("paging did not end")


@pytest.mark.parametrize(
    ("params", "flags"),
    [
        ({}, ()),
        ({"harness": "claude"}, ("--harness", "claude")),
        ({"action": "command.*", "since": "30d"}, ("--action", "command.*", "--since", "30d")),
        ({"q": "KUBECTL"}, ("-q", "KUBECTL")),
        ({"severity": "medium"}, ("--severity", "medium")),
        ({"session": "d28424"}, ("--session", "d28424")),
        ({"category": "file,mcp"}, ("--category", "file", "--category", "mcp")),
        ({"stream": "inventory"}, ("--stream", "inventory")),
    ],
)
def test_events_api_pages_through_exactly_what_beacon_logs_returns(
    site: Site, params: dict[str, str], flags: tuple[str, ...]
) -> None:
    """Same engine, same filters: the pages, joined, are `beacon logs --json` in order."""
    expected = logs_json(site, *flags)
    assert expected, params
    got = all_pages(site, **params)
    assert [e["event"]["id"] for e in got] == [e["event"]["id"] for e in expected]


def test_event_api_finds_an_event_by_position_and_by_id(site: Site) -> None:
    body = get(site, "/api/events", params={"q": PLANTED, "action": "command.executed"}).json()
    (row,) = body["events"]
    assert PLANTED in row["summary"]
    by_at = get(site, "/api/event", params={"at": row["at"]}).json()
    assert by_at["event"] == row["event"]
    assert json.loads(by_at["line"])["integrity"]["hash"]  # the stored line, sealed
    by_id = get(site, "/api/event", params={"id": row["event"]["event"]["id"]}).json()
    assert by_id["at"] == row["at"]
    assert get(site, "/api/event", params={"id": "no-such-id"}).status_code == 404
    assert get(site, "/api/event", params={"at": "1.2.3"}).status_code == 404


def test_sessions_api_matches_beacon_logs_sessions(site: Site) -> None:
    """From the index (no filter) and from a search (a filter): the same numbers."""
    done = beacon(site, "logs", "sessions", "--log-dir", str(site.log_dir), "--json")
    expected = [json.loads(line) for line in done.stdout.splitlines()]
    body = get(site, "/api/sessions").json()
    assert body["status"] == "ok" and body["total"] == len(expected) >= 5
    keys = list(expected[0])
    assert [{k: s[k] for k in keys} for s in body["sessions"]] == expected
    rollout = next(s for s in body["sessions"] if s["id"].startswith("5b9e0c44"))
    assert rollout["first_prompt"].startswith("Payments API pods are stuck")
    done = beacon(
        site, "logs", "sessions", "--log-dir", str(site.log_dir), "--json", "--harness", "codex"
    )
    expected = [json.loads(line) for line in done.stdout.splitlines()]
    body = get(site, "/api/sessions", params={"harness": "codex"}).json()
    assert [{k: s[k] for k in keys} for s in body["sessions"]] == expected
    assert {s["harness"] for s in body["sessions"]} == {"codex_cli"}


def test_session_api_gives_the_recorded_claude_run_in_order(site: Site) -> None:
    body = get(site, f"/api/sessions/{CLAUDE_SESSION[:8]}").json()
    assert body["session"]["id"] == CLAUDE_SESSION
    kinds = [e["kind"] for e in body["entries"]]
    assert kinds.index("prompt") < kinds.index("call") < kinds.index("response")
    call = next(e for e in body["entries"] if e["kind"] == "call")
    assert call["title"] == "Bash" and call["code"] == "echo BEACON_MARKER"
    assert {"text": "approval: accept", "tone": "ok"} in call["badges"]
    assert body["hidden"]["plumbing"] > 0 and body["hidden"]["duplicates"] > 0
    everything = get(site, f"/api/sessions/{CLAUDE_SESSION}", params={"all": "1"}).json()
    assert len(everything["entries"]) > len(body["entries"])
    assert get(site, "/api/sessions/no-such-session").status_code == 404


def test_tokens_api_adds_up_to_the_sessions(site: Site) -> None:
    """Per day, model and harness; totals equal the sessions' (requests or metrics, once)."""
    sessions = get(site, "/api/sessions").json()["sessions"]
    body = get(site, "/api/tokens", params={"days": "0"}).json()
    assert body["total"]["tokens"] == sum(s["tokens"] for s in sessions) > 0
    assert round(body["total"]["cost_usd"], 6) == round(sum(s["cost_usd"] for s in sessions), 6)
    assert sum(d["tokens"] for d in body["by_day"]) == body["total"]["tokens"]
    assert {h["name"] for h in body["by_harness"]} == {"claude_code", "codex_cli"}
    claude = get(site, "/api/tokens", params={"days": "0", "harness": "claude"}).json()
    assert claude["total"]["tokens"] == sum(
        s["tokens"] for s in sessions if s["harness"] == "claude_code"
    )
    # Not a whole-day window: answered by a search instead of the index, with the same rule.
    scanned = get(site, "/api/tokens", params={"days": "0", "until": "now"}).json()
    assert scanned["total"] == body["total"]


def test_findings_api_matches_beacon_scan(site: Site) -> None:
    done = beacon(site, "scan", "--log-dir", str(site.log_dir), "--json")
    expected = json.loads(done.stdout)["findings"]
    body = get(site, "/api/findings").json()
    assert body["status"] == "ok"
    key = lambda f: (f["rule_id"], tuple(e["id"] for e in f["events"]))  # noqa: E731
    assert sorted(map(key, body["findings"])) == sorted(map(key, expected))
    assert body["summary"]["rules"] >= 30


def test_health_api_reports_the_chain_as_beacon_verify_does(site: Site) -> None:
    done = beacon(site, "verify", "--log-dir", str(site.log_dir), "--json")
    assert done.returncode == 0
    expected = json.loads(done.stdout)["streams"]
    body = get(site, "/api/health").json()
    chain = body["chain"]
    assert chain["status"] == "ok"
    assert [(s["name"], s["intact"], s["lines"]) for s in chain["streams"]] == [
        (s["name"], s["intact"], s["lines"]) for s in expected
    ]
    runtime = next(f for f in body["files"] if f["name"] == "runtime.jsonl")
    assert runtime["index"]["events"] == expected[0]["lines"]
    assert body["status"]["runtime_log"]["expected_log_path"]  # the runtime-log source check
    assert "shipper" in body["status"] and "collector" in body["status"]


def test_inventory_api_joins_the_latest_snapshot(site: Site) -> None:
    body = get(site, "/api/inventory").json()
    inventory = body["snapshot"]["inventory"]
    assert len(inventory["mcp_servers"]) == inventory["counts"]["mcp_servers"] > 0
    assert body["heartbeat"]["inventory"]["snapshot_digest"] == inventory["snapshot_digest"]
    flagged = [s for s in inventory["mcp_servers"] if s["inline_secret"]]
    assert flagged and all(any("inline secret" in f["text"] for f in s["flags"]) for s in flagged)


def test_the_dashboard_never_writes_into_the_log_directory(site: Site) -> None:
    """After every page and API: the log directory is byte for byte, mode and mtime the
    same, and the index lives in the state directory, private."""
    before = listing(site.log_dir)
    with client(site) as http:
        for path in (*PAGES, *APIS, f"/sessions/{CLAUDE_SESSION}", "/api/event?q=x"):
            http.get(path)
    assert listing(site.log_dir) == before
    state = Path(site.env["BEACON_STATE_DIR"])
    index_files = list((state / "dashboard" / "index").rglob("*.json"))
    assert index_files
    for path in (state / "dashboard", *index_files):
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_vendored_chart_library_is_the_registry_release(site: Site) -> None:
    """The served Chart.js is the npm release's file, unchanged (see its README)."""
    body = get(site, "/static/vendor/chart.umd.min.js").content
    assert hashlib.sha256(body).hexdigest() == CHART_JS_SHA256
    assert b"Chart.js v4.6.2" in body[:200]


def test_empty_log_directory_answers_with_empty_results(empty_site: Site) -> None:
    """No log yet: every page and API works and says so; nothing is created."""
    for path in PAGES:
        response = get(empty_site, path)
        assert response.status_code == 200, path
    assert "No events yet" in get(empty_site, "/").text
    assert get(empty_site, "/api/events").json()["events"] == []
    assert get(empty_site, "/api/sessions").json()["total"] == 0
    assert get(empty_site, "/api/findings").json()["findings"] == []
    assert not empty_site.log_dir.exists()


def test_health_warns_when_the_collector_writes_elsewhere(site: Site) -> None:
    """The endpoint says its collector is on a port where a real `beacon run` writes to
    another directory: the health page says where events really go (as `beacon status`)."""
    from collector_harness import start_collector

    from beacon.endpoint.manifest import Manifest, save_manifest
    from beacon.endpoint.settings import EndpointSettings

    other = site.base / "other-logs"
    collector = start_collector(other)
    try:
        env = clean_env(site.base / "warned")
        settings = EndpointSettings(
            log_dir=site.log_dir,
            grpc_port=int(collector.grpc.rsplit(":", 1)[1]),
            http_port=int(collector.http.rsplit(":", 1)[1]),
        )
        save_manifest(
            Path(env["BEACON_STATE_DIR"]) / "install-manifest.json", Manifest("user", settings)
        )
        running = start_dashboard(site.log_dir, env)
        try:
            with httpx.Client(base_url=running.url, timeout=30, trust_env=False) as http:
                status = http.get("/api/health").json()["status"]
                page = http.get("/health").text
        finally:
            running.stop()
    finally:
        collector.stop()
    warning = status["runtime_log"]["warning"]
    assert warning and str(other / "runtime.jsonl") in warning
    assert status["collector"]["healthy"] and status["collector"]["log_dir"] == str(other)
    assert 'id="runtime-log-warning"' in page and str(other / "runtime.jsonl") in page
