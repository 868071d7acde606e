"""Every recorded fixture through every ingest path, as written: the before/after check.

Sends each recorded run's OTLP requests (HTTP, as recorded) and hook payloads (HTTP hook
intake) to a real `beacon run`, and feeds the hook payloads to `beacon-hooks` with the
collector down; prints every written line with only the per-run values masked (event id,
ingest time, host, and the clock time of hook events that carry none) and the hash-chain
link removed. Used to prove a refactoring changes no output:

    python scripts/fixture_output.py --compare REV    # REV's output vs the working tree's

`--compare` checks REV out into a temporary worktree and runs the same script on it with
that tree first on `PYTHONPATH`; exits 1 and prints the first difference when they differ.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "agents"
MASKS = (
    # Dropped, not masked: a revision from before the hash chain wrote no `integrity`.
    (
        re.compile(
            rb',"integrity":\{"seq":\d+,"prev":"[0-9a-f]{64}","hash":"[0-9a-f]{64}"'
            rb'(?:,"key":"[0-9a-f]{16}")?\}'
        ),
        b"",
    ),
    (re.compile(rb'"id":"[0-9a-f-]{36}"'), b'"id":"<id>"'),
    (re.compile(rb'"duplicate_of":"[0-9a-f-]{36}"'), b'"duplicate_of":"<id>"'),
    (re.compile(rb'"created":"[^"]*"'), b'"created":"<created>"'),
    (re.compile(rb'"hostname":"[^"]*"'), b'"hostname":"<host>"'),
    # Inventory: the run's clock and its temporary HOME and working directory (and what is
    # derived from them).
    (re.compile(rb'"generated_at":"[^"]*"'), b'"generated_at":"<now>"'),
    (re.compile(rb'"(home_path|working_dir)":"[^"]*"'), rb'"\1":"<tmp>"'),
    (
        re.compile(rb'"(home_hash|working_dir_hash|snapshot_digest)":"sha256:[0-9a-f]{64}"'),
        rb'"\1":"<sha256>"',
    ),
)
HOOK_TIME = re.compile(rb'^\{"timestamp":"[^"]*"')


def _post(url: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=20) as response:
        response.read()


def _hook_payloads() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in sorted(FIXTURES.glob("*/*/hooks/*/*")):
        platform = path.relative_to(FIXTURES).parts[0].split("-")[0]
        if path.suffix == ".jsonl":
            out += [(platform, line) for line in path.read_bytes().splitlines() if line.strip()]
        else:
            out.append((platform, path.read_bytes()))
    return out


def _wait_lines(path: Path, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)


def _masked(path: Path, *, hooks: bool) -> list[bytes]:
    lines = path.read_bytes().splitlines() if path.exists() else []
    out = []
    for line in lines:
        for pattern, replacement in MASKS:
            line = pattern.sub(replacement, line)
        if hooks and b'"otel_signal"' not in line:
            line = HOOK_TIME.sub(b'{"timestamp":"<now>"', line)
        out.append(line)
    return out


def produce(work: Path) -> list[bytes]:
    """Run every fixture through the three paths; the masked lines, labelled by path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "XDG_"))}
    env["HOME"] = str(work / "home")
    env["BEACON_SPOOL_DIR"] = str(work / "spool")
    # Inventory runs on their own schedule and hook trigger; a revision before inventory
    # ignores these, so the comparison stays about the ingest paths.
    env["BEACON_INVENTORY_INTERVAL"] = "0"
    env["BEACON_INVENTORY_ON_HOOK"] = "0"
    collector_logs = work / "collector"
    work.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "beacon.cli", "run", "--log-dir", str(collector_logs)),
            *("--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=work,  # not the checkout: `-m` puts the working directory first on sys.path
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        raise SystemExit(f"beacon run did not start: {line!r}")
    http = dict(item.split("=", 1) for item in line.split()[1:])["otlp-http"]
    try:
        for run in sorted(p for p in FIXTURES.glob("*/*") if (p / "otlp").is_dir()):
            for body in sorted((run / "otlp").glob("*.json")):
                if body.name.endswith(".headers.json"):
                    continue
                signal = body.stem.split("-", 1)[1]
                pb = body.with_suffix(".pb")
                if pb.exists():
                    _post(f"http://{http}/v1/{signal}", pb.read_bytes(), "application/x-protobuf")
                else:
                    _post(f"http://{http}/v1/{signal}", body.read_bytes(), "application/json")
        for platform, payload in _hook_payloads():
            _post(f"http://{http}/v1/hooks/{platform}", payload, "application/json")
        time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(30)
    local_logs = work / "local"
    import beacon

    package = Path(beacon.__file__).parent
    hooks_module = (
        "beacon.hooks.cli" if (package / "hooks" / "cli.py").exists() else "beacon.hooks_cli"
    )
    env["BEACON_COLLECTOR_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens
    payloads = _hook_payloads()
    for platform, payload in payloads:
        subprocess.run(
            [
                sys.executable,
                "-m",
                hooks_module,
                "--platform",
                platform,
                "--log-dir",
                str(local_logs),
            ],
            input=payload,
            capture_output=True,
            env=env,
            check=True,
            cwd=work,
        )
    _wait_lines(local_logs / "runtime.jsonl", len(payloads) // 2)
    inventory = collector_logs / "inventory_state.jsonl"
    out = [b"# collector", *_masked(collector_logs / "runtime.jsonl", hooks=True)]
    out += [b"# collector inventory", *_masked(inventory, hooks=True)]
    out += [b"# beacon-hooks local", *_masked(local_logs / "runtime.jsonl", hooks=True)]
    return out


def main() -> int:
    """Print this tree's output, or compare it with REV's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", metavar="REV", help="compare with this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        mine = produce(Path(temp) / "mine")
        if not args.compare:
            sys.stdout.buffer.write(b"\n".join(mine) + b"\n")
            return 0
        tree = Path(temp) / "base"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), args.compare],
            check=True,
        )
        try:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            base = subprocess.run(
                [sys.executable, __file__],
                capture_output=True,
                env=env,
                check=True,
            ).stdout.splitlines()
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False
            )
    if base == mine:
        print(f"identical: {len(mine)} lines")
        return 0
    diff = difflib.unified_diff(
        [b.decode() for b in base], [m.decode() for m in mine], "base", "mine", lineterm="", n=0
    )
    print("\n".join(list(diff)[:40]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
