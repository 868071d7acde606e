"""`beacon-hooks` side of the inventory: on `SessionStart`, start a detached
`beacon inventory --write-event --trigger hook` when the TTL and back-off allow it.

Cheap and stdlib only (no `json`, `re` or `subprocess`): a hook's start-up time is the
agent's waiting time. It reads the `key=value` state file, probes the lock, stamps a
spawn marker (so a burst of sessions starts one run), double-forks the run into its own
session with stdio on /dev/null and every other descriptor closed (the agent waits for
the hook's pipes to close, never for the inventory), and returns without waiting.
The run re-checks everything under the lock. Never raises.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # `collections` and `typing` cost the hook a millisecond or two
    from collections.abc import Callable, Mapping

    Spawner = Callable[[list[str]], None]

TRIGGER_EVENTS = frozenset({"sessionstart"})
DISABLE_ENV = "BEACON_INVENTORY_ON_HOOK"
HARNESSES = {
    "claude": "claude_code",
    "codex": "codex_cli",
    "gemini": "gemini_cli",
    "cursor": "cursor",
    "vscode": "vscode_copilot",
    "copilot": "copilot_cli",
    "windsurf": "windsurf",
    "opencode": "opencode",
}
DEFAULT_TTL = 6 * 3600.0  # beacon.config.InventoryConfig defaults, until a run records its own
DEFAULT_BACKOFF = 300.0


def _normal(event: str) -> str:
    return event.replace("_", "").replace("-", "").lower()


def decide(event_name: str, env: Mapping[str, str], now: float) -> tuple[str, str | None]:
    """(`spawn` | `skip`, reason): whether a hook event should start an inventory run."""
    if _normal(event_name) not in TRIGGER_EVENTS:
        return "skip", "not a session start"
    if env.get(DISABLE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return "skip", "disabled by environment"
    from beacon.inventory import state  # only on session starts: every hook imports this module

    directory = state.state_dir(env)
    values, _ = _peek(directory)
    if values.get("on_hook") == "0":
        return "skip", "disabled by configuration"
    ttl = state.number(values, "ttl_seconds")
    backoff = state.number(values, "backoff_seconds")
    ttl = DEFAULT_TTL if ttl is None else ttl
    backoff = DEFAULT_BACKOFF if backoff is None else backoff
    emitted = state.number(values, "last_emitted_at")
    if emitted is not None and now - emitted < ttl:
        return "skip", "ttl_active"
    attempts = [state.number(values, "last_attempt_at"), _spawned_at(directory)]
    last = max((a for a in attempts if a is not None), default=None)
    if last is not None and now - last < backoff:
        return "skip", "backoff"
    if state.is_locked(directory):
        return "skip", "busy"
    return "spawn", None


def _peek(directory: str) -> tuple[dict[str, str], str | None]:
    """The state without moving a corrupt file aside (the run does that, and reports it)."""
    from beacon.inventory import state

    try:
        with open(os.path.join(directory, state.STATE_FILE), encoding="utf-8") as fh:
            return state.parse(fh.read(64 * 1024)), None
    except (OSError, ValueError) as exc:
        return {}, str(exc)


def _spawned_at(directory: str) -> float | None:
    from beacon.inventory import state

    try:
        return os.stat(os.path.join(directory, state.SPAWN_FILE)).st_mtime
    except OSError:
        return None


def _mark_spawned(directory: str, now: float) -> None:
    from beacon.inventory import state

    state.ensure_directory(directory)
    path = os.path.join(directory, state.SPAWN_FILE)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.utime(path, (now, now))


def command(platform: str, log_dir: str | None) -> list[str]:
    """The detached run: this interpreter, `beacon inventory --write-event --trigger hook`."""
    argv = [sys.executable, "-m", "beacon.cli", "inventory", "--write-event", "--trigger", "hook"]
    argv += ["--trigger-harness", HARNESSES.get(platform, platform)]
    if log_dir:
        argv += ["--log-dir", log_dir]
    return argv


def spawn_detached(argv: list[str]) -> None:
    """Start `argv` in a new session, fully detached; reap only the intermediate child."""
    if not hasattr(os, "fork"):
        import subprocess

        flags = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(
            subprocess, "CREATE_NEW_PROCESS_GROUP", 0
        )
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            creationflags=flags,
            close_fds=True,
        )
        return
    pid = os.fork()
    if pid == 0:  # intermediate child: new session, fork the run, exit at once
        try:
            os.setsid()
            if os.fork() == 0:
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                os.execv(argv[0], argv)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def maybe_trigger(
    platform: str,
    event_name: str,
    *,
    log_dir: str | None = None,
    env: Mapping[str, str] | None = None,
    now: float | None = None,
    spawn: Spawner | None = None,
) -> str:
    """Start a detached inventory run for a `SessionStart` hook if due; returns what it did
    (`spawned`, or `skipped: <reason>`). Never raises: the hook must not fail."""
    try:
        env = os.environ if env is None else env
        now = time.time() if now is None else now
        verdict, reason = decide(event_name, env, now)
        if verdict != "spawn":
            return f"skipped: {reason}"
        from beacon.inventory import state

        _mark_spawned(state.state_dir(env), now)
        (spawn or spawn_detached)(command(platform, log_dir))
        return "spawned"
    except BaseException as exc:
        return f"skipped: {type(exc).__name__}"
