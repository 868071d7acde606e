"""Shipper throughput and memory: raw NDJSON MB/s from one large file, gzip zlib vs isal.

Generates a realistic `runtime.jsonl` (default 1 GiB) in a temp dir, then ships it with
`--once` in a fresh child process per case, to an in-process null sink (gzip, then
discard) and to a moto S3 server on 127.0.0.1. Prints wall MB/s, MB/s per CPU-second and
the child's peak RSS. Run: `.venv/bin/python benchmarks/shipper.py [--size-mb 1024]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ACTIONS = ["tool.invoked", "tool.completed", "prompt.submitted", "file.edited", "mcp.call"]
TOOLS = ["Bash", "Read", "Edit", "Write", "Grep", "WebFetch", "mcp__github__search"]


def make_file(path: Path, size_mb: int) -> int:
    """Write about `size_mb` MiB of collector-like events; returns the byte count."""
    rng = random.Random(7)
    target = size_mb * 1024 * 1024
    words = [uuid.uuid4().hex[: rng.randint(3, 10)] for _ in range(4000)]
    written = 0
    seq = 0
    with path.open("wb", buffering=8 * 1024 * 1024) as fh:
        while written < target:
            lines = []
            for _ in range(2000):
                doc = {
                    "timestamp": f"2026-05-11T22:{seq // 60000 % 60:02d}:"
                    f"{seq // 1000 % 60:02d}.{seq % 1000:03d}Z",
                    "vendor": "beacon",
                    "product": "endpoint-agent",
                    "schema_version": "1.1",
                    "event": {
                        "id": str(uuid.uuid4()),
                        "kind": "event",
                        "action": rng.choice(ACTIONS),
                        "category": "process",
                    },
                    "severity": "info",
                    "endpoint": {"hostname": "dev-laptop-17", "os": "linux"},
                    "harness": {"name": "claude-code", "version": "2.1.197"},
                    "session": {"id": f"s-{seq // 500}"},
                    "tool": {
                        "name": rng.choice(TOOLS),
                        "parameters": " ".join(rng.choices(words, k=rng.randint(5, 60))),
                    },
                    "seq": seq,
                }
                lines.append(json.dumps(doc, separators=(",", ":")))
                seq += 1
            chunk = ("\n".join(lines) + "\n").encode()
            fh.write(chunk)
            written += len(chunk)
    return written


def peak_rss_mb() -> float:
    """Peak RSS of this process image. VmHWM resets at exec; ru_maxrss would include the
    parent's RSS at fork time (here: moto holding every uploaded object)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """Ship the file once in this process and print one JSON result line."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from shippers._runner import Shipper
    from shippers.config import S3Options, ShipConfig
    from shippers.testing import NullSink

    config = ShipConfig(
        sink="s3",
        log_dir=Path(args.log_dir),
        state_dir=Path(args.state_dir),
        streams=("runtime",),
        compressor=args.compressor,
        s3=S3Options(bucket="bench", endpoint_url=args.endpoint, region="us-east-1"),
    )
    sink = NullSink(args.compressor) if args.sink == "null" else None
    shipper = Shipper(config, sink=sink)
    t0, c0 = time.perf_counter(), time.process_time()
    code = shipper.run(once=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    state = shipper.streams[0].state
    out = {
        "code": code,
        "bytes": state.counters["bytes"],
        "wall": wall,
        "cpu": cpu,
        "rss_mb": peak_rss_mb(),
        "gzip_ratio": (sink.raw_bytes / max(1, sink.gzip_bytes)) if sink else None,
    }
    print(json.dumps(out))


def main() -> None:
    """Generate the file, run every case in a child process, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--cases", default="null:zlib,null:isal,s3:zlib,s3:isal")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sink", help=argparse.SUPPRESS)
    parser.add_argument("--compressor", help=argparse.SUPPRESS)
    parser.add_argument("--log-dir", help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    with tempfile.TemporaryDirectory(prefix="beacon-ship-bench-") as tmp:
        root = Path(tmp)
        (root / "logs").mkdir()
        t0 = time.perf_counter()
        size = make_file(root / "logs" / "runtime.jsonl", args.size_mb)
        print(
            f"generated {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s; "
            f"cpu: {os.cpu_count()} cores; python {sys.version.split()[0]}"
        )
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        rows = []
        try:
            for case in args.cases.split(","):
                sink, compressor = case.split(":")
                client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
                if sink == "s3":
                    client.create_bucket(Bucket="bench")
                state = root / f"state-{sink}-{compressor}"
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        "--sink",
                        sink,
                        "--compressor",
                        compressor,
                        "--log-dir",
                        str(root / "logs"),
                        "--state-dir",
                        str(state),
                        "--endpoint",
                        endpoint,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                if sink == "s3":
                    paginator = client.get_paginator("list_objects_v2")
                    for page in paginator.paginate(Bucket="bench"):
                        objs = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                        if objs:
                            client.delete_objects(Bucket="bench", Delete={"Objects": objs})
                    client.delete_bucket(Bucket="bench")
                assert result["code"] == 0 and result["bytes"] == size, result
                rows.append((sink, compressor, result))
        finally:
            server.stop()
    print()
    print("| sink | gzip | MB shipped | wall s | MB/s (wall) | MB/s per CPU-s | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for sink, compressor, r in rows:
        mb = r["bytes"] / 1e6
        print(
            f"| {sink} | {compressor} | {mb:,.0f} | {r['wall']:.1f} | {mb / r['wall']:,.0f} "
            f"| {mb / r['cpu']:,.0f} | {r['rss_mb']:.0f} |"
        )
    ratio = next((r["gzip_ratio"] for s, c, r in rows if r["gzip_ratio"]), None)
    if ratio:
        print(f"\ngzip ratio on this data: {ratio:.1f}x")


if __name__ == "__main__":
    main()
