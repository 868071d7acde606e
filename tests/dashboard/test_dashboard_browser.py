"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Every page loads without a console error or a failed request (the icon too), search finds
a planted event, the recorded Claude Code run reads as a timeline in order, and the charts
draw something. Each page is photographed into a temporary directory (and into
`$BEACON_DASHBOARD_SCREENSHOTS` when set, which is how docs/img/ is refreshed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_harness import CLAUDE_ANSWER, CLAUDE_PROMPT, CLAUDE_SESSION, Site
from demo_log import PLANTED

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {
    "search": "/",
    "sessions": "/sessions",
    "session": f"/sessions/{CLAUDE_SESSION}",
    "demo-session": "/sessions/3e9a51c7",
    "tokens": "/tokens?days=0",
    "inventory": "/inventory",
    "findings": "/findings",
    "health": "/health",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]


class Watcher:
    """Console messages, page errors, failed and refused requests, and every response."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        self.responses: list[tuple[int, str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        self.responses.append((response.status, response.url))
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def photograph(tab: Any, shots: Path, name: str) -> Path:
    """The whole page into `shots`; for the docs, the first screenful (a timeline whole)."""
    path = shots / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    docs = os.environ.get("BEACON_DASHBOARD_SCREENSHOTS")
    if docs:
        Path(docs).mkdir(parents=True, exist_ok=True)
        target = Path(docs) / f"dashboard-{name}.png"
        tab.screenshot(path=str(target), full_page=name in ("session", "demo-session"))
    return path


def test_every_page_loads_without_errors_or_failed_requests(
    site: Site, page: Any, shots: Path
) -> None:
    """Console clean, every request answered 2xx/3xx, the icon fetched, a screenshot each."""
    watcher = Watcher(page)
    for name, path in PAGES.items():
        page.goto(site.url + path, wait_until="networkidle")
        assert page.title().endswith("Agent Beacon"), name
        assert page.locator("main h1").count() == 1, name
        problems = watcher.take()
        assert not problems, (name, problems)
        photograph(page, shots, name)
    icons = [(s, u) for s, u in watcher.responses if u.endswith(("favicon.svg", "favicon.ico"))]
    assert icons and all(s == 200 for s, _ in icons)


def test_search_finds_the_planted_event_and_shows_its_json(site: Site, page: Any) -> None:
    watcher = Watcher(page)
    page.goto(site.url + "/", wait_until="networkidle")
    page.fill("#q", "rollout restart")
    page.select_option("#severity", "info")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 2  # the approval and the executed command
    assert PLANTED in rows.first.inner_text()
    page.locator("#results tbody tr", has_text="command.executed").locator("td.summary a").click()
    page.wait_for_load_state("networkidle")
    assert PLANTED in page.locator("#event-json").inner_text()
    assert "deployment.apps/payments-api restarted" in page.locator("#event-json").inner_text()
    page.click("text=The line exactly as stored")
    assert '"integrity":{"seq":' in page.locator("#stored-line").inner_text()
    page.click("text=Open session timeline")
    page.wait_for_load_state("networkidle")
    assert PLANTED in page.locator("#timeline").inner_text()
    assert not watcher.take()


def test_paging_older_events_continues_where_the_page_ended(site: Site, page: Any) -> None:
    page.goto(site.url + "/?limit=10", wait_until="networkidle")
    first = page.locator("#results tbody tr td:first-child").all_inner_texts()
    page.click("#older")
    page.wait_for_load_state("networkidle")
    second = page.locator("#results tbody tr td:first-child").all_inner_texts()
    assert len(first) == len(second) == 10
    assert max(second) <= min(first)  # newest first, and older on the next page


def test_session_timeline_shows_the_recorded_claude_run_in_order(site: Site, page: Any) -> None:
    """Prompt, then the approved Bash call with its command and output, then the answer;
    model requests with their tokens; gaps and hidden plumbing said."""
    watcher = Watcher(page)
    page.goto(site.url + f"/sessions/{CLAUDE_SESSION}", wait_until="networkidle")
    entries = page.locator("#timeline li.tl-entry")
    texts = entries.all_inner_texts()
    kinds = [entries.nth(i).get_attribute("data-kind") for i in range(entries.count())]
    prompt = next(i for i, t in enumerate(texts) if CLAUDE_PROMPT in t)
    call = next(i for i, t in enumerate(texts) if "echo BEACON_MARKER" in t and kinds[i] == "call")
    answer = next(i for i, t in enumerate(texts) if CLAUDE_ANSWER in t)
    assert prompt < call < answer
    assert "approval: accept" in texts[call]
    assert "BEACON_MARKER" in texts[call].split("echo BEACON_MARKER", 1)[1]  # the output
    requests = [t for t, k in zip(texts, kinds, strict=True) if k == "model"]
    assert requests and all("12 in → 20 out tokens" in t for t in requests)
    assert page.locator(".tl-gap").count() >= 1  # the hook events arrived later than OTLP
    assert "plumbing event" in page.locator("main").inner_text()
    shown = len(texts)
    page.click("text=show everything")
    page.wait_for_load_state("networkidle")
    assert page.locator("#timeline li.tl-entry").count() > shown
    assert not watcher.take()


def test_a_denied_approval_and_a_failed_command_are_marked(site: Site, page: Any) -> None:
    page.goto(site.url + "/sessions/3e9a51c7", wait_until="networkidle")
    denied = page.locator("#timeline li.is-error", has_text="git push origin HEAD:main")
    assert denied.count() == 1 and "approval: reject" in denied.inner_text()
    page.goto(site.url + "/sessions/5b9e0c44", wait_until="networkidle")
    failed = page.locator("#timeline li.is-error", has_text="kubectl rollout status")
    assert failed.count() == 1 and "exit 1" in failed.inner_text()
    assert "timed out waiting" in failed.inner_text()


def _painted(tab: Any, selector: str) -> int:
    """How many pixels of a canvas are not transparent."""
    script = """(canvas) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
        return painted;
    }"""
    return int(tab.locator(selector).evaluate(script))


def test_charts_render_non_empty(site: Site, page: Any) -> None:
    watcher = Watcher(page)
    page.goto(site.url + "/tokens?days=0", wait_until="networkidle")
    for kind in ("tokens-per-day", "cost-per-day", "tokens-by-model", "tokens-by-harness"):
        selector = f"canvas[data-chart={kind}]"
        page.wait_for_selector(f"{selector}[data-rendered=true]")
        assert _painted(page, selector) > 2_000, kind
    page.goto(site.url + "/", wait_until="networkidle")
    page.wait_for_selector("canvas[data-chart=events-per-day][data-rendered=true]")
    assert _painted(page, "canvas[data-chart=events-per-day]") > 2_000
    assert not watcher.take()


def test_inventory_findings_and_health_show_their_content(site: Site, page: Any) -> None:
    page.goto(site.url + "/inventory", wait_until="networkidle")
    servers = page.locator("#mcp-servers tbody tr")
    assert servers.count() > 10
    assert page.locator("#mcp-servers .badge", has_text="inline secret").count() > 0
    assert page.locator("#runtimes", has_text="claude_code").count() == 1
    page.goto(site.url + "/findings", wait_until="networkidle")
    assert page.locator("#findings .finding").count() >= 1
    page.goto(site.url + "/health", wait_until="networkidle")
    chain = page.locator("#chain").inner_text()
    assert chain.count("intact") == 2 and "DAMAGED" not in chain
    assert "runtime.jsonl" in page.locator("#files").inner_text()


def test_empty_log_pages_load_cleanly_with_empty_states(
    empty_site: Site, page: Any, shots: Path
) -> None:
    watcher = Watcher(page)
    expected = {
        "/": "No events yet",
        "/sessions": "No sessions yet",
        "/tokens": "No token use recorded",
        "/inventory": "No inventory yet",
        "/findings": "No findings",
        "/health": "No log files",
    }
    for path, text in expected.items():
        page.goto(empty_site.url + path, wait_until="networkidle")
        assert text in page.locator("main").inner_text(), path
        assert not watcher.take(), path
    photograph(page, shots, "empty-health")
