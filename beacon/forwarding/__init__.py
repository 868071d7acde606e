"""Forwarder config generator: content packs for Vector, Filebeat and the Datadog Agent,
and query packs (tables + starter queries) for Athena, BigQuery and DuckDB.

Destinations are data (`beacon.forwarding.destinations`, one module each); each shipper has
one renderer (`beacon.forwarding.renderers`; `sql` for the query engines, whose spelling
lives in a `SqlDialect`). `build_pack` composes them, `write_pack` writes the result;
`beacon.forwarding.validate` checks generated configs offline.
"""

from __future__ import annotations

from beacon.forwarding.catalog import catalog
from beacon.forwarding.destination import SHIPPERS, Destination, PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.pack import Pack, build_pack, write_pack

__all__ = [
    "DESTINATIONS",
    "SHIPPERS",
    "Destination",
    "Pack",
    "PackOptions",
    "build_pack",
    "catalog",
    "write_pack",
]
