"""Offline threat-rule scans: the `threat-rules/v1` engine, the baseline pack and SARIF.

Rules are YAML documents whose conditions are CEL expressions over one event (`match`) or
ordered steps within a session window (`correlation`); see docs/scan.md. Importing this
package is cheap: the engine (and the CEL library behind it) loads on first use, so the
`beacon` command line does not pay for it unless it scans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon import lazy_names

if TYPE_CHECKING:
    from beacon.scan.engine import Engine, EventRef, Finding, ScanStats, run_fixtures, verdict
    from beacon.scan.expr import ExpressionError, compile_expression
    from beacon.scan.rules import Pack, Rule, RuleError, load_pack, load_rule, parse_rule

_HOMES = {
    "Engine": "engine",
    "EventRef": "engine",
    "Finding": "engine",
    "ScanStats": "engine",
    "run_fixtures": "engine",
    "verdict": "engine",
    "ExpressionError": "expr",
    "compile_expression": "expr",
    "Pack": "rules",
    "Rule": "rules",
    "RuleError": "rules",
    "load_pack": "rules",
    "load_rule": "rules",
    "parse_rule": "rules",
}

__all__ = [
    "Engine",
    "EventRef",
    "ExpressionError",
    "Finding",
    "Pack",
    "Rule",
    "RuleError",
    "ScanStats",
    "compile_expression",
    "load_pack",
    "load_rule",
    "parse_rule",
    "run_fixtures",
    "verdict",
]


__getattr__ = lazy_names(__name__, _HOMES)
