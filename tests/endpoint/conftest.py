"""Fixtures for endpoint tests: temporary homes, free ports, and service-control doubles.

Every test runs on a temporary HOME (and a temporary root for system mode); nothing here
touches the real home directory, systemctl or launchctl. The doubles live in
endpoint_harness.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from endpoint_harness import REPO, ProcessControl, RecordingControl, free_ports

from beacon.endpoint.layout import Layout
from beacon.endpoint.service import Service
from beacon.endpoint.service.systemd import systemd_service
from beacon.endpoint.settings import EndpointSettings

sys.path.insert(0, str(REPO / "tests" / "collector"))  # the real-agent harnesses


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty temporary home directory."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def empty_bin(tmp_path: Path) -> Path:
    """A PATH directory with no agent on it."""
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def layout(home: Path, empty_bin: Path) -> Layout:
    """A user-mode layout on the temporary home (PATH holds no agent)."""
    return Layout.detect(env={"HOME": str(home), "PATH": str(empty_bin)}, platform="linux")


@pytest.fixture
def settings(layout: Layout) -> EndpointSettings:
    """Settings on free ports, logging under the temporary home."""
    grpc, http = free_ports()
    return EndpointSettings(log_dir=layout.default_log_dir, grpc_port=grpc, http_port=http)


@pytest.fixture
def recording(layout: Layout) -> tuple[Service, RecordingControl]:
    """A systemd user service whose manager only records calls."""
    control = RecordingControl()
    return replace(systemd_service(layout), control=control), control


@pytest.fixture
def process_service(layout: Layout) -> Iterator[tuple[Service, ProcessControl]]:
    """A systemd user service "run" by starting its command line; stopped afterwards."""
    control = ProcessControl()
    yield replace(systemd_service(layout), control=control), control
    control.stop()
