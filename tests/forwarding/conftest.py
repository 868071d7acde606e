"""Fixtures for the forwarding tests: the Vector JSON Schema, vendored in tests/fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the offline validators beside us

from config_validators import VectorSchema

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTOR_SCHEMA_PATH = REPO_ROOT / "tests" / "fixtures" / "vector-schema.json"


@pytest.fixture(scope="session")
def vector_schema() -> VectorSchema:
    """The Vector 0.54 config schema (SchemaStore's; source in tests/fixtures/SOURCES.md)."""
    return VectorSchema.load(VECTOR_SCHEMA_PATH)
