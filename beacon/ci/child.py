"""The wrapped command: run it with the agent environment, forward signals, report its code.

Its exit code is authoritative for `beacon ci exec`. SIGTERM and SIGINT reaching Beacon
(a cancelled CI job, Ctrl-C) are passed on to it, and Beacon keeps going until it exits,
so the collector still stops cleanly and the log is complete. A command that never exits
is bounded by the CI system's job timeout, not by Beacon.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

FORWARDED = (signal.SIGTERM, signal.SIGINT)
NOT_FOUND = 127
NOT_EXECUTABLE = 126


@dataclass(frozen=True)
class ChildResult:
    """How the command ended: shell-style exit code (128+N for signal N), and why if it
    could not start."""

    exit_code: int
    duration_seconds: float
    signal: int | None = None
    error: str = ""


def exit_code_of(returncode: int) -> tuple[int, int | None]:
    """(shell-style exit code, signal number) of a `Popen.returncode`."""
    if returncode < 0:
        return 128 - returncode, -returncode
    return returncode, None


def run_child(command: Sequence[str], env: dict[str, str]) -> ChildResult:
    """Run `command` to completion in this process's group, forwarding SIGTERM/SIGINT."""
    began = time.monotonic()
    try:
        process = subprocess.Popen(list(command), env=env)
    except FileNotFoundError:
        return ChildResult(NOT_FOUND, 0.0, error=f"command not found: {command[0]}")
    except PermissionError:
        return ChildResult(NOT_EXECUTABLE, 0.0, error=f"permission denied: {command[0]}")
    except OSError as exc:
        return ChildResult(NOT_EXECUTABLE, 0.0, error=f"cannot run {command[0]}: {exc}")

    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in FORWARDED:
            previous[signum] = signal.signal(signum, forward)
    try:
        returncode = process.wait()  # PEP 475: resumes after a forwarded signal
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
    code, by_signal = exit_code_of(returncode)
    return ChildResult(code, time.monotonic() - began, signal=by_signal)
