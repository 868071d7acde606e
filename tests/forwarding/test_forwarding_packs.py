"""Content packs: every file present and parseable, samples valid, no secret literal anywhere."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from beacon.errors import UsageError
from beacon.forwarding.destination import PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.pack import Pack, build_pack, referenced_env, write_pack
from beacon.forwarding.reference import reference_files
from beacon.forwarding.renderers.filebeat import FINGERPRINT_LENGTH
from beacon.forwarding.samples import sample_events

PAIRS = [(d.name, s) for d in DESTINATIONS.values() for s in d.shippers]

# A key that names a credential, then a value that is not a ${ENV} reference.
_SECRET_KEY = re.compile(
    r"""(?ix)["']?\b(token|default_token|password|secret|client_secret|azure_client_secret
    |api_key|default_api_key|apikey|access_key_id|secret_access_key|session_token)\b["']?
    \s*[:=]\s*(?P<value>[^\s,}\]]+)"""
)
_SECRET_SHAPES = [
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"xox[abprs]-[0-9A-Za-z-]{10,}"),  # Slack-style tokens
    re.compile(r"\b[0-9a-f]{32}\b"),  # Datadog API keys are 32 hex chars
]


def secret_literals(text: str) -> list[str]:
    """Credential-looking literals: a secret key with a non-`${ENV}` value, or a known key shape."""
    found = []
    for match in _SECRET_KEY.finditer(text):
        value = match.group("value").strip("\"'")
        if not value.startswith("${") and not value.startswith("$") and value not in ("", "null"):
            found.append(match.group(0))
    for shape in _SECRET_SHAPES:
        found += shape.findall(text)
    return found


def _all_packs() -> list[Pack]:
    return [build_pack(dest, shipper, PackOptions()) for dest, shipper in PAIRS]


def test_secret_scan_catches_planted_literals() -> None:
    """The scanner is not vacuous: literal tokens, keys and passwords are reported."""
    assert secret_literals('default_token = "abc123"')
    assert secret_literals("password: hunter2")
    assert secret_literals('"azure_client_secret": "s3cr3t"')
    assert secret_literals("aws_key AKIAABCDEFGHIJKLMNOP")
    assert not secret_literals('default_token = "${SPLUNK_HEC_TOKEN}"')


def test_no_secret_literal_in_any_generated_file() -> None:
    """Every pack file and every checked-in reference config holds secrets only as ${ENV}."""
    texts = {
        f"{p.destination.name}/{p.shipper}/{rel}": t
        for p in _all_packs()
        for rel, t in p.files.items()
    }
    texts.update({f"vector-configs/{rel}": t for rel, t in reference_files().items()})
    leaks = {name: secret_literals(text) for name, text in texts.items()}
    assert {name: found for name, found in leaks.items() if found} == {}


@pytest.mark.parametrize(("dest", "shipper"), PAIRS)
def test_pack_has_config_readme_samples_and_smoke_test(dest: str, shipper: str) -> None:
    """Each pack carries its config, README (with every env var it reads) and smoke test."""
    pack = build_pack(dest, shipper, PackOptions())
    assert {"README.md", "sample-event.jsonl", "smoke-test.sh"} <= set(pack.files)
    config_names = {
        "vector": {"vector.toml"},
        "filebeat": {"filebeat.yml"},
        "datadog-agent": {"conf.d/beacon.d/conf.yaml", "datadog.yaml"},
        "sql": {"tables.sql", "queries.sql"},
    }[shipper]
    assert config_names <= set(pack.files)
    readme = pack.files["README.md"]
    for section in (
        "## Setup",
        "## Environment variables",
        "## Destination-side setup",
        "## How this config avoids loss",
        "## Smoke test",
    ):
        assert section in readme
    env = referenced_env({k: v for k, v in pack.files.items() if k != "README.md"})
    assert env, "every pack reads at least one env var"
    declared = {v.name for v in DESTINATIONS[dest].env}
    for name in env:
        assert name in declared, f"{name} is read but not declared by the destination"
        assert f"`{name}`" in readme
    assert pack.files["smoke-test.sh"].startswith("#!/usr/bin/env bash\n")


@pytest.mark.parametrize(("dest", "shipper"), PAIRS)
def test_smoke_test_is_valid_bash(dest: str, shipper: str, tmp_path: Path) -> None:
    """`bash -n` parses the script; it reads secrets from the environment only."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not installed")
    script = tmp_path / "smoke-test.sh"
    script.write_text(build_pack(dest, shipper, PackOptions()).files["smoke-test.sh"])
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_sample_events_cover_both_streams_and_match_the_event_schema() -> None:
    """Every `sample-event.jsonl` line validates against beacon/schema/event.schema.json."""
    jsonschema = pytest.importorskip("jsonschema")
    schema_module = pytest.importorskip("beacon.schema")
    if not hasattr(schema_module, "load_json_schema"):
        pytest.skip("beacon.schema.load_json_schema not available yet")
    schema = schema_module.load_json_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    for pack in _all_packs():
        lines = pack.files["sample-event.jsonl"].splitlines()
        events = [json.loads(line) for line in lines]
        actions = {e["event"]["action"] for e in events}
        assert "inventory.heartbeat" in actions and "session.started" in actions
        for event in events:
            assert list(validator.iter_errors(event)) == [], event["event"]["action"]


def test_every_sample_line_is_longer_than_the_filebeat_fingerprint() -> None:
    """A file holding one event is fingerprinted (not ignored) by the lowered length."""
    lines = [json.dumps(e, separators=(",", ":")) for e in sample_events()]
    assert min(len(line.encode()) for line in lines) > FINGERPRINT_LENGTH


def test_json_and_xml_pack_files_parse() -> None:
    """IAM policies, index template, pipeline, ARM template parse; Wazuh XML is well-formed."""
    for pack in _all_packs():
        for rel, text in pack.files.items():
            if rel.endswith(".json"):
                assert isinstance(json.loads(text), dict), rel
            if rel.endswith(".xml"):
                ET.fromstring(text)


def test_sentinel_template_declares_tables_dce_dcr_and_transform() -> None:
    """Custom tables, a DCE, and a DCR whose flows map Custom-Beacon* streams to *_CL tables."""
    pack = build_pack("sentinel", "vector", PackOptions())
    template = json.loads(pack.files["sentinel-template.json"])
    types = [r["type"] for r in template["resources"]]
    assert types.count("Microsoft.OperationalInsights/workspaces/tables") == 2
    assert "Microsoft.Insights/dataCollectionEndpoints" in types
    dcr = next(r for r in template["resources"] if r["type"].endswith("dataCollectionRules"))
    flows = {f["streams"][0]: f["outputStream"] for f in dcr["properties"]["dataFlows"]}
    assert flows == {
        "Custom-BeaconRuntime": "Custom-BeaconRuntime_CL",
        "Custom-BeaconInventory": "Custom-BeaconInventory_CL",
    }
    declared = {
        c["name"]
        for c in dcr["properties"]["streamDeclarations"]["Custom-BeaconRuntime"]["columns"]
    }
    assert {"TimeGenerated", "event", "endpoint", "harness", "raw_line"} <= declared
    assert all("TimeGenerated" in f["transformKql"] for f in dcr["properties"]["dataFlows"])
    assert set(template["outputs"]) == {"logsIngestionEndpoint", "dcrImmutableId"}


def test_unsupported_pair_names_the_supported_shippers() -> None:
    """`--dest s3 --shipper filebeat` is refused with the shippers s3 does support."""
    with pytest.raises(UsageError, match=r"supported: vector$"):
        build_pack("s3", "filebeat", PackOptions())
    with pytest.raises(UsageError, match="supported: vector, datadog-agent"):
        build_pack("datadog", "filebeat", PackOptions())
    with pytest.raises(UsageError, match="unknown destination"):
        build_pack("nowhere", None, PackOptions())


def test_write_pack_modes_and_overwrite_guard(tmp_path: Path) -> None:
    """Files 0644, script 0755, nothing world-writable; existing files need force."""
    pack = build_pack("datadog", "datadog-agent", PackOptions())
    written = write_pack(pack, tmp_path / "pack")
    assert len(written) == len(pack.files)
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert not mode & stat.S_IWOTH
        assert mode == (0o755 if path.name == "smoke-test.sh" else 0o644)
    assert (tmp_path / "pack/conf.d/beacon.d/conf.yaml").exists()
    with pytest.raises(UsageError, match="--force"):
        write_pack(pack, tmp_path / "pack")
    (tmp_path / "pack/README.md").write_text("stale")
    write_pack(pack, tmp_path / "pack", force=True)
    assert (tmp_path / "pack/README.md").read_text() == pack.files["README.md"]
