"""Fixtures for the forwarding tests: the Vector JSON Schema (skipped only when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from beacon.forwarding.validate import VectorSchema

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTOR_SCHEMA_PATH = REPO_ROOT.parent / "shared/reference/vector-schema.json"


@pytest.fixture(scope="session")
def vector_schema() -> VectorSchema:
    """The Vector 0.54 config schema from ../shared/reference/vector-schema.json."""
    if not VECTOR_SCHEMA_PATH.exists():
        pytest.skip(
            f"Vector JSON Schema not found at {VECTOR_SCHEMA_PATH} (see destinations.md §1.8)"
        )
    return VectorSchema.load(VECTOR_SCHEMA_PATH)
