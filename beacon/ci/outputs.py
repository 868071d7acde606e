"""What a CI step hands to later steps: GitHub's command files and shell exports.

GitHub Actions reads `$GITHUB_ENV` (variables for later steps), `$GITHUB_OUTPUT` (step
outputs) and `$GITHUB_STEP_SUMMARY` (Markdown on the run page). Values are written in the
multi-line form with a random delimiter, so no value can end the block early or inject
another variable. Other CI systems get `export` lines for `eval`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

from beacon.errors import CIError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def command_file_block(values: Mapping[str, str]) -> str:
    """`NAME<<DELIM` / value / `DELIM` for each pair (the format of GITHUB_ENV/OUTPUT)."""
    out = []
    for name, value in values.items():
        if not _NAME.match(name):
            raise CIError(f"invalid variable or output name {name!r}")
        delimiter = f"BEACON_CI_{os.urandom(8).hex()}"
        while delimiter in value:  # practically never; keeps the block unambiguous
            delimiter = f"BEACON_CI_{os.urandom(8).hex()}"
        out.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(out)


def append_command_file(path: str | Path | None, values: Mapping[str, str]) -> bool:
    """Append `values` to a GitHub command file; False when there is none (not GitHub)."""
    if not path or not values:
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(command_file_block(values))
    except OSError as exc:
        raise CIError(f"cannot write {path}: {exc.strerror}") from None
    return True


def append_text(path: str | Path | None, text: str) -> bool:
    """Append `text` (e.g. Markdown to `$GITHUB_STEP_SUMMARY`); False when there is no file."""
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise CIError(f"cannot write {path}: {exc.strerror}") from None
    return True


def shell_exports(values: Mapping[str, str], unset: Iterable[str] = ()) -> str:
    """POSIX shell lines that make these changes: `export NAME='value'`, `unset NAME`."""
    lines = [f"unset {name}" for name in sorted(unset)]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    return "".join(line + "\n" for line in lines)
