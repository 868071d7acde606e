"""Fixtures for CI-mode tests: a private HOME, RUNNER_TEMP and GitHub command files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "collector"))  # agent CLI harnesses
sys.path.insert(0, str(REPO / "tests" / "shipper"))  # object-storage servers

from ci_harness import CIJob, clean_env  # noqa: E402
from storage_servers import aws_env, gcs_bucket, gcs_emulator, moto_endpoint, s3_bucket  # noqa: E402

__all__ = ["aws_env", "gcs_bucket", "gcs_emulator", "moto_endpoint", "s3_bucket"]  # fixtures


@pytest.fixture
def job(tmp_path: Path) -> CIJob:
    """A simulated GitHub Actions job: temp HOME, RUNNER_TEMP, GITHUB_* and command files."""
    return CIJob.github(tmp_path)


@pytest.fixture
def plain_env(tmp_path: Path) -> dict[str, str]:
    """An environment outside any CI system, with a temporary HOME and TMPDIR."""
    return clean_env(tmp_path)
