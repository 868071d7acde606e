"""Loose-typed attribute values made usable: runtimes send numbers and booleans as strings.

Claude Code sends `success: "true"` and `duration_ms: "58"`, Codex sends int64 as strings,
Gemini sends undefined values as empty AnyValues. These helpers never raise.
"""

from __future__ import annotations

import json
import math
import sys

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from typing import Any

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})


def as_bool(value: Any) -> bool | None:
    """A boolean from a bool, number or `"true"`/`"false"` string; None when unclear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int, integral float or numeric string; None otherwise."""
    if isinstance(value, str):  # the usual case: runtimes send numbers as strings
        try:
            return int(value)  # ignores surrounding whitespace
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    return None


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric string; None otherwise."""
    if isinstance(value, str):
        try:
            number = float(value)  # ignores surrounding whitespace
        except ValueError:
            return None
    elif isinstance(value, bool):
        return float(value)
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def as_number(value: Any) -> int | float | None:
    """An int when the value is integral, else a float; None when not numeric."""
    number = as_float(value)
    if number is None:
        return None
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


def as_str(value: Any) -> str | None:
    """A non-empty string, or None (empty strings and non-strings become None)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _loads(text: str) -> Any:
    """`json.loads`, sped up by orjson when the process already uses it (the collector).

    orjson's value is used only where it is what `json` gives: it turns integers over 64
    bits into floats, so a result holding any float is decoded again by the stdlib, as is
    any text orjson refuses (NaN, lone surrogates, deep nesting). The hook path never
    imports orjson, so it stays stdlib-only.
    """
    fast = sys.modules.get("orjson")
    if fast is not None:
        try:
            value = fast.loads(text)
            if not _holds_float(value):
                return value
        except (ValueError, RecursionError):
            pass
    return json.loads(text)


def _holds_float(node: Any) -> bool:
    """Whether a decoded JSON value is or contains a float."""
    if isinstance(node, dict):
        values: Any = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return isinstance(node, float)
    for value in values:
        kind = type(value)
        if kind is float or ((kind is dict or kind is list) and _holds_float(value)):
            return True
    return False


def json_object(value: Any) -> dict[str, Any] | None:
    """Decode a JSON-string attribute holding an object (`tool_parameters`, `arguments`)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not (value[:1] == "{" or value.lstrip()[:1] == "{"):
        return None
    try:
        decoded = _loads(value)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def pick(attributes: dict[str, Any], *keys: str) -> Any:
    """The first present, non-empty value among `keys`."""
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None
