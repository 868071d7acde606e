"""docs/audit.md cannot drift: every flag, CSV column, damage kind and key variable is in it,
and its third-party verification recipe checks real lines."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from chained_logs import KEY_HEX, all_lines
from conftest import WriteLog

from beacon.audit.cli import register
from beacon.audit.formats import CSV_COLUMNS
from beacon.audit.verify import Damage
from beacon.logfiles.chain import GENESIS, KEY_ENV, KEY_FILE_ENV, ChainKey

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    found = {o for a in parser._actions for o in a.option_strings if o.startswith("-")}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _flags(sub)
    return found - {"-h", "--help"}


def test_every_flag_column_damage_kind_and_key_variable_is_documented() -> None:
    """`beacon verify` / `beacon logs …` flags, CSV columns, kinds, env vars, README link."""
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    missing = [flag for flag in sorted(_flags(parser)) if flag not in DOC]
    missing += [c for c in CSV_COLUMNS if f"`{c}`" not in DOC]
    missing += [k.value for k in Damage if f"| `{k.value}` |" not in DOC]
    missing += [v for v in (KEY_ENV, KEY_FILE_ENV) if v not in DOC]
    assert not missing, f"undocumented in docs/audit.md: {missing}"
    columns = re.search(r"\*\*CSV columns\*\*.*?:\s*(.*?)\. Text cells", DOC, re.S)
    assert columns is not None
    assert re.findall(r"`([^`]+)`", columns.group(1)) == list(CSV_COLUMNS)  # in order
    assert "docs/audit.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_documented_recipe_verifies_plain_and_keyed_lines(write_log: WriteLog) -> None:
    """The Python snippet in the doc, run as printed, accepts every line of real chains."""
    block = re.search(r"```python\n(.*?def check.*?)```", DOC, re.S)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(block.group(1), namespace)
    check = namespace["check"]
    for key in (None, ChainKey.from_hex(KEY_HEX, "doc")):
        prev = GENESIS
        for line in all_lines(write_log(5, key=key)):
            prev = check(line, prev, key.secret if key else None)  # type: ignore[operator]
