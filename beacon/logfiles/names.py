"""The names every reader and writer of Beacon's logs agrees on, defined once.

Two streams, each one rotated JSONL file in the log directory: `runtime` (agent activity)
and `inventory` (heartbeats and snapshots). Default directories for user and system mode,
and the state directory for Beacon's own bookkeeping. Stdlib only, no imports: the hook
path reads these.
"""

RUNTIME_FILE = "runtime.jsonl"
INVENTORY_FILE = "inventory_state.jsonl"
STREAM_FILES: dict[str, str] = {"runtime": RUNTIME_FILE, "inventory": INVENTORY_FILE}
"""Stream name -> file name in the log directory."""

DEFAULT_LOG_DIR = "~/.beacon/endpoint/logs"
SYSTEM_LOG_DIR = "/var/log/beacon-agent"
LOG_DIR_ENV = "BEACON_LOG_DIR"
ROTATE_BYTES = 10 * 1024 * 1024
"""A file is rotated before a line would take it past this size."""
ROTATE_ARCHIVES = 5
"""Numbered archives kept (`.1` newest … `.5` oldest)."""

DEFAULT_STATE_DIR = "~/.beacon/endpoint/state"
SYSTEM_STATE_DIR = "/var/lib/beacon-agent"
STATE_DIR_ENV = "BEACON_STATE_DIR"
