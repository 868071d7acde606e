"""The background collector of `beacon ci start`: `python -m beacon.ci.background SESSION_DIR`.

Serves the session's collector until SIGTERM (sent by `beacon ci finish`) or until a
lifetime cap passes (a job that never ran `finish` must not leave it running forever on a
reused runner), recording its pid, addresses and status in `collector.json`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from beacon.ci.collector import addresses, build_collector, collector_stats, serve
from beacon.ci.providers import RunMetadata
from beacon.ci.session import Session
from beacon.ci.state import read_json, write_json
from beacon.schema.event import now_timestamp

MAX_LIFETIME_SECONDS = 6 * 3600.0
"""GitHub Actions' longest job on hosted runners."""


def run_background(base_dir: Path) -> int:
    """Serve the collector of the session in `base_dir`; the process's exit code."""
    state = read_json(base_dir / "state.json", "CI session state")
    session = Session(str(state["session_id"]), base_dir, str(state["started_at"]))
    run = RunMetadata.from_json(state)
    collector = build_collector(session, run, os.environ)
    lifetime = float(state.get("max_seconds") or MAX_LIFETIME_SECONDS)
    status: dict[str, object] = {"pid": os.getpid(), "status": "starting"}

    def ready() -> None:
        grpc, http = addresses(collector)
        status.update(status="running", otlp_grpc=grpc, otlp_http=http, since=now_timestamp())
        write_json(session.collector_path, status)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(lifetime, stop.set)
        await serve(collector, stop, ready)

    try:
        asyncio.run(main())
    except Exception as exc:
        status.update(status="failed", error=str(exc), **collector_stats(collector))
        write_json(session.collector_path, status)
        print(f"beacon ci: background collector failed: {exc}", file=sys.stderr)
        return 1
    status.update(status="stopped", stopped_at=now_timestamp(), **collector_stats(collector))
    write_json(session.collector_path, status)
    return 0


if __name__ == "__main__":
    sys.exit(run_background(Path(sys.argv[1])))
