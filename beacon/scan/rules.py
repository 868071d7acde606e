"""Threat-rule documents (`threat-rules/v1`, `v1.1`): read, validate, compile, gate maturity.

A rule file is YAML checked against the format's JSON Schema (vendored unchanged in
`schema/threat-rules-v1.schema.json`, extended here with the two v1.1 keys `spec` and
`correlation.order`), then every CEL expression is checked against the schema 1.1 fields
and compiled. Loading a pack collects every problem instead of stopping at the first, so
`beacon rules lint` can report them all.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from beacon.errors import BeaconError
from beacon.scan.expr import ExpressionError, Predicate, compile_expression
from beacon.schema import Severity

RULE_SUFFIX = ".rule.yaml"
SUPPORTED_SPEC = "threat-rules/v1.1"
SEVERITIES = tuple(s.value for s in Severity)
_SPEC = re.compile(r"^threat-rules/v(\d+)(?:\.(\d+))?$")


class RuleError(BeaconError):
    """A rule file that cannot be loaded: names the file and what to fix."""

    exit_code = 2

    def __init__(self, path: str, message: str, rule_id: str = "") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.rule_id = rule_id


class _Yaml12Loader(yaml.SafeLoader):
    """YAML with 1.2 scalars, as Go's yaml.v3 reads rules: `yes`/`on` stay strings and
    unquoted timestamps stay strings."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@cache
def rule_schema() -> dict[str, Any]:
    """The format's JSON Schema with the v1.1 additions (`spec`, `correlation.order`)."""
    text = (
        resources.files("beacon.scan")
        .joinpath("schema/threat-rules-v1.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = copy.deepcopy(json.loads(text))
    schema["properties"]["spec"] = {"type": "string", "pattern": _SPEC.pattern}
    schema["properties"]["correlation"]["properties"]["order"] = {
        "type": "string",
        "enum": ["sequence", "any"],
    }
    return schema


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string (`120s`, `5m`, `1h30m`, `1.5h`, `300ms`)."""
    body = text.strip()
    sign = 1.0
    if body[:1] in "+-":
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        m = _DURATION.match(body, pos)
        if m is None:
            raise ValueError(f"invalid duration {text!r} (Go syntax: 90s, 5m, 1h30m)")
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    return sign * total


@dataclass(frozen=True)
class Fixture:
    """An embedded conformance test: events in order and the verdict they must give."""

    name: str
    verdict: str
    events: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Step:
    """One correlation step."""

    id: str
    predicate: Predicate


@dataclass
class Rule:
    """A validated, compiled rule."""

    id: str
    version: int
    title: str
    severity: str
    status: str
    posture: str
    reason: str
    path: str
    description: str = ""
    taxonomy: dict[str, str] = field(default_factory=dict)
    match: Predicate | None = None
    steps: tuple[Step, ...] = ()
    window: float = 0.0
    order: str = "sequence"
    fixtures: tuple[Fixture, ...] = ()
    spec: str = "threat-rules/v1"
    document: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def rank(self) -> int:
        """Severity as a number, `info` = 0 … `critical` = 4."""
        return SEVERITIES.index(self.severity)

    @property
    def predicates(self) -> tuple[Predicate, ...]:
        """Every compiled expression of the rule."""
        return (self.match,) if self.match is not None else tuple(s.predicate for s in self.steps)


def severity_rank(name: str) -> int:
    """`info` = 0 … `critical` = 4; raises `ValueError` for other names."""
    try:
        return SEVERITIES.index(name)
    except ValueError:
        raise ValueError(f"unknown severity {name!r} (one of {', '.join(SEVERITIES)})") from None


def _spec_version(spec: str) -> tuple[int, int]:
    m = _SPEC.match(spec)
    assert m is not None  # the schema's pattern checked it
    return int(m.group(1)), int(m.group(2) or 0)


def parse_rule(text: str, path: str) -> Rule:
    """Validate and compile one rule document; raises `RuleError` naming the problem."""
    try:
        doc = yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RuleError(path, f"not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise RuleError(path, "a rule file holds one YAML mapping")
    rule_id = str(doc.get("id", ""))
    _validate_structure(doc, path, rule_id)
    spec = doc.get("spec", "threat-rules/v1")
    if _spec_version(spec) > _spec_version(SUPPORTED_SPEC):
        raise RuleError(
            path, f"requires {spec}; this Beacon supports up to {SUPPORTED_SPEC}", rule_id
        )
    rule = Rule(
        id=rule_id,
        version=doc["version"],
        title=doc["title"],
        severity=doc["severity"],
        status=doc["status"],
        posture=doc["posture"],
        reason=doc["emit"]["reason"],
        path=path,
        description=doc.get("description", "") or "",
        taxonomy=dict(doc.get("taxonomy") or {}),
        fixtures=tuple(Fixture(t["name"], t["verdict"], tuple(t["events"])) for t in doc["tests"]),
        spec=spec,
        document=doc,
    )
    if "match" in doc:
        rule.match = _compile(doc["match"], path, "match", rule_id)
        return rule
    corr = doc["correlation"]
    try:
        rule.window = parse_duration(corr["window"])
    except ValueError as exc:
        raise RuleError(path, f"correlation.window: {exc}", rule_id) from None
    if rule.window <= 0:
        raise RuleError(path, "correlation.window must be positive", rule_id)
    rule.order = corr.get("order", "sequence")
    rule.steps = tuple(
        Step(step["id"], _compile(step["match"], path, f"correlation.steps[{i}]", rule_id))
        for i, step in enumerate(corr["steps"])
    )
    return rule


_validator: Callable[[Any], Any] | None = None


def _validate_structure(doc: dict[str, Any], path: str, rule_id: str) -> None:
    """The rule against the format's JSON Schema (compiled once with `fastjsonschema`, which
    keeps `jsonschema`, a test tool here, out of the product)."""
    import fastjsonschema

    global _validator
    if _validator is None:
        _validator = fastjsonschema.compile(rule_schema())
    try:
        _validator(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = ".".join(str(p) for p in (exc.path or [])[1:]) or "(rule)"
        raise RuleError(path, f"{where}: {exc.message.removeprefix('data.')}", rule_id) from None


def _compile(source: str, path: str, where: str, rule_id: str) -> Predicate:
    try:
        return compile_expression(source)
    except ExpressionError as exc:
        raise RuleError(path, f"{where}: {exc}", rule_id) from None


def load_rule(path: Path) -> Rule:
    """Read, validate and compile one rule file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RuleError(str(path), "not UTF-8 text") from None
    return parse_rule(text, str(path))


def rule_files(root: Path) -> list[Path]:
    """`*.rule.yaml` files under `root` (or `root` itself), sorted; skips `._` droppings."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise RuleError(str(root), "no such rule file or directory")
    return sorted(
        p for p in root.rglob(f"*{RULE_SUFFIX}") if p.is_file() and not p.name.startswith("._")
    )


@dataclass
class Pack:
    """Rules loaded from one or more places, with every load problem kept."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)

    def raise_first(self) -> None:
        """Raise the first load problem, if any (scans refuse a broken pack)."""
        if self.errors:
            raise self.errors[0]


def load_pack(sources: Iterable[Path], *, shadow: bool = False) -> Pack:
    """Every rule under `sources`. Duplicate ids are an error, unless `shadow`: then the
    first source holding an id wins (the user store before the baseline)."""
    pack = Pack()
    seen: dict[str, tuple[int, str]] = {}
    for index, source in enumerate(sources):
        try:
            paths = rule_files(source)
        except RuleError as exc:
            pack.errors.append(exc)
            continue
        for path in paths:
            try:
                rule = load_rule(path)
            except RuleError as exc:
                pack.errors.append(exc)
                continue
            if rule.id in seen:
                first_index, first_path = seen[rule.id]
                if shadow and first_index != index:
                    continue
                pack.errors.append(
                    RuleError(str(path), f"duplicate rule id {rule.id!r} (also in {first_path})")
                )
                continue
            seen[rule.id] = (index, str(path))
            pack.rules.append(rule)
    return pack


def maturity_problems(rule: Rule, results: dict[str, bool]) -> Iterator[str]:
    """What `rule`'s status demands that it lacks; `results` maps fixture name → passed."""
    if rule.status == "deprecated":
        return
    if not rule.fixtures:
        yield f"status {rule.status} needs at least one fixture"
    if rule.status == "stable":
        verdicts = {f.verdict for f in rule.fixtures}
        if "match" not in verdicts:
            yield "status stable needs at least one `match` fixture"
        if "no_match" not in verdicts:
            yield "status stable needs at least one `no_match` fixture"
        failed = [name for name, ok in results.items() if not ok]
        if failed:
            yield "status stable needs every fixture to pass; failing: " + ", ".join(failed)
