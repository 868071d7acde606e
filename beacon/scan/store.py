"""Where rules come from: the user's rule store (`~/.beacon/rules`) before the baseline pack.

`beacon rules add` copies a validated rule into the store as `<id>.rule.yaml` (0600, the
store 0700); a stored rule with a baseline rule's id replaces that baseline rule.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from beacon.errors import UsageError
from beacon.scan.engine import run_fixtures
from beacon.scan.rules import RULE_SUFFIX, Pack, Rule, RuleError, load_pack, maturity_problems

STORE_ENV = "BEACON_RULES_DIR"


def store_dir() -> Path:
    """The user rule store: `$BEACON_RULES_DIR`, else `~/.beacon/rules`."""
    explicit = os.environ.get(STORE_ENV)
    return Path(explicit).expanduser() if explicit else Path("~/.beacon/rules").expanduser()


def baseline_dir() -> Path:
    """The baseline pack shipped in the package."""
    return Path(str(resources.files("beacon.scan").joinpath("rules")))


def default_sources() -> list[Path]:
    """The store (when it exists) and then the baseline."""
    store = store_dir()
    return [store, baseline_dir()] if store.is_dir() else [baseline_dir()]


def load_sources(explicit: list[Path] | None) -> Pack:
    """Rules from `--rules` paths, or the store over the baseline."""
    if explicit:
        return load_pack(explicit)
    return load_pack(default_sources(), shadow=True)


def check_rule(rule: Rule) -> list[str]:
    """Maturity problems of `rule` after running its fixtures (empty: fine to use)."""
    results = {name: want == got for name, (want, got) in run_fixtures(rule).items()}
    return list(maturity_problems(rule, results))


def add(source: Path, *, force: bool = False) -> list[Rule]:
    """Validate the rules at `source` and copy them into the store; returns them."""
    pack = load_pack([source])
    pack.raise_first()
    if not pack.rules:
        raise UsageError(f"no *{RULE_SUFFIX} rules at {source}")
    for rule in pack.rules:
        problems = check_rule(rule)
        if problems:
            raise RuleError(rule.path, "; ".join(problems), rule.id)
    store = store_dir()
    store.mkdir(mode=0o700, parents=True, exist_ok=True)
    for rule in pack.rules:
        target = store / f"{rule.id}{RULE_SUFFIX}"
        if target.exists() and not force:
            raise UsageError(f"rule {rule.id} is already in {store} (use --force to replace it)")
    for rule in pack.rules:
        _copy_private(Path(rule.path), store / f"{rule.id}{RULE_SUFFIX}")
    return pack.rules


def remove(rule_id: str) -> Path:
    """Delete rule `rule_id` from the store; returns the removed file."""
    target = store_dir() / f"{rule_id}{RULE_SUFFIX}"
    if not target.is_file():
        baseline = baseline_dir() / f"{rule_id}{RULE_SUFFIX}"
        hint = (
            " (it is a baseline rule: add a rule with the same id and status deprecated"
            " to override it)"
            if baseline.is_file()
            else ""
        )
        raise UsageError(f"no rule {rule_id!r} in {store_dir()}{hint}")
    target.unlink()
    return target


def _copy_private(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=RULE_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
