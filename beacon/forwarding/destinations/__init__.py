"""The destination registry: one module per destination, listed here in display order."""

from __future__ import annotations

from beacon.forwarding.destination import Destination
from beacon.forwarding.destinations import (
    athena,
    bigquery,
    cloudwatch,
    datadog,
    duckdb,
    elastic,
    falcon_logscale,
    gcs,
    kafka,
    rapid7,
    s3,
    sentinel,
    splunk_hec,
    sumo,
    wazuh,
)

DESTINATIONS: dict[str, Destination] = {
    module.DESTINATION.name: module.DESTINATION
    for module in (
        s3,
        gcs,
        splunk_hec,
        sentinel,
        datadog,
        elastic,
        cloudwatch,
        sumo,
        falcon_logscale,
        rapid7,
        wazuh,
        kafka,
        athena,
        bigquery,
        duckdb,
    )
}

__all__ = ["DESTINATIONS"]
