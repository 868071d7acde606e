"""Real agent CLIs from the npm registry, installed once into `.cache/` and reused.

Shared by the Claude Code and Codex CLI harnesses. CI installs `npm` (`.ci/run`), so these
never skip there; elsewhere a missing `npm` is a real missing resource and skips.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def npm_cli(package: str, version: str, command: str, cache: Path, timeout: float) -> Path:
    """The `command` binary of `package@version`, installed under `cache` on first use."""
    binary = cache / "node_modules" / ".bin" / command
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: cannot install {package} for this test")
    cache.mkdir(parents=True, exist_ok=True)
    options = ["--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(
        [npm, "install", "--prefix", str(cache), *options, f"{package}@{version}"],
        check=True,
        timeout=timeout,
    )
    assert binary.exists(), f"npm install did not produce {binary}"
    return binary
