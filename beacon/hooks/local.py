"""Record a hook payload without the collector: the one ingest path over a direct writer.

Used by `beacon-hooks` when `beacon run` is not reachable: `beacon.ingest.local_ingest`
maps, runs the standard pipeline in its stdlib variant and appends under the lock the
collector's writer takes too, so lines never interleave. When the log cannot be written the
raw payload goes to the spool (`beacon.hooks.spool`), which `beacon run` ingests later.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not `from typing`: start-up time is the agent's waiting time
if TYPE_CHECKING:
    from beacon.ingest import Ingest


CONFIG_ENV = frozenset(
    {"BEACON_CONFIG", "BEACON_FSYNC", "BEACON_REDACT", "BEACON_ORIGIN", "BEACON_AUDIT_KEY_FILE"}
)
"""What makes a hook load `beacon.config`: the config file, and the overrides of the
tables the local ingest uses (writer, redaction, limits, endpoint, audit) other than
`$BEACON_LOG_DIR`, which the hook reads itself. A test keeps this in step with the config."""


def _ingest(log_dir: str | None) -> Ingest:
    """The local ingest: defaults unless a config file or a config override is set.

    Loading `beacon.config` (dataclasses, TOML) costs a hook more than everything else it
    does, so it happens only when `$BEACON_CONFIG` or an override it would apply is set.
    """
    from beacon.ingest import configured_ingest, local_ingest

    if CONFIG_ENV.isdisjoint(os.environ):
        from beacon.logfiles.chain import resolve_key
        from beacon.logfiles.names import DEFAULT_LOG_DIR, DEFAULT_STATE_DIR, LOG_DIR_ENV

        chosen = log_dir or os.environ.get(LOG_DIR_ENV) or DEFAULT_LOG_DIR
        # The default key file (an unusable one raises: the payload is spooled, not
        # written without its key).
        key = resolve_key("", os.environ, os.path.expanduser(DEFAULT_STATE_DIR))
        return local_ingest(os.path.expanduser(chosen), key=key)
    from beacon.config import BeaconConfig, load_config, with_log_dir
    from beacon.errors import ConfigError

    try:
        config = load_config()  # applies $BEACON_LOG_DIR and every other override
    except ConfigError:
        config = BeaconConfig()  # a broken config file must not lose the event
    return configured_ingest(with_log_dir(config, log_dir))


def record_locally(
    platform: str, data: bytes, *, event_hint: str = "", log_dir: str | None = None
) -> str | None:
    """Map, process and append one payload; spool it if the log is unwritable.

    Returns None when the events are in the log, else a one-line note (spooled, or lost
    and why). Never raises.
    """
    from beacon.errors import BeaconError

    try:
        from beacon.ingest import RETRY_MESSAGES, Outcome
        from beacon.runtimes.hooks import harness_of
        from beacon.runtimes.hooks.payload import hook_input

        hook = hook_input(harness_of(platform) or platform, data, event_hint=event_hint)
        ingest = _ingest(log_dir)
        try:
            result = ingest.hook_now(hook)
        finally:
            ingest.writer.close()
        if result.outcome is Outcome.OK:
            return None
        reason = RETRY_MESSAGES.get(result.outcome, str(result.outcome))
    except (OSError, BeaconError) as exc:
        reason = f"cannot write the log ({exc})"
    except Exception as exc:  # a bug here must still not lose the payload
        reason = f"cannot record the event ({type(exc).__name__}: {exc})"
    from beacon.hooks.spool import spool_payload

    try:
        path = spool_payload(platform, data, event_hint=event_hint)
    except OSError as exc:
        return f"{reason}; spool failed too ({exc}); event lost"
    return f"{reason}; payload spooled to {os.path.dirname(path)}"
