"""The inventory's TTL and back-off state: one small `key=value` file and a lock file in
the state directory (`$BEACON_STATE_DIR`, else `~/.beacon/endpoint/state`).

Stdlib only and parsed without `json`: `beacon-hooks` reads it on `SessionStart` before
deciding whether to start a run. Written temp -> fsync -> replace, mode 0600 in a 0700
directory. A file that does not parse is moved aside (`.corrupt-<time>`) and reported,
never silently overwritten.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # the hook path must not import `collections` or `typing`
    from collections.abc import Mapping

STATE_DIR_ENV = "BEACON_STATE_DIR"  # beacon.config.STATE_DIR_ENV (that module is heavier)
DEFAULT_STATE_DIR = ".beacon/endpoint/state"
STATE_FILE = "inventory.state"
LOCK_FILE = "inventory.lock"
SPAWN_FILE = "inventory.spawned"
FIELDS = (
    "last_attempt_at",
    "last_emitted_at",
    "last_trigger",
    "last_result",
    "last_snapshot_digest",
    "ttl_seconds",
    "backoff_seconds",
    "on_hook",
)


def state_dir(env: Mapping[str, str] | None = None) -> str:
    """`$BEACON_STATE_DIR`, else `$HOME/.beacon/endpoint/state` (as `beacon.config.state_dir`
    in user mode; a test keeps the two in step)."""
    env = os.environ if env is None else env
    explicit = env.get(STATE_DIR_ENV)
    if explicit:
        return os.path.expanduser(explicit)
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, DEFAULT_STATE_DIR)


def parse(text: str) -> dict[str, str]:
    """`key=value` lines (blank lines and `#` comments ignored); ValueError on anything else."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if not eq or not key.strip().replace("_", "").isalnum():
            raise ValueError("not a key=value line")
        values[key.strip()] = value.strip()
    return values


def number(values: Mapping[str, str], key: str) -> float | None:
    """A numeric field, or None when absent or not a number."""
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return None


def read(directory: str) -> tuple[dict[str, str], str | None]:
    """(values, problem): the state, and a note when a corrupt file was moved aside."""
    path = os.path.join(directory, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(64 * 1024)
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"cannot read {path}: {exc}"
    try:
        return parse(text), None
    except ValueError:
        aside = f"{path}.corrupt-{int(time.time())}"
        try:
            os.replace(path, aside)
        except OSError as exc:
            return {}, f"{path} is corrupt and cannot be moved aside: {exc}"
        return {}, f"{path} was corrupt; kept as {aside}"


def write(directory: str, values: Mapping[str, object]) -> None:
    """Replace the state file atomically (temp -> fsync -> replace), mode 0600."""
    from beacon.logfiles.durable import fsync_dir, write_synced  # not on the hook's read path

    ensure_directory(directory)
    path = os.path.join(directory, STATE_FILE)
    lines = ["# Agent Beacon inventory state (beacon inventory --write-event)"]
    lines += [f"{k}={values[k]}" for k in FIELDS if values.get(k) not in (None, "")]
    temp = f"{path}.tmp-{os.getpid()}"
    write_synced(temp, ("\n".join(lines) + "\n").encode("utf-8"))
    os.replace(temp, path)
    fsync_dir(directory)


def ensure_directory(directory: str) -> None:
    """Create the state directory 0700 (parents too)."""
    os.makedirs(directory, mode=0o700, exist_ok=True)


class Locked:
    """`with Locked(directory, wait=s) as held:` holds the inventory lock when `held` is
    True; False when another run kept it for longer than `wait` seconds (0: no wait)."""

    def __init__(self, directory: str, *, wait: float) -> None:
        self.directory = directory
        self.wait = wait
        self.fd: int | None = None
        self.held = False

    def acquire(self) -> bool:
        """Take the lock; False when it stayed busy for `wait` seconds. OSError when the
        state directory cannot be created or the lock file opened."""
        try:
            import fcntl
        except ImportError:  # Windows has no flock: runs are then not serialized
            self.held = True
            return True
        ensure_directory(self.directory)
        self.fd = os.open(os.path.join(self.directory, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None
        self.held = False

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_locked(directory: str) -> bool:
    """Whether a run holds the lock now (probed without waiting)."""
    try:
        import fcntl
    except ImportError:  # Windows: no probe, the run itself decides
        return False
    try:
        fd = os.open(os.path.join(directory, LOCK_FILE), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we took
    return False
