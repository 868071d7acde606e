"""The README's promise: two commands, one runs the main job, one runs the tests (as CI does)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_code_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README has no sh code block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _make_target(name: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{name}:.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"Makefile has no {name} target"
    return match.group(1)


def test_quick_start_is_exactly_two_commands() -> None:
    """The first code block holds exactly `make run` and `make test`."""
    assert _first_code_block() == ["make run", "make test"]


def test_make_run_starts_the_collector_under_a_local_directory() -> None:
    """`make run` runs `beacon run` with a log directory inside the checkout."""
    recipe = _make_target("run")
    assert "beacon run --log-dir $(LOG_DIR)" in recipe
    assert re.search(r"^LOG_DIR \?= \./", (ROOT / "Makefile").read_text(), re.M)


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` calls `make test`, which runs lint and the whole pytest suite."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)
    assert "pytest" in _make_target("test")
    assert re.search(r"^test: lint$", (ROOT / "Makefile").read_text(), re.M)
