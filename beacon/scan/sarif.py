"""Findings as SARIF 2.1.0, for code-scanning uploads (one result per finding).

Each rule becomes a `reportingDescriptor` with its title, reason, taxonomy (as tags and
properties) and a `security-severity` score, which is how GitHub code scanning ranks
security alerts. Findings concern agent sessions, not source lines, so each result is
located at the log file with the session and event ids as logical locations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from beacon._version import __version__
from beacon.scan.engine import Finding
from beacon.scan.rules import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"info": "note", "low": "note", "medium": "warning", "high": "error", "critical": "error"}
SECURITY_SEVERITY = {"info": "0.0", "low": "3.0", "medium": "5.0", "high": "8.0", "critical": "9.5"}


def _descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["security", *(f"{k}:{v}" for k, v in sorted(rule.taxonomy.items()))]
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": (rule.description or rule.reason).strip()},
        "help": {"text": rule.reason},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity,
            "status": rule.status,
            "posture": rule.posture,
            "version": rule.version,
            "taxonomy": dict(rule.taxonomy),
        },
    }


def to_sarif(rules: Iterable[Rule], findings: Iterable[Finding], log_uri: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of Beacon's scan."""
    ordered = list(rules)
    index = {rule.id: i for i, rule in enumerate(ordered)}
    results = []
    for finding in findings:
        rule = finding.rule
        first = finding.events[0]
        fingerprint = f"{rule.id}:{finding.session_id}:{first.id or first.timestamp}"
        ids = ", ".join(e.id or e.timestamp for e in finding.events)
        results.append(
            {
                "ruleId": rule.id,
                "ruleIndex": index[rule.id],
                "level": LEVELS[rule.severity],
                "message": {
                    "text": f"{rule.reason} (session {finding.session_id or '-'}; events {ids})"
                },
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": log_uri}},
                        "logicalLocations": [
                            {"name": finding.session_id or "-", "kind": "module"},
                        ],
                    }
                ],
                "partialFingerprints": {"beaconFinding/v1": fingerprint},
                "properties": {
                    "session_id": finding.session_id,
                    "events": [e.as_dict() for e in finding.events],
                },
            }
        )
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Agent Beacon",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(rule) for rule in ordered],
                    }
                },
                "results": results,
            }
        ],
    }
