"""The `beacon` command's basics: version, help, and a curated public surface."""

from __future__ import annotations

import subprocess
import sys

import beacon
import beacon.audit
import beacon.pipeline
import beacon.schema
from beacon.cli import main


def test_version_flag_prints_package_version(capsys: object) -> None:
    """`beacon --version` prints the package version and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "beacon.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"beacon {beacon.__version__}"


def test_help_lists_subcommands() -> None:
    """`beacon --help` names the main job and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "beacon.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "run" in result.stdout


def test_no_command_prints_help_and_fails() -> None:
    """Running `beacon` with no command is a usage error."""
    assert main([]) == 2


def test_public_surface_is_curated() -> None:
    """Every exported name exists and is public; no duplicate exports."""
    for module in (beacon, beacon.schema, beacon.pipeline, beacon.audit):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
            assert not name.startswith("_") or name == "__version__"
