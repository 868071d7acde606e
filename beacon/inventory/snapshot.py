"""Collect one inventory: runtimes, config files, MCP servers, skills, and its digest.

The digest is `sha256:` over the canonical JSON of everything in the snapshot except
volatile fields (modified times, the generation time): touching a file without changing
it does not make a new snapshot, editing it does.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from beacon.config import BeaconConfig
from beacon.inventory.contents import content_of
from beacon.inventory.detect import detect
from beacon.inventory.files import OK, PARTIAL, survey
from beacon.inventory.fingerprint import bounded, canonical_hash, path_hash
from beacon.inventory.mcp import mcp_records
from beacon.inventory.scope import Scope
from beacon.inventory.skills import scan_root, shared_roots
from beacon.inventory.source import Runtime, SkillRoot
from beacon.inventory.telemetry import ENABLED, INSTALLED
from beacon.pipeline.redact import Redactor
from beacon.schema.event import now_timestamp

VOLATILE = frozenset({"modified_at"})


@dataclass
class Inventory:
    """One collected inventory; `document()` is what `--json` prints and snapshots carry."""

    generated_at: str
    user_scope: dict[str, Any]
    runtimes: list[dict[str, Any]] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)
    mcp_servers: list[dict[str, Any]] = field(default_factory=list)
    skills: list[dict[str, Any]] = field(default_factory=list)
    skill_roots: list[dict[str, Any]] = field(default_factory=list)

    SECTIONS = ("runtimes", "configs", "mcp_servers", "skills", "skill_roots")

    def counts(self) -> dict[str, int]:
        return {
            "configs": len(self.configs),
            "mcp_servers": len(self.mcp_servers),
            "skills": len(self.skills),
            "runtimes": len(self.runtimes),
        }

    def posture(self) -> dict[str, int]:
        """How many servers carry each posture signal (the records say which)."""
        servers = self.mcp_servers
        return {
            "unpinned_packages": sum(1 for s in servers if s.get("unpinned_package")),
            "plain_http_remotes": sum(1 for s in servers if s.get("plain_http_remote")),
            "inline_secrets": sum(1 for s in servers if s.get("inline_secret")),
            "parse_failures": sum(
                1 for c in self.configs if c["parser_status"] not in (OK, PARTIAL)
            )
            + sum(1 for s in self.skills if s["parser_status"] not in (OK, PARTIAL)),
        }

    @property
    def digest(self) -> str:
        """`sha256:` over the stable content; equal inventories have equal digests."""
        return canonical_hash(
            {
                "user_scope": self.user_scope,
                **{name: [_stable(r) for r in getattr(self, name)] for name in self.SECTIONS},
            }
        )

    def document(self) -> dict[str, Any]:
        """The whole inventory as one JSON-ready mapping."""
        return {
            "generated_at": self.generated_at,
            "snapshot_digest": self.digest,
            "counts": self.counts(),
            "posture": self.posture(),
            "user_scope": self.user_scope,
            **{name: getattr(self, name) for name in self.SECTIONS},
        }


def _stable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


def user_scope(scope: Scope) -> dict[str, Any]:
    """Whose inventory: the home and working directories (paths and hashes)."""
    return {
        "mode": "current_user",
        "home_path": bounded(str(scope.home)),
        "home_hash": path_hash(scope.home),
        "working_dir": bounded(str(scope.cwd)),
        "working_dir_hash": path_hash(scope.cwd),
    }


def collect(
    scope: Scope,
    config: BeaconConfig,
    *,
    contents: bool | None = None,
    runtimes: tuple[Runtime, ...] | None = None,
) -> Inventory:
    """Survey the files, detect runtimes, record servers and skills: one inventory."""
    if runtimes is None:
        from beacon.inventory.sources import RUNTIMES

        runtimes = RUNTIMES
    settings = config.inventory
    with_contents = settings.contents if contents is None else contents
    redactor = Redactor(config.redaction.patterns, config.redaction.allowlist)
    found = survey(scope, list(runtimes), settings.max_file_bytes)
    inventory = Inventory(now_timestamp(), user_scope(scope))
    detected = detect(found, runtimes, settings.version_timeout)
    inventory.runtimes = [_runtime_record(asdict(d)) for d in detected]
    by_name = {r.name: r for r in runtimes}
    for parsed in found.files:
        record = parsed.record
        if parsed.document is not None:
            block = by_name[parsed.source.runtime].mcp_entries(parsed.source, parsed.document)
            servers = mcp_records(parsed.source, block, redactor)
            inventory.mcp_servers.extend(servers)
            record["mcp_server_count"] = len(servers)
            if block.problems and record["parser_status"] == OK:
                record["parser_status"] = PARTIAL
                record["reason"] = bounded("; ".join(block.problems), 256)
        record["beacon_managed"] = _beacon_managed(parsed.source.runtime, inventory.runtimes)
        if with_contents:
            limit = min(settings.max_content_bytes, config.limits.nested_field_bytes)
            content = content_of(parsed, redactor, limit)
            if content is not None:
                record["content"] = content
                record["redaction"] = "redacted"
        inventory.configs.append(record)
    _scan_skills(inventory, scope, runtimes, settings.max_skills_per_root, settings.max_file_bytes)
    redactor.redact_event(inventory.__dict__)  # names and descriptions are user text too
    return inventory


def _runtime_record(detected: dict[str, Any]) -> dict[str, Any]:
    detected["config_paths"] = [bounded(p) for p in detected["config_paths"]]
    detected["telemetry_detail"] = bounded(detected["telemetry_detail"], 512)
    return detected


def _beacon_managed(runtime: str, runtimes: list[dict[str, Any]]) -> bool:
    """A runtime's files count as Beacon-managed when its telemetry points at this machine's
    collector or its hooks run `beacon-hooks`."""
    for record in runtimes:
        if record["name"] == runtime:
            return bool(record["telemetry"] == ENABLED or record["hooks"] == INSTALLED)
    return False


def _scan_skills(
    inventory: Inventory,
    scope: Scope,
    runtimes: tuple[Runtime, ...],
    max_skills: int,
    max_file_bytes: int,
) -> None:
    roots: list[SkillRoot] = [root for r in runtimes for root in r.skill_roots(scope)]
    roots += shared_roots(scope)
    seen: set[str] = set()
    for root in roots:
        key = f"{root.runtime}:{_real(root.path)}"
        if key in seen:  # the working directory is the home: one root, user scope
            continue
        seen.add(key)
        scan = scan_root(root, max_skills=max_skills, max_file_bytes=max_file_bytes)
        if scan is not None:
            inventory.skill_roots.append(scan.root)
            inventory.skills.extend(scan.skills)


def _real(path: Path) -> str:
    try:
        return str(os.path.realpath(path))
    except (OSError, ValueError):
        return str(path)
