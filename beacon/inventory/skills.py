"""Skills: folders holding a `SKILL.md` under each runtime's skill roots.

Recorded: the front matter's `name`, `description` and `allowed-tools`, the names of the
other front-matter keys, the manifest's hash, size and modified time. The instructions
(the body after the front matter) are never read into the record. Walks follow symlinks
but never enter a folder twice (loops end), stop `MAX_DEPTH` levels down, skip vendored
trees, and record at most `max_skills` skills per root (the rest are counted).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beacon.inventory.files import PARSE_FAILED, PARTIAL, file_fields, read_bytes, read_into
from beacon.inventory.fingerprint import bounded, path_hash, text_hash
from beacon.inventory.scope import Scope
from beacon.inventory.source import PROJECT, USER, SkillRoot

MANIFEST = "SKILL.md"
MAX_DEPTH = 3
MAX_DIRS_PER_ROOT = 2000
FRONT_MATTER_BYTES = 64 * 1024
DESCRIPTION_BYTES = 512
SKIP = frozenset({".git", "node_modules", "vendor", "dist", "build", "tmp", "temp", "__pycache__"})
AGENT_SKILLS = "agent_skills"


def shared_roots(scope: Scope) -> list[SkillRoot]:
    """The cross-agent roots (`~/.agents/skills`, `.agents/skills`)."""
    return [
        SkillRoot(AGENT_SKILLS, scope.home / ".agents" / "skills", USER),
        SkillRoot(AGENT_SKILLS, scope.cwd / ".agents" / "skills", PROJECT),
    ]


@dataclass
class RootScan:
    """One root's summary and its skill records."""

    root: dict[str, Any]
    skills: list[dict[str, Any]]


def scan_root(root: SkillRoot, *, max_skills: int, max_file_bytes: int) -> RootScan | None:
    """Find and record the skills under `root`; None when the root does not exist."""
    try:
        st = os.stat(root.path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    summary: dict[str, Any] = {
        "runtime": root.runtime,
        "root_path": bounded(str(root.path)),
        "root_path_hash": path_hash(root.path),
        "source_scope": root.scope,
        "skill_count": 0,
        "skills_over_limit": 0,
        "unreadable_entries": 0,
        "truncated": False,
    }
    skills: list[dict[str, Any]] = []
    seen = {(st.st_dev, st.st_ino)}
    queue: list[tuple[Path, int]] = [(root.path, 0)]
    visited = 0
    while queue:
        folder, depth = queue.pop(0)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            summary["unreadable_entries"] += 1
            continue
        for name in names:
            if name in SKIP:
                continue
            path = folder / name
            try:
                sub = os.stat(path)  # follows symlinks; a loop raises ELOOP
            except OSError:
                summary["unreadable_entries"] += int(os.path.islink(path))
                continue
            if not stat.S_ISDIR(sub.st_mode) or (sub.st_dev, sub.st_ino) in seen:
                continue
            seen.add((sub.st_dev, sub.st_ino))
            visited += 1
            if visited > MAX_DIRS_PER_ROOT:
                summary["truncated"] = True
                queue.clear()
                break
            if os.path.lexists(path / MANIFEST):
                if len(skills) >= max_skills:
                    summary["skills_over_limit"] += 1
                    summary["truncated"] = True
                    continue
                skills.append(skill_record(root, path, max_file_bytes))
            elif depth + 1 < MAX_DEPTH:
                queue.append((path, depth + 1))
    summary["skill_count"] = len(skills)
    return RootScan(summary, skills)


def skill_record(root: SkillRoot, folder: Path, max_file_bytes: int) -> dict[str, Any]:
    """The record of one skill folder; the manifest's body is hashed, never kept."""
    manifest = folder / MANIFEST
    record: dict[str, Any] = {
        "runtime": root.runtime,
        "skill_name": bounded(folder.name, 256),
        "skill_name_hash": text_hash(folder.name),
        "directory_name": bounded(folder.name, 256),
        "name_source": "directory",
        "description": None,
        "allowed_tools": [],
        "front_matter_keys": [],
        "root_path": bounded(str(root.path)),
        "root_path_hash": path_hash(root.path),
        "source_scope": root.scope,
        "manifest_path": bounded(str(manifest)),
        "manifest_path_hash": path_hash(manifest),
        **file_fields(),
        "redaction": "metadata_only",
    }
    data, st, problem = read_bytes(manifest, max_file_bytes)
    read_into(record, data, st, problem)
    if data is None:
        return record
    head = data[:FRONT_MATTER_BYTES].decode("utf-8-sig", "replace")
    front, problem = front_matter(head)
    if problem:
        record["parser_status"] = PARSE_FAILED if problem.startswith("invalid") else PARTIAL
        record["reason"] = problem
    if front:
        _apply_front_matter(record, front)
    return record


def front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(mapping, problem) of a `---` fenced YAML block at the top of `text`."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, "no front matter"
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            break
    else:
        return None, "front matter not closed"
    import yaml

    try:
        value = yaml.safe_load("\n".join(lines[1:i]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return None, f"invalid front matter{where}"
    if value is None:
        return {}, "empty front matter"
    if not isinstance(value, dict):
        return None, "invalid front matter: not a mapping"
    return value, ""


def _apply_front_matter(record: dict[str, Any], front: dict[str, Any]) -> None:
    record["front_matter_keys"] = sorted(bounded(str(k), 64) for k in front)[:32]
    name = front.get("name")
    if isinstance(name, str) and name.strip():
        record["skill_name"] = bounded(name.strip(), 256)
        record["skill_name_hash"] = text_hash(name.strip())
        record["name_source"] = "front_matter"
    description = front.get("description")
    if isinstance(description, str):
        record["description"] = bounded(" ".join(description.split()), DESCRIPTION_BYTES)
    tools = front.get("allowed-tools", front.get("allowed_tools"))
    if isinstance(tools, str):
        tools = tool_list(tools)
    if isinstance(tools, list):
        record["allowed_tools"] = [bounded(str(t).strip(), 256) for t in tools if str(t).strip()][
            :32
        ]


def tool_list(text: str) -> list[str]:
    """`Bash(git log *) Read, Grep` -> `["Bash(git log *)", "Read", "Grep"]`: split on spaces
    and commas outside parentheses."""
    tools: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and (char.isspace() or char == ","):
            if current:
                tools.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        tools.append("".join(current))
    return tools
