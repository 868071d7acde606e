"""docs/inventory.md cannot drift: every record field, source file and CLI option is named."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, Endpoint

from beacon.cli import build_parser
from beacon.config import BeaconConfig
from beacon.inventory.parts import metadata
from beacon.inventory.scope import Scope
from beacon.inventory.snapshot import collect
from beacon.inventory.sources import RUNTIMES

DOC = (REPO / "docs" / "inventory.md").read_text(encoding="utf-8")


def test_every_field_is_documented(endpoint: Endpoint) -> None:
    """Keys of heartbeat, snapshot and every record kind (with contents) appear as `key`."""
    inventory = collect(
        Scope.of(endpoint.home, endpoint.project, endpoint.env), BeaconConfig(), contents=True
    )
    meta = metadata(
        inventory,
        trigger="manual",
        trigger_harness=None,
        ttl_seconds=1,
        previous=None,
        change_reason="initial",
    )
    keys = set(meta) | set(meta["counts"]) | set(meta["posture"]) | set(inventory.user_scope)
    keys |= {"part", "parts", "user_scope", *inventory.SECTIONS}
    for section in inventory.SECTIONS:
        for record in getattr(inventory, section):
            keys |= set(record)
            keys |= set(record.get("content") or {})
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert not missing, f"undocumented in docs/inventory.md: {missing}"


def test_every_source_file_is_documented(endpoint: Endpoint) -> None:
    scope = Scope.of(endpoint.home, endpoint.project, endpoint.env, platform="linux")
    names = {source.path.name for runtime in RUNTIMES for source in runtime.config_sources(scope)}
    names = {n for n in names if not n.endswith((".ts", ".js")) or n == "beacon.ts"}
    missing = sorted(n for n in names if n not in DOC)
    assert not missing, f"source files missing from docs/inventory.md: {missing}"
    roots = {
        str(root.path.relative_to(endpoint.home if root.scope == "user" else endpoint.project))
        for runtime in RUNTIMES
        for root in runtime.skill_roots(scope)
    }
    assert all(f"{r}/" in DOC for r in roots), roots


def test_every_cli_option_is_documented() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    inventory = sub.choices["inventory"]  # type: ignore[index]
    options = {o for action in inventory._actions for o in action.option_strings} - {"-h", "--help"}
    missing = sorted(o for o in options if o not in DOC)
    assert not missing, missing


def test_readme_links_the_page() -> None:
    assert "docs/inventory.md" in (REPO / "README.md").read_text(encoding="utf-8")
    assert Path(REPO / "docs" / "inventory.md").exists()
