"""Hook test helpers: the recorded payloads and running `beacon-hooks` as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "agents"
HOOKS_BIN = Path(sys.executable).parent / "beacon-hooks"


def recorded_payloads() -> list[tuple[str, str, bytes]]:
    """Every recorded hook payload: (platform, fixture-relative name, raw body)."""
    out: list[tuple[str, str, bytes]] = []
    for path in sorted(FIXTURES.glob("*/*/hooks/*/*")):
        platform = path.relative_to(FIXTURES).parts[0].split("-")[0]
        name = str(path.relative_to(FIXTURES))
        if path.suffix == ".jsonl":
            lines = [line for line in path.read_bytes().splitlines() if line.strip()]
            out.extend((platform, f"{name}:{i}", line) for i, line in enumerate(lines))
        else:
            out.append((platform, name, path.read_bytes()))
    return out


def run_hook(
    args: list[str], stdin: bytes, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    """Run `beacon-hooks` once, capturing stdout and stderr."""
    return subprocess.run(
        [str(HOOKS_BIN), *args], input=stdin, capture_output=True, env=env, timeout=timeout
    )
