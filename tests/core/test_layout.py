"""The package's shape: a few modules at the top, one folder per concept, product code only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("beacon", "shippers")
# jsonschema is a runtime dependency since threat rules are validated against their format's
# JSON Schema when `beacon scan`/`beacon rules` load them (beacon/scan/rules.py).
TEST_ONLY = ("pytest", "moto", "jsonschema", "cryptography", "hypothesis")


def _imports(path: Path) -> set[str]:
    """Top-level module names a source file imports (anywhere in it, lazily too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_beacon_top_level_holds_at_most_six_modules() -> None:
    """Everything else lives in a folder per concept."""
    modules = sorted(p.name for p in (ROOT / "beacon").glob("*.py"))
    assert len(modules) <= 6, modules


def test_no_package_module_imports_test_only_libraries() -> None:
    """The wheel ships the product: fakes, validators and test tools live under tests/."""
    offenders = [
        (str(path.relative_to(ROOT)), sorted(_imports(path) & set(TEST_ONLY)))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & set(TEST_ONLY)
    ]
    assert not offenders


def test_no_generator_writes_into_the_repository_from_the_package() -> None:
    """Generators of checked-in files are scripts, not package entry points."""
    mains = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "write_text(" in path.read_text(encoding="utf-8")
        and '__name__ == "__main__"' in path.read_text(encoding="utf-8")
    ]
    assert not mains


def test_runtime_modules_never_import_their_registry() -> None:
    """A registry imports the modules it lists, never the reverse (no import cycle)."""
    for folder, registry in (
        ("beacon/runtimes", "beacon.runtimes.registry"),
        ("beacon/forwarding/destinations", "beacon.forwarding.destinations"),
    ):
        for path in (ROOT / folder).glob("*.py"):
            if path.name in ("registry.py", "__init__.py"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == registry:
                    raise AssertionError(f"{path.relative_to(ROOT)} imports {registry}")


def test_expected_failures_derive_from_beacon_errors() -> None:
    """One exception tree: decode, retryable, permanent and gave-up errors are BeaconErrors."""
    from beacon.errors import BeaconError, DecodeError, GaveUp, PermanentError, RetryableError
    from shippers.sinks import PermanentError as SinkPermanent
    from shippers.sinks import RetryableError as SinkRetryable

    for error in (DecodeError, GaveUp, PermanentError, RetryableError):
        assert issubclass(error, BeaconError)
    assert SinkPermanent is PermanentError and SinkRetryable is RetryableError


def test_hook_path_imports_no_heavy_module(tmp_path: Path) -> None:
    """`beacon-hooks` with the collector down loads neither the config loader nor the
    collector's stack: its start-up time is the agent's waiting time."""
    code = (
        "import sys, os\n"
        "os.environ['BEACON_COLLECTOR_URL'] = 'http://127.0.0.1:9'\n"
        "sys.argv = ['beacon-hooks', '--platform', 'claude', '--log-dir', sys.argv[1]]\n"
        "from beacon.hooks import cli\n"
        'cli.run(cli.parse_args(sys.argv[1:]), b\'{"hook_event_name": "UserPromptSubmit"}\')\n'
        "heavy = ('beacon.config', 'dataclasses', 'typing', 'pathlib', 'asyncio', 'orjson',\n"
        "         'aiohttp', 'grpc', 'google.protobuf', 'socket', 'hashlib')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    log_dir = tmp_path / "logs"
    done = subprocess.run(
        [sys.executable, "-c", code, str(log_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert (log_dir / "runtime.jsonl").exists()  # the payload was recorded
    loaded = [m for m in done.stdout.strip().split(",") if m]
    assert not loaded, loaded


def test_hook_loads_the_config_for_every_override_its_ingest_uses() -> None:
    """`beacon-hooks` skips `beacon.config` unless a variable it would apply is set: that set
    is exactly the env overrides of the tables the local ingest reads."""
    from dataclasses import fields
    from typing import get_type_hints

    from beacon.config import BeaconConfig
    from beacon.hooks.local import CONFIG_ENV

    used = ("writer", "redaction", "limits", "endpoint", "audit")
    hints = get_type_hints(BeaconConfig)
    overrides = {
        f.metadata["env"]
        for table in fields(BeaconConfig)
        if table.name in used
        for f in fields(hints[table.name])
        if f.metadata.get("env")
    }
    assert overrides - {"BEACON_LOG_DIR"} | {"BEACON_CONFIG"} == CONFIG_ENV


def test_hook_applies_an_override_from_the_environment(tmp_path: Path) -> None:
    """With `$BEACON_ORIGIN` set, the locally recorded event carries that origin."""
    env = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "BEACON_ORIGIN": "ci",
        "BEACON_COLLECTOR_URL": "http://127.0.0.1:9",
    }
    log_dir = tmp_path / "logs"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "beacon.hooks.cli",
            "--platform",
            "claude",
            "--log-dir",
            str(log_dir),
        ],
        input=b'{"hook_event_name": "UserPromptSubmit", "prompt": "hi", "session_id": "s"}',
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    lines = (log_dir / "runtime.jsonl").read_bytes().splitlines()
    assert lines and all(b'"origin":"ci"' in line for line in lines)
