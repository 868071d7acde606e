"""How fast the dashboard answers over a large log (default 1 GB), against reading it whole.

Generates the log quickly (Claude-Code-shaped events from the pipeline benchmark's
templates, 1.2-1.6 KiB each, sessions of 200 events over 30 days, one model request in ten
with tokens and cost; written with orjson straight to `runtime.jsonl.9` … `runtime.jsonl`,
~100 MB each: the chain is left out, it plays no part in reading), starts a real
`beacon dashboard` on it with an empty state directory, and times requests as a browser
makes them (wall time, one request at a time):

- baseline: read every line of the log and parse it (what answering without an index or a
  backwards reader costs);
- the first page of search (`/` and `/api/events`) on a cold start, while the index is
  being built in the background, and the next page;
- how long the first index takes, then the sessions and token pages from it, a time-window
  search that skips files by the index, an update after 1 MB was appended, and the
  sessions page after a restart (the index read back from the state directory).

    python benchmarks/dashboard.py [--size-mb 1024] [--files 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]


def write_log(log_dir: Path, size_mb: int, files: int) -> tuple[int, int]:
    """The log as `files` files of about `size_mb / files` MB each; returns (bytes, lines)."""
    from pipeline import templates  # this benchmark's sibling (the script's own directory)

    blobs = [orjson.loads(b) for b in templates()]
    log_dir.mkdir(mode=0o700, parents=True)
    target = size_mb * 1_000_000
    per_file = target // files
    names = [f"runtime.jsonl.{n}" for n in range(files - 1, 0, -1)] + ["runtime.jsonl"]
    written = lines = 0
    start = 1_780_000_000.0  # 2026-05-28; 30 days of events
    step = 30 * 86400 / (target / 1400)
    for name in names:
        size = 0
        with open(log_dir / name, "wb", buffering=1 << 20) as out:
            while size < per_file:
                event = dict(blobs[lines % len(blobs)])
                moment = start + lines * step
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
                event["timestamp"] = f"{stamp}.{int(moment * 1000) % 1000:03d}Z"
                event["session"] = {"id": f"bench-{lines // 200:06d}", "working_directory": "/w"}
                event["event"] = dict(event["event"], id=f"e{lines}")
                if lines % 10 == 3:
                    event["event"] = dict(event["event"], action="model.request", category="model")
                    event["model"] = ("claude-opus-4-1", "claude-sonnet-4-5")[lines % 20 == 3]
                    event["gen_ai"] = {
                        "usage": {"input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.02}
                    }
                line = orjson.dumps(event) + b"\n"
                out.write(line)
                size += len(line)
                lines += 1
        written += size
    return written, lines


def baseline(log_dir: Path) -> float:
    """Seconds to read and parse every line of the log."""
    started = time.perf_counter()
    for path in sorted(log_dir.glob("runtime.jsonl*")):
        with open(path, "rb") as handle:
            for line in handle:
                orjson.loads(line)
    return time.perf_counter() - started


def start(log_dir: Path, state: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    env.update(HOME=str(state / "home"), BEACON_STATE_DIR=str(state), PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beacon.cli",
            "dashboard",
            "--log-dir",
            str(log_dir),
            "--addr",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening dashboard="), line
    return process, line.split("=", 1)[1].strip()


def timed(http: httpx.Client, path: str, **params: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = http.get(path, params=params)
    return time.perf_counter() - started, response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    rows: list[tuple[str, float, str]] = []

    with tempfile.TemporaryDirectory(prefix="beacon-dashboard-bench-") as temp:
        log_dir, state = Path(temp) / "logs", Path(temp) / "state"
        began = time.perf_counter()
        size, lines = write_log(log_dir, args.size_mb, args.files)
        made = time.perf_counter() - began
        print(
            f"{size / 1e9:.2f} GB, {lines:,} lines in {args.files} files "
            f"(generated in {made:.1f} s)\n"
        )
        rows.append(("baseline: read and parse every line", baseline(log_dir), f"{lines:,} lines"))

        process, url = start(log_dir, state)
        try:
            with httpx.Client(base_url=url, timeout=600, trust_env=False) as http:
                took, page = timed(http, "/")
                assert page.status_code == 200 and '<table id="results">' in page.text
                rows.append(("first page `/` (cold, index building)", took, "50 events, HTML"))
                took, first = timed(http, "/api/events")
                body = first.json()
                assert len(body["events"]) == 50
                rows.append(
                    (
                        "first page `/api/events` (cold)",
                        took,
                        f"read {body['scanned_bytes'] / 1e6:.1f} MB",
                    )
                )
                took, nxt = timed(http, "/api/events", after=body["next"])
                assert len(nxt.json()["events"]) == 50
                rows.append(("next page (`after=`)", took, "continues from the position"))
                took, found = timed(http, "/api/events", q="no such text anywhere", limit="50")
                rows.append(
                    (
                        "text search, no match (whole log)",
                        took,
                        f"read {found.json()['scanned_bytes'] / 1e9:.2f} GB",
                    )
                )

                began = time.perf_counter()
                while True:
                    response = http.get("/api/summary")
                    if response.status_code == 200 and response.json()["status"] == "ok":
                        break
                    time.sleep(0.25)
                rows.append(
                    (
                        "index: first build (background)",
                        time.perf_counter() - began,
                        "after the requests above",
                    )
                )
                took, sessions = timed(http, "/sessions")
                assert sessions.status_code == 200 and "bench-" in sessions.text
                rows.append(("`/sessions` from the index", took, f"{lines // 200:,} sessions"))
                took, tokens = timed(http, "/api/tokens", days="0")
                assert tokens.json()["total"]["tokens"] > 0
                rows.append(("`/api/tokens` from the index", took, "by day, model, harness"))
                took, window = timed(http, "/api/events", since="2026-06-20", until="2026-06-21")
                assert window.json()["events"]
                rows.append(
                    (
                        "one-day window search",
                        took,
                        f"read {window.json()['scanned_bytes'] / 1e6:.0f} MB (files skipped)",
                    )
                )

                with open(log_dir / "runtime.jsonl", "ab") as out:
                    tail = (log_dir / "runtime.jsonl").read_bytes()[-1_000_000:]
                    out.write(tail[tail.index(b"\n") + 1 :])
                took, _ = timed(http, "/api/sessions")
                rows.append(
                    ("`/api/sessions` after 1 MB appended", took, "reads only the new bytes")
                )
        finally:
            process.terminate()
            process.wait(30)

        process, url = start(log_dir, state)
        try:
            with httpx.Client(base_url=url, timeout=600, trust_env=False) as http:
                took, sessions = timed(http, "/sessions")
                assert "bench-" in sessions.text
                rows.append(
                    ("`/sessions` after a restart", took, "index read back from the state dir")
                )
        finally:
            process.terminate()
            process.wait(30)
        index_bytes = sum(p.stat().st_size for p in (state / "dashboard").rglob("*.json"))

    print(f"| {'request':<40} | {'seconds':>8} | note |")
    print(f"|{'-' * 42}|{'-' * 10}|------|")
    for label, seconds, note in rows:
        print(f"| {label:<40} | {seconds:>8.3f} | {note} |")
    print(f"\nindex size on disk: {index_bytes / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
