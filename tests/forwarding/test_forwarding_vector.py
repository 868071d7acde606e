"""Generated Vector configs: schema- and topology-valid, rotation-safe, acked, buffered."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from config_validators import VectorSchema, vector_errors, vector_topology_errors

from beacon.forwarding.destination import PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.renderers import vector

VECTOR_DESTS = [name for name, d in DESTINATIONS.items() if "vector" in d.shippers]
OPTION_SETS = {
    "defaults": PackOptions(),
    "user-runtime-only": PackOptions(
        log_dir=Path("/home/alice/.beacon/endpoint/logs"),
        prefix="corp/agents",
        streams=("runtime",),
        system=False,
    ),
}


def _config(dest: str, options: PackOptions = OPTION_SETS["defaults"]) -> dict[str, Any]:
    """Render to TOML text and parse it back, so the test sees what Vector would load."""
    return tomllib.loads(vector.render_toml(DESTINATIONS[dest], options, "test"))


def test_every_destination_has_a_vector_config() -> None:
    """All 12 forwarding destinations are forwardable with Vector; query engines are not."""
    forwarding = [n for n, d in DESTINATIONS.items() if d.sql_dialect is None]
    assert len(forwarding) == 12
    assert forwarding == VECTOR_DESTS
    assert all(d.vector_sink is not None for n, d in DESTINATIONS.items() if n in forwarding)
    assert all(d.vector_sink is None for d in DESTINATIONS.values() if d.sql_dialect is not None)


@pytest.mark.parametrize("options_name", list(OPTION_SETS))
@pytest.mark.parametrize("dest", VECTOR_DESTS)
def test_vector_config_validates_against_schema_and_topology(
    dest: str, options_name: str, vector_schema: VectorSchema
) -> None:
    """Each component matches its own type in the Vector 0.54 schema; inputs resolve."""
    assert vector_errors(_config(dest, OPTION_SETS[options_name]), vector_schema) == []


def test_schema_validation_catches_typos_and_bad_enums(vector_schema: VectorSchema) -> None:
    """The validator is not vacuous: a misspelt key and an invalid strategy are reported."""
    config = _config("s3")
    config["sinks"]["s3_runtime"]["key_prefx"] = "oops/"
    config["sources"]["beacon_runtime"]["fingerprint"]["strategy"] = "inode"
    errors = vector_errors(config, vector_schema)
    assert any("key_prefx" in e for e in errors)
    assert any(e.startswith("sources.beacon_runtime") for e in errors)


def test_topology_check_reports_unknown_inputs_and_orphans() -> None:
    """A sink reading a missing component and a source feeding nothing are both errors."""
    config = _config("kafka")
    config["sinks"]["kafka_runtime"]["inputs"] = ["no_such_transform"]
    errors = vector_topology_errors(config)
    assert any("no_such_transform" in e for e in errors)
    assert any("runtime_parse feeds nothing" in e for e in errors)


@pytest.mark.parametrize("dest", VECTOR_DESTS)
def test_file_sources_follow_the_rotation_chain(dest: str) -> None:
    """Active file plus `.1`.., checksum identity, history read on first start."""
    sources = _config(dest)["sources"]
    assert set(sources) == {"beacon_runtime", "beacon_inventory"}
    for stream, name in (("runtime", "runtime.jsonl"), ("inventory", "inventory_state.jsonl")):
        source = sources[f"beacon_{stream}"]
        active = f"/var/log/beacon-agent/{name}"
        assert source["include"][0] == active
        assert f"{active}.[1-9]" in source["include"]
        assert not any(p.endswith("*") for p in source["include"])  # never the .lock file
        assert source["fingerprint"]["strategy"] == "checksum"
        assert source["read_from"] == "beginning"
        assert "ignore_older_secs" not in source


@pytest.mark.parametrize("dest", VECTOR_DESTS)
def test_every_sink_is_acked_and_disk_buffered(dest: str) -> None:
    """End-to-end acknowledgements and a blocking disk buffer on every sink."""
    sinks = _config(dest)["sinks"]
    assert len(sinks) == 3
    for sink in sinks.values():
        assert sink["acknowledgements"]["enabled"] is True
        assert sink["buffer"]["type"] == "disk"
        assert sink["buffer"]["when_full"] == "block"


@pytest.mark.parametrize("dest", VECTOR_DESTS)
def test_malformed_lines_are_rerouted_to_their_own_sink(dest: str) -> None:
    """Parsing aborts into `.dropped`, which feeds an envelope and a visible sink."""
    config = _config(dest)
    for stream in ("runtime", "inventory"):
        parse = config["transforms"][f"{stream}_parse"]
        assert parse["reroute_dropped"] is True and parse["drop_on_abort"] is True
        assert "parse_json(" in parse["source"] and ". = object!(parsed)" in parse["source"]
    envelope = config["transforms"]["malformed_envelope"]
    assert sorted(envelope["inputs"]) == ["inventory_parse.dropped", "runtime_parse.dropped"]
    assert '"raw_line": .message' in envelope["source"]
    feeding = [s for s in config["sinks"].values() if s["inputs"] == ["malformed_envelope"]]
    assert len(feeding) == 1


@pytest.mark.parametrize("dest", ["s3", "gcs"])
def test_object_stores_write_gzip_ndjson_under_per_stream_prefixes(dest: str) -> None:
    """`<prefix>/<stream>/date=%F/` with the trailing slash, gzip, newline-delimited JSON."""
    sinks = _config(dest, OPTION_SETS["defaults"])["sinks"]
    prefixes = {name: sink["key_prefix"] for name, sink in sinks.items()}
    assert prefixes == {
        f"{dest}_runtime": "beacon/runtime/date=%F/",
        f"{dest}_inventory": "beacon/inventory/date=%F/",
        f"{dest}_malformed": "beacon/malformed/date=%F/",
    }
    for sink in sinks.values():
        assert sink["compression"] == "gzip"
        assert sink["encoding"]["codec"] == "json"
        assert sink["framing"]["method"] == "newline_delimited"
        assert sink["filename_extension"] == "jsonl.gz"


def test_custom_prefix_and_stream_subset() -> None:
    """`--prefix corp/agents --streams runtime` changes keys and drops the inventory source."""
    config = _config("s3", OPTION_SETS["user-runtime-only"])
    assert set(config["sources"]) == {"beacon_runtime"}
    assert config["sources"]["beacon_runtime"]["include"][0] == (
        "/home/alice/.beacon/endpoint/logs/runtime.jsonl"
    )
    assert config["sinks"]["s3_runtime"]["key_prefix"] == "corp/agents/runtime/date=%F/"
    assert config["transforms"]["malformed_envelope"]["inputs"] == ["runtime_parse.dropped"]


def test_sentinel_uses_logs_ingestion_with_batches_under_one_megabyte() -> None:
    """`azure_logs_ingestion`, a stream per table, batch.max_bytes < 1 MB."""
    sinks = _config("sentinel")["sinks"]
    assert {s["type"] for s in sinks.values()} == {"azure_logs_ingestion"}
    assert sinks["sentinel_runtime"]["stream_name"] == "Custom-BeaconRuntime"
    assert sinks["sentinel_inventory"]["stream_name"] == "Custom-BeaconInventory"
    for sink in sinks.values():
        assert 0 < sink["batch"]["max_bytes"] < 1_000_000


def test_hec_sinks_keep_the_events_own_timestamp() -> None:
    """Splunk/LogScale take HEC time from a helper field, so `timestamp` stays in the event."""
    for dest in ("splunk-hec", "falcon-logscale"):
        config = _config(dest)
        assert (
            "._beacon_time = parse_timestamp(.timestamp"
            in config["transforms"]["runtime_parse"]["source"]
        )
        for sink in config["sinks"].values():
            assert sink["timestamp_key"] == "_beacon_time"
    splunk = _config("splunk-hec")["sinks"]["splunk_hec_runtime"]
    assert splunk["acknowledgements"]["indexer_acknowledgements_enabled"] is True
