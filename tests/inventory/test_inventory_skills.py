"""Skill roots: the per-root limit, symlinks and loops, huge manifests, front matter."""

from __future__ import annotations

from pathlib import Path

import pytest

from beacon.inventory.skills import front_matter, scan_root, tool_list
from beacon.inventory.source import SkillRoot


def _skill(folder: Path, text: str = "---\nname: s\n---\nbody\n") -> None:
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(text)


def _scan(root: Path, max_skills: int = 200, max_file_bytes: int = 1 << 20):  # type: ignore[no-untyped-def]
    scan = scan_root(
        SkillRoot("claude_code", root, "user"), max_skills=max_skills, max_file_bytes=max_file_bytes
    )
    assert scan is not None
    return scan


def test_at_most_the_limit_per_root_and_the_rest_counted(tmp_path: Path) -> None:
    """250 skills, limit 200: 200 records, 50 counted, the root marked truncated."""
    for i in range(250):
        _skill(tmp_path / f"skill-{i:03d}")
    scan = _scan(tmp_path)
    assert len(scan.skills) == 200
    assert (scan.root["skill_count"], scan.root["skills_over_limit"], scan.root["truncated"]) == (
        200,
        50,
        True,
    )
    assert scan.skills[0]["directory_name"] == "skill-000"  # sorted: the same 200 every run


def test_symlinked_skills_are_followed_and_loops_end(tmp_path: Path) -> None:
    """A symlinked skill folder counts; a link to an ancestor or to itself ends the walk."""
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    _skill(elsewhere / "linked")
    root.mkdir()
    (root / "linked").symlink_to(elsewhere / "linked")
    (root / "up").symlink_to(root)  # the root again: already seen
    (root / "group").mkdir()
    (root / "group" / "back").symlink_to(root / "group")
    (root / "self").symlink_to(root / "self")  # ELOOP
    (root / "dangling").symlink_to(tmp_path / "missing")
    scan = _scan(root)
    assert [s["directory_name"] for s in scan.skills] == ["linked"]
    assert scan.root["unreadable_entries"] == 2  # the self-loop and the dangling link


def test_nested_groups_are_searched_a_few_levels_deep(tmp_path: Path) -> None:
    _skill(tmp_path / "group" / "inner")
    _skill(tmp_path / "a" / "b" / "c" / "too-deep")
    _skill(tmp_path / "node_modules" / "vendored")
    assert [s["directory_name"] for s in _scan(tmp_path).skills] == ["inner"]


def test_huge_manifest_is_not_read(tmp_path: Path) -> None:
    """A manifest over the size limit is recorded unsupported, without hash or parse."""
    _skill(tmp_path / "big", "---\nname: big\n---\n" + "x" * 5000)
    (record,) = _scan(tmp_path, max_file_bytes=1024).skills
    assert (record["parser_status"], record["reason"], record["file_sha256"]) == (
        "unsupported",
        "too_large",
        None,
    )
    assert record["size_bytes"] > 1024


def test_manifest_that_is_a_directory_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "odd" / "SKILL.md").mkdir(parents=True)
    (record,) = _scan(tmp_path).skills
    assert (record["parser_status"], record["reason"]) == ("unreadable", "is_directory")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\nname: a\ndescription: b\n---\nbody", ""),
        ("no front matter", "no front matter"),
        ("---\nname: a\n", "front matter not closed"),
        ("---\nname: [a\n---\n", "invalid front matter at line 2"),
        ("---\n- a list\n---\n", "invalid front matter: not a mapping"),
        ("---\n---\n", "empty front matter"),
    ],
)
def test_front_matter(text: str, problem: str) -> None:
    assert front_matter(text)[1] == problem


def test_description_is_bounded_and_one_line(tmp_path: Path) -> None:
    _skill(tmp_path / "s", "---\ndescription: |\n  " + "word " * 400 + "\n  more\n---\nbody\n")
    (record,) = _scan(tmp_path).skills
    assert "\n" not in record["description"]
    assert len(record["description"].encode()) <= 512
    assert record["description"].endswith("...[truncated]")


def test_tool_list_splits_outside_parentheses() -> None:
    assert tool_list("Bash(git log *) Read, Grep") == ["Bash(git log *)", "Read", "Grep"]
