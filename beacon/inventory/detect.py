"""Which agent runtimes are on this machine: executable on PATH, version, config files,
telemetry status and hook status. Shared by `beacon inventory` and `beacon endpoint
discover`/`status`.

Detection runs nothing but `<executable> --version` of an executable found on `PATH`, in
its own process group, killed (group and all) after `version_timeout` seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from beacon.config import InventoryConfig
from beacon.inventory.files import Survey, survey
from beacon.inventory.scope import Scope
from beacon.inventory.source import Runtime, files_of

_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?")
_MAX_OUTPUT = 4096


@dataclass(frozen=True)
class DetectedRuntime:
    """One agent runtime found on this machine."""

    name: str
    executable_path: str | None
    version: str | None
    config_paths: tuple[str, ...]
    telemetry: str
    telemetry_detail: str
    hooks: str


def detect_runtimes(
    home: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    version_timeout: float = 2.0,
) -> list[DetectedRuntime]:
    """The runtimes found for user `home` and project `cwd`, in a fixed order.

    `env` supplies `PATH` (and `CODEX_HOME`, `XDG_CONFIG_HOME`, …); default `os.environ`.
    """
    scope = Scope.of(home, cwd, env)
    from beacon.inventory.sources import RUNTIMES

    max_bytes = InventoryConfig().max_file_bytes
    return detect(survey(scope, list(RUNTIMES), max_bytes), RUNTIMES, version_timeout)


def detect(
    found: Survey, runtimes: tuple[Runtime, ...], version_timeout: float
) -> list[DetectedRuntime]:
    """Detection over an existing survey (the inventory reads each file once)."""
    env = found.scope.env
    executables = {r.name: which(r.executables, env) for r in runtimes}
    present = [
        r
        for r in runtimes
        if executables[r.name] or any(f.source.detects for f in files_of(found, r.name))
    ]
    probes = [executables[r.name] for r in present]
    versions: list[str | None] = [None] * len(present)
    wanted = [i for i, exe in enumerate(probes) if exe]
    if wanted:
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            done = pool.map(lambda i: probe_version(probes[i] or "", env, version_timeout), wanted)
            for i, version in zip(wanted, done, strict=True):
                versions[i] = version
    out = []
    for runtime, exe, version in zip(present, probes, versions, strict=True):
        status, detail = runtime.telemetry(found)
        out.append(
            DetectedRuntime(
                name=runtime.name,
                executable_path=exe,
                version=version,
                config_paths=tuple(str(f.source.path) for f in files_of(found, runtime.name)),
                telemetry=status,
                telemetry_detail=detail,
                hooks=runtime.hooks(found),
            )
        )
    return out


def which(names: tuple[str, ...], env: Mapping[str, str]) -> str | None:
    """The first of `names` on `env["PATH"]` (no PATH: not found)."""
    path = env.get("PATH")
    if not path:
        return None
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def probe_version(executable: str, env: Mapping[str, str], timeout: float) -> str | None:
    """The version `<executable> --version` prints, or None (failure, timeout, no version).

    The probe gets no stdin and its own session; on timeout its whole process group is
    killed, so a wrapper script's children cannot keep the pipe (and us) waiting.
    """
    posix = os.name == "posix"
    try:
        process = subprocess.Popen(
            [executable, "--version"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=posix,
        )
    except (OSError, ValueError):
        return None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process, posix)
        return None
    if process.returncode != 0:
        return None
    return parse_version(output[:_MAX_OUTPUT].decode("utf-8", "replace"))


def _kill(process: subprocess.Popen[bytes], posix: bool) -> None:
    with contextlib.suppress(OSError):
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    try:
        process.communicate(timeout=1.0)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        # A grandchild that left the group still holds the pipe: stop reading, move on.
        if process.stdout is not None:
            process.stdout.close()


def parse_version(output: str) -> str | None:
    """The first version-looking token of the first line that has one (`2.1.220 (Claude
    Code)` -> `2.1.220`, `codex-cli 0.142.4` -> `0.142.4`)."""
    for line in output.splitlines():
        found = _VERSION.search(line)
        if found:
            return found.group(0)[:64]
    return None
