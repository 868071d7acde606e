"""docs/dashboard.md cannot drift: every flag, page and API route is in it, its images exist,
and the README links it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from beacon.config import load_config
from beacon.dashboard.app import create_app
from beacon.dashboard.cli import register
from beacon.dashboard.context import Dashboard

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")


def test_every_flag_is_documented() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    (dashboard,) = [
        sub
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for sub in action.choices.values()
    ]
    flags = {o for a in dashboard._actions for o in a.option_strings} - {"-h", "--help"}
    assert flags and not [f for f in sorted(flags) if f not in DOC]
    assert "--system" in DOC and "beacon endpoint dashboard" in DOC


def test_every_route_is_documented(tmp_path: Path) -> None:
    app = create_app(Dashboard(tmp_path / "logs", tmp_path / "state", load_config(None, env={})))
    paths = {
        route.resource.canonical
        for route in app.router.routes()
        if route.resource is not None and route.method == "GET"
    }
    paths -= {"/favicon.ico", "/static"}
    assert "/api/events" in paths and "/sessions/{session_id}" in paths
    documented = {p.replace("{session_id}", "{id}").replace("{id}", "ID") for p in paths}
    missing = [
        p
        for p in sorted(documented)
        if f"`{p}`" not in DOC and f"`{p.replace('ID', '{id}')}`" not in DOC and f"`{p}?" not in DOC
    ]
    assert not missing, f"undocumented in docs/dashboard.md: {missing}"


def test_images_exist_and_the_readme_links_the_page() -> None:
    images = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", DOC)
    assert len(images) >= 5
    for image in images:
        path = ROOT / "docs" / image
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    assert "docs/dashboard.md" in (ROOT / "README.md").read_text(encoding="utf-8")
