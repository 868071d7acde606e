"""Offline threat-rule scans: the `threat-rules/v1` engine, the baseline pack and SARIF.

Rules are YAML documents whose conditions are CEL expressions over one event (`match`) or
ordered steps within a session window (`correlation`); see docs/scan.md.
"""

from __future__ import annotations

from beacon.scan.engine import Engine, EventRef, Finding, ScanStats, run_fixtures, verdict
from beacon.scan.expr import ExpressionError, compile_expression
from beacon.scan.rules import Pack, Rule, RuleError, load_pack, load_rule, parse_rule

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
