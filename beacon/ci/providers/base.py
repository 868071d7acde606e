"""What every CI provider module shares: reading its environment into `run` and `ci` fields.

`run` holds upstream 1.0's run fields (same names and meaning, so content built for
upstream keeps working); `ci` holds what 1.1 adds (links, refs, runner). Values are
strings; empty and missing variables leave the field out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Env = Mapping[str, str]
Fields = dict[str, Any]


def first(env: Env, *names: str) -> str:
    """The first of `names` that is set and not empty, else ""."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def compact(fields: Mapping[str, Any]) -> Fields:
    """`fields` without empty values (None, "", empty containers); False is kept."""
    return {key: value for key, value in fields.items() if value not in (None, "", {}, [])}


def is_true(value: str) -> bool:
    """A CI flag variable set to a true value (`true`, `1`, `yes`)."""
    return value.strip().lower() in ("true", "1", "yes")


def digits(value: str) -> str:
    """`value` if it is a decimal number, else "" (PR numbers must be numeric)."""
    return value if value.isdigit() else ""
