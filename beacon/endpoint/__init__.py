"""Endpoint setup: configure agents and a collector service, and check on them.

`install` and `uninstall` are transactional and recorded in a manifest; `gather`
(status), `doctor`, `discover` and `send_test_event` read the endpoint and report. The
CLI (`beacon endpoint …`, `beacon status`) is in `beacon.endpoint.cli`. Names load on
first use, so registering the CLI costs no import of the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon import lazy_names

if TYPE_CHECKING:
    from beacon.endpoint.discover import discover
    from beacon.endpoint.doctor import doctor
    from beacon.endpoint.install import InstallRequest, install
    from beacon.endpoint.layout import Layout
    from beacon.endpoint.settings import EndpointSettings
    from beacon.endpoint.status import gather, runtime_log_source, status_report
    from beacon.endpoint.testevent import send_test_event
    from beacon.endpoint.uninstall import uninstall

_WHERE = {
    "EndpointSettings": "settings",
    "InstallRequest": "install",
    "Layout": "layout",
    "discover": "discover",
    "doctor": "doctor",
    "gather": "status",
    "install": "install",
    "runtime_log_source": "status",
    "send_test_event": "testevent",
    "status_report": "status",
    "uninstall": "uninstall",
}
__all__ = [
    "EndpointSettings",
    "InstallRequest",
    "Layout",
    "discover",
    "doctor",
    "gather",
    "install",
    "runtime_log_source",
    "send_test_event",
    "status_report",
    "uninstall",
]


__getattr__ = lazy_names(__name__, _WHERE)
