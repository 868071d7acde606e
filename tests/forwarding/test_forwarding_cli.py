"""`beacon forward` CLI, the docs matrix and the checked-in `vector-configs/` tree."""

from __future__ import annotations

import argparse
import json
import stat
import tomllib
from pathlib import Path

import pytest

from beacon.errors import UsageError
from beacon.forwarding import cli
from beacon.forwarding.catalog import catalog, matrix_markdown
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.reference import reference_files

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> int:
    """Parse with only the `forward` subcommand registered, as `beacon` does, and run it."""
    parser = argparse.ArgumentParser(prog="beacon")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_list_json_has_every_destination_and_its_shippers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`forward list --json` lists the 12 forwarding destinations, then the 3 query engines."""
    assert run(["forward", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    shippers = {d["name"]: d["shippers"] for d in data["destinations"]}
    assert list(shippers) == [
        "s3", "gcs", "splunk-hec", "sentinel", "datadog", "elastic",
        "cloudwatch", "sumo", "falcon-logscale", "rapid7", "wazuh", "kafka",
        "athena", "bigquery", "duckdb",
    ]  # fmt: skip
    assert shippers["elastic"] == ["vector", "filebeat"]
    assert shippers["kafka"] == ["vector", "filebeat"]
    assert shippers["datadog"] == ["vector", "datadog-agent"]
    assert all(s[0] == "vector" for n, s in shippers.items() if s != ["sql"])
    assert [n for n, s in shippers.items() if s == ["sql"]] == ["athena", "bigquery", "duckdb"]


def test_list_text_is_one_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The plain table has a header row and one row per destination."""
    assert run(["forward", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["destination", "vector", "filebeat", "datadog-agent", "sql"]
    assert len(lines) == 1 + len(DESTINATIONS)


def test_generate_writes_a_pack_for_the_system_log_dir(tmp_path: Path) -> None:
    """`generate --system` writes vector.toml reading /var/log/beacon-agent, 0644, no o+w."""
    out = tmp_path / "s3-pack"
    assert run(["forward", "generate", "--dest", "s3", "--output", str(out), "--system"]) == 0
    config = tomllib.loads((out / "vector.toml").read_text())
    assert (
        config["sources"]["beacon_runtime"]["include"][0] == "/var/log/beacon-agent/runtime.jsonl"
    )
    assert (out / "iam-policy.json").exists()
    for path in out.iterdir():
        assert not stat.S_IMODE(path.stat().st_mode) & stat.S_IWOTH


def test_generate_honours_log_dir_prefix_and_streams(tmp_path: Path) -> None:
    """`--log-dir`, `--prefix` and `--streams` reach the config."""
    out = tmp_path / "pack"
    argv = ["forward", "generate", "--dest", "kafka", "--shipper", "filebeat"]
    argv += ["--output", str(out), "--log-dir", str(tmp_path / "logs")]
    argv += ["--prefix", "corp", "--streams", "inventory"]
    assert run(argv) == 0
    text = (out / "filebeat.yml").read_text()
    assert f"{tmp_path / 'logs'}/inventory_state.jsonl" in text
    assert "runtime.jsonl" not in text
    assert "topic: corp.%{[fields.beacon_stream]}" in text


def test_generate_refuses_unsupported_pair_bad_streams_and_existing_files(tmp_path: Path) -> None:
    """Each refusal is a UsageError with a message naming the fix."""
    base = ["forward", "generate", "--output", str(tmp_path / "p")]
    with pytest.raises(UsageError, match="supported: vector"):
        run([*base, "--dest", "sentinel", "--shipper", "filebeat"])
    with pytest.raises(UsageError, match="subset of runtime,inventory"):
        run([*base, "--dest", "s3", "--streams", "runtime,audit"])
    assert run([*base, "--dest", "wazuh"]) == 0
    with pytest.raises(UsageError, match="--force"):
        run([*base, "--dest", "wazuh"])
    assert run([*base, "--dest", "wazuh", "--force"]) == 0


def test_docs_matrix_and_sections_match_forward_list() -> None:
    """docs/forwarding.md embeds the current matrix and has a section per destination."""
    doc = (REPO_ROOT / "docs/forwarding.md").read_text()
    assert matrix_markdown() in doc
    headings = [line for line in doc.splitlines() if line.startswith("## ")]
    for entry in catalog()["destinations"]:
        assert sum(h.endswith(f"(`{entry['name']}`)") for h in headings) == 1, entry["name"]


def test_vector_configs_tree_has_no_drift() -> None:
    """vector-configs/ equals a fresh regeneration (`python scripts/regenerate.py forwarding`)."""
    root = REPO_ROOT / "vector-configs"
    expected = reference_files()
    actual = {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}
    assert sorted(actual) == sorted(expected)
    drifted = [rel for rel, text in expected.items() if actual[rel] != text]
    assert drifted == []


def test_readme_links_the_forwarding_docs() -> None:
    """The README section points at the docs page and the reference configs."""
    readme = (REPO_ROOT / "README.md").read_text()
    assert "## Forwarding with your own shipper: beacon forward" in readme
    assert "docs/forwarding.md" in readme and "vector-configs/" in readme


def test_beacon_main_maps_an_unsupported_pair_to_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through `beacon.cli.main`: the refusal is printed, not raised, and exits 2."""
    from beacon.cli import main

    argv = ["forward", "generate", "--dest", "gcs", "--shipper", "datadog-agent"]
    assert main([*argv, "--output", str(tmp_path / "p")]) == 2
    assert "supported: vector" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
