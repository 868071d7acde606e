"""The baseline pack and upstream rule packs: every rule loads, every fixture gives its verdict."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from beacon.scan import load_pack, run_fixtures
from beacon.scan.rules import Rule, maturity_problems
from beacon.scan.store import baseline_dir

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream-rules"
BASELINE = load_pack([baseline_dir()])
UPSTREAM_PACK = load_pack([UPSTREAM])


def _fixture_cases(rules: list[Rule]) -> list[tuple[Rule, str]]:
    return [(rule, fixture.name) for rule in rules for fixture in rule.fixtures]


def test_baseline_loads_without_errors() -> None:
    """Every baseline rule validates and compiles."""
    assert BASELINE.errors == []
    assert len(BASELINE.rules) >= 25


@pytest.mark.parametrize(
    ("rule", "fixture"),
    _fixture_cases(BASELINE.rules),
    ids=[f"{r.id}/{f}" for r, f in _fixture_cases(BASELINE.rules)],
)
def test_baseline_fixture_gives_its_verdict(rule: Rule, fixture: str) -> None:
    """Each embedded fixture of each baseline rule yields the declared verdict."""
    want, got = run_fixtures(rule)[fixture]
    assert got == want


def test_baseline_rules_are_stable_with_both_verdicts() -> None:
    """All baseline rules are `stable`: a match and a no_match fixture each, all passing."""
    for rule in BASELINE.rules:
        results = {name: w == g for name, (w, g) in run_fixtures(rule).items()}
        assert rule.status == "stable", rule.id
        assert list(maturity_problems(rule, results)) == [], rule.id


def test_baseline_covers_the_threat_categories() -> None:
    """The pack spans the categories the issue asks for, with correlations among them."""
    categories = Counter(r.taxonomy.get("beacon_category") for r in BASELINE.rules)
    for category in (
        "credential-access",
        "context-exfiltration",
        "risky-command",
        "prompt-injection",
        "sensitive-edit",
        "mcp",
        "approval-abuse",
    ):
        assert categories[category] >= 1, category
    correlations = [r.id for r in BASELINE.rules if r.match is None]
    assert {"secret-read-then-egress", "secret-read-then-external-mcp"} <= set(correlations)
    assert "approval-denied-then-executed" in correlations


def test_upstream_rules_load_and_pass_their_own_fixtures_unchanged() -> None:
    """Rules copied verbatim from upstream (v1 and v1.1 `order: any`) conform."""
    assert UPSTREAM_PACK.errors == []
    assert len(UPSTREAM_PACK.rules) == len(list(UPSTREAM.glob("*.rule.yaml"))) >= 8
    for rule in UPSTREAM_PACK.rules:
        for name, (want, got) in run_fixtures(rule).items():
            assert got == want, (rule.id, name)
    orders = {r.order for r in UPSTREAM_PACK.rules if r.match is None}
    assert orders == {"sequence", "any"}


def test_store_rule_shadows_baseline_rule_with_same_id(tmp_path: Path) -> None:
    """A rule in the user store replaces the baseline rule of the same id, without an error."""
    original = (baseline_dir() / "curl-pipe-to-shell.rule.yaml").read_text()
    (tmp_path / "mine.rule.yaml").write_text(original.replace("severity: high", "severity: low"))
    pack = load_pack([tmp_path, baseline_dir()], shadow=True)
    assert pack.errors == []
    chosen = [r for r in pack.rules if r.id == "curl-pipe-to-shell"]
    assert [r.severity for r in chosen] == ["low"]


def test_duplicate_ids_in_one_pack_are_an_error(tmp_path: Path) -> None:
    """Two files with the same id in one pack: the second is reported, not silently used."""
    text = (baseline_dir() / "reverse-shell.rule.yaml").read_text()
    (tmp_path / "a.rule.yaml").write_text(text)
    (tmp_path / "b.rule.yaml").write_text(text)
    pack = load_pack([tmp_path])
    assert len(pack.rules) == 1
    assert len(pack.errors) == 1
    assert "duplicate rule id 'reverse-shell'" in pack.errors[0].message


def test_docs_list_every_baseline_rule_with_its_severity() -> None:
    """docs/scan.md's baseline table names every rule with its current severity."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "scan.md").read_text()
    for rule in BASELINE.rules:
        category = rule.taxonomy["beacon_category"]
        assert f"| `{rule.id}` | {category} | {rule.severity} |" in text, rule.id
    assert f"ships {len(BASELINE.rules)} rules" in text
