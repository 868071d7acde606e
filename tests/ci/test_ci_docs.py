"""docs/ci.md cannot drift: every `beacon ci` option, action input and output, and every
`BEACON_CI_*` variable the code reads or sets is documented; the README links the page."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from beacon.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_ci_subcommand_and_option_is_documented() -> None:
    """Each `beacon ci` subcommand has a section; each of its long options is named."""
    ci = _subparsers(build_parser())["ci"]
    commands = _subparsers(ci)
    assert set(commands) == {"exec", "start", "finish", "validate"}
    for name, parser in commands.items():
        assert f"### `beacon ci {name}" in DOC, name
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in DOC, (name, option)


def test_every_action_input_and_output_is_documented() -> None:
    """The action's inputs and outputs each have a row in the action's tables."""
    spec = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    for name in [*spec["inputs"], *spec["outputs"]]:
        assert f"| `{name}` |" in DOC, name


def test_every_beacon_ci_variable_is_documented() -> None:
    """Every `BEACON_CI_*` name in the code and the action appears in the page."""
    sources = [*sorted((REPO / "beacon" / "ci").rglob("*.py")), REPO / "action.yml"]
    names = set()
    for path in sources:
        names |= set(re.findall(r"BEACON_CI_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")))
    names.discard("BEACON_CI_COMMAND")  # the action's internal hand-over of `command`
    assert names
    undocumented = sorted(name for name in names if name not in DOC)
    assert not undocumented


def test_readme_links_the_ci_page() -> None:
    """README's Documentation list names docs/ci.md."""
    assert "(docs/ci.md)" in (REPO / "README.md").read_text(encoding="utf-8")
