"""Filebeat and Datadog Agent configs: parse, documented options only, safe file identity."""

from __future__ import annotations

import copy

import pytest
import yaml
from config_validators import DATADOG_AGENT_OPTIONS, filebeat_errors, unknown_options

from beacon.forwarding.destination import PackOptions
from beacon.forwarding.pack import build_pack

FILEBEAT_FILES = [
    ("elastic", "filebeat.yml", "output.elasticsearch"),
    ("elastic", "filebeat-logstash.yml", "output.logstash"),
    ("kafka", "filebeat.yml", "output.kafka"),
]


@pytest.mark.parametrize(("dest", "name", "output"), FILEBEAT_FILES)
def test_filebeat_config_parses_and_uses_documented_options(
    dest: str, name: str, output: str
) -> None:
    """One output, unique filestream ids, fingerprint lowered, rotation chain in paths."""
    config = yaml.safe_load(build_pack(dest, "filebeat", PackOptions()).files[name])
    assert filebeat_errors(config) == []
    assert [k for k in config if k.startswith("output.")] == [output]
    ids = [i["id"] for i in config["filebeat.inputs"]]
    assert ids == ["beacon-runtime", "beacon-inventory"]
    for item in config["filebeat.inputs"]:
        assert item["type"] == "filestream"
        assert item["prospector"]["scanner"]["fingerprint"]["length"] < 1024
        assert any(p.endswith(".jsonl.[1-9]") for p in item["paths"])
        assert item["parsers"][0]["ndjson"]["add_error_key"] is True


def test_filebeat_check_rejects_duplicates_unknown_keys_and_default_fingerprint() -> None:
    """The checker fails on the mistakes it exists to catch."""
    config = yaml.safe_load(build_pack("elastic", "filebeat", PackOptions()).files["filebeat.yml"])
    broken = copy.deepcopy(config)
    broken["filebeat.inputs"][1]["id"] = "beacon-runtime"
    broken["filebeat.inputs"][0]["close_inactve"] = "5m"
    del broken["filebeat.inputs"][0]["prospector"]["scanner"]["fingerprint"]["length"]
    broken["output.kafka"] = {"hosts": ["x:9092"]}
    errors = "\n".join(filebeat_errors(broken))
    assert "unique" in errors
    assert "close_inactve" in errors
    assert "fingerprint length" in errors
    assert "exactly one output" in errors


def test_datadog_agent_configs_parse_and_use_documented_options() -> None:
    """Both streams tailed with the same tags as the Vector path; no API key in the files."""
    files = build_pack("datadog", "datadog-agent", PackOptions()).files
    conf = yaml.safe_load(files["conf.d/beacon.d/conf.yaml"])
    agent = yaml.safe_load(files["datadog.yaml"])
    assert unknown_options(conf, DATADOG_AGENT_OPTIONS) == []
    assert unknown_options(agent, DATADOG_AGENT_OPTIONS) == []
    assert [e["path"] for e in conf["logs"]] == [
        "/var/log/beacon-agent/runtime.jsonl",
        "/var/log/beacon-agent/inventory_state.jsonl",
    ]
    assert all(e["source"] == "beacon" and e["start_position"] == "beginning" for e in conf["logs"])
    assert agent["logs_enabled"] is True and "api_key" not in agent
    assert unknown_options({"logs": [{"type": "file", "pathh": "x"}]}, DATADOG_AGENT_OPTIONS)
