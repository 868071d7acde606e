"""Collector throughput: `beacon run` vs a pass-through baseline, over OTLP/HTTP and gRPC.

    .venv/bin/python benchmarks/collector.py [--duration 6] [--rounds 5] [--pin] [--against REV]

A separate client process sends Export requests of 100 Claude-Code-shaped log records
(built from the recorded proto1 fixture) for `--duration` seconds per case. Beacon and the
baseline alternate for `--rounds` rounds, so a slow spell of a shared machine hits both;
the ratio is the median of the rounds' ratios. Reported per case: events/s written (until
the writer has flushed everything accepted), p50/p99 request latency, peak RSS of the
server, its startup time and CPU per event. The baseline server uses the same receivers and writer
but no mapping or pipeline (decode + orjson + write): the ratio shows what mapping,
redaction and truncation cost. `--against REV` adds `beacon run` of another git revision
(checked out into a temporary worktree) to every round: the same-run before/after check of
a change. `--servers` also compares aiohttp with a bare asyncio HTTP server on a trivial
handler, the measurement behind the choice of aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FIXTURE = REPO / "tests/fixtures/agents/claude-code-2.1.197/proto1/otlp/0002-logs.pb"
BATCH = 100


def claude_batch() -> bytes:
    """100 records cycling through the fixture's prompt, decision, tool, API and hook events."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest.FromString(FIXTURE.read_bytes())
    records = list(request.resource_logs[0].scope_logs[0].log_records)
    wanted = (
        "user_prompt",
        "tool_decision",
        "tool_result",
        "api_request",
        "hook_execution_complete",
        "assistant_response",
    )
    chosen = [r for r in records if r.body.string_value.removeprefix("claude_code.") in wanted]
    del request.resource_logs[0].scope_logs[0].log_records[:]
    for i in range(BATCH):
        request.resource_logs[0].scope_logs[0].log_records.append(chosen[i % len(chosen)])
    return request.SerializeToString()


# ----------------------------------------------------------------------------- client


def run_client(transport: str, target: str, duration: float, threads: int) -> dict[str, Any]:
    """Send batches from `threads` threads for `duration` s; return counts and latencies."""
    body = claude_batch()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def http_worker() -> None:
        host, port = target.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Content-Type": "application/x-protobuf"}
        local: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            began = time.perf_counter()
            conn.request("POST", "/v1/logs", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                local.append(time.perf_counter() - began)
            else:
                bad += 1
                time.sleep(0.05)
        conn.close()
        with lock:
            latencies.extend(local)
            failures[0] += bad

    def grpc_worker(stub: Any, request: Any) -> None:
        import grpc

        local: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                stub.Export(request, timeout=30)
                local.append(time.perf_counter() - began)
            except grpc.RpcError:
                bad += 1
                time.sleep(0.05)
        with lock:
            latencies.extend(local)
            failures[0] += bad

    if transport == "http":
        workers = [threading.Thread(target=http_worker) for _ in range(threads)]
    else:
        import grpc
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc

        channel = grpc.insecure_channel(target)
        stub = logs_service_pb2_grpc.LogsServiceStub(channel)
        request = logs_service_pb2.ExportLogsServiceRequest.FromString(body)
        workers = [
            threading.Thread(target=grpc_worker, args=(stub, request)) for _ in range(threads)
        ]
    began = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {
        "requests": len(latencies),
        "failures": failures[0],
        "seconds": time.monotonic() - began,
        "latencies": sorted(latencies),
    }


# ----------------------------------------------------------------------------- baseline server


def serve_baseline(log_dir: Path) -> None:
    """Same receivers, ingest and writer, no mapping or pipeline: decode, orjson, write.

    It answers once written, as Beacon does, so the ratio shows what mapping, redaction
    and truncation cost, not the acknowledgement policy.
    """
    from aiohttp import web

    from beacon.config import WriterConfig
    from beacon.ingest import Ingest
    from beacon.logfiles.writer import EventWriter
    from beacon.receivers.otlp_grpc import build_server
    from beacon.receivers.otlp_http import OtlpHttpReceiver

    writer = EventWriter(WriterConfig(log_dir=str(log_dir)))

    class PassThrough:
        def map(self, batch: Any) -> list[dict[str, Any]]:
            return [
                {
                    "timestamp": r.time_unix_nano,
                    "event": {"action": "raw"},
                    "body": r.body,
                    "attributes": r.attributes,
                    "resource": r.scope.resource,
                }
                for r in batch.logs
            ]

        def process_serialized(self, events: list[Any]) -> list[tuple[Any, bytes]]:
            import orjson

            return [(event, orjson.dumps(event)) for event in events]

    passthrough = PassThrough()
    sink = Ingest(passthrough, writer, mapper=passthrough)

    def metrics_text() -> str:
        return f"beacon_events_written_total {sum(writer.stats.written.values())}\n"

    async def main() -> None:
        writer.start()
        server = build_server(sink, max_message_bytes=64 << 20)  # type: ignore[arg-type]
        grpc_port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        receiver = OtlpHttpReceiver(
            sink,
            max_request_bytes=16 << 20,
            max_decompressed_bytes=64 << 20,  # type: ignore[arg-type]
            health=lambda: (True, {}),
            metrics_text=metrics_text,
        )
        runner = web.AppRunner(receiver.app(), auto_decompress=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"listening otlp-grpc=127.0.0.1:{grpc_port} otlp-http=127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ----------------------------------------------------------------------------- orchestration


SERVER_CORES: set[int] | None = None
CLIENT_CORES: set[int] | None = None
PREVIOUS_TREE: Path | None = None


def _pin(cores: set[int] | None) -> Any:
    """A `preexec_fn` pinning the child to `cores` (None: no pinning)."""
    if cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


def start_server(kind: str, log_dir: Path) -> tuple[subprocess.Popen[str], str, str, float]:
    cwd, env = REPO, None
    if kind == "previous":
        assert PREVIOUS_TREE is not None
        cwd, env = PREVIOUS_TREE, {**os.environ, "PYTHONPATH": str(PREVIOUS_TREE)}
    if kind in ("beacon", "previous"):
        cmd = [
            sys.executable,
            "-m",
            "beacon.cli",
            "run",
            "--log-dir",
            str(log_dir),
            "--otlp-grpc",
            "127.0.0.1:0",
            "--otlp-http",
            "127.0.0.1:0",
        ]
    else:
        cmd = [sys.executable, __file__, "--serve-baseline", str(log_dir)]
    began = time.monotonic()
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env, preexec_fn=_pin(SERVER_CORES)
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    startup = time.monotonic() - began
    parts = dict(item.split("=", 1) for item in line.split()[1:])
    return process, parts["otlp-grpc"], parts["otlp-http"], startup


def written(http_addr: str) -> int:
    host, port = http_addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("beacon_events_written_total")
        )
    )


def run_case(kind: str, transport: str, duration: float, threads: int) -> dict[str, Any]:
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        process, grpc_addr, http_addr, startup = start_server(kind, Path(tmp))
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            proc = psutil.Process(process.pid)
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        cpu_before = psutil.Process(process.pid).cpu_times()
        target = grpc_addr if transport == "grpc" else http_addr
        began = time.monotonic()
        client = subprocess.run(
            [sys.executable, __file__, "--client", transport, target, str(duration), str(threads)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            preexec_fn=_pin(CLIENT_CORES),
        )
        result = json.loads(client.stdout)
        expected = result["requests"] * BATCH
        while written(http_addr) < expected and time.monotonic() - began < duration + 60:
            time.sleep(0.02)
        elapsed = time.monotonic() - began
        stop.set()
        watcher.join()
        done = written(http_addr)
        cpu_after = psutil.Process(process.pid).cpu_times()
        cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
        process.terminate()
        process.wait(30)
    lat = result["latencies"]
    return {
        "server": kind,
        "transport": transport,
        "events_per_s": done / elapsed,
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p99_ms": 1000 * lat[int(len(lat) * 0.99) - 1] if lat else float("nan"),
        "peak_rss_mb": peak[0] / 2**20,
        "startup_s": startup,
        "failures": result["failures"],
        "cpu_us_per_event": 1e6 * cpu / max(done, 1),
        "events": done,
    }


def compare_servers(seconds: float) -> dict[str, float]:
    """Requests/s of a trivial POST handler: aiohttp vs a bare asyncio protocol server."""
    out = {}
    for kind in ("aiohttp", "bare"):
        process = subprocess.Popen(
            [sys.executable, __file__, "--trivial-server", kind], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        client = subprocess.run(
            [sys.executable, __file__, "--client", "http", f"127.0.0.1:{port}", str(seconds), "4"],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(client.stdout)
        out[kind] = result["requests"] / result["seconds"]
        process.terminate()
        process.wait(10)
    return out


def trivial_server(kind: str) -> None:
    """Answer every POST with 200 and an empty body (reading the whole request first)."""

    async def main() -> None:
        if kind == "aiohttp":
            from aiohttp import web

            async def handler(request: web.Request) -> web.Response:
                await request.read()
                return web.Response(body=b"", content_type="application/x-protobuf")

            app = web.Application(client_max_size=64 << 20)
            app.router.add_post("/v1/logs", handler)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        else:

            class Bare(asyncio.Protocol):
                def connection_made(self, transport: asyncio.BaseTransport) -> None:
                    self.transport = transport
                    self.buffer = b""

                def data_received(self, data: bytes) -> None:
                    self.buffer += data
                    while True:
                        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
                        if not sep:
                            return
                        length = 0
                        for line in head.split(b"\r\n")[1:]:
                            name, _, value = line.partition(b":")
                            if name.strip().lower() == b"content-length":
                                length = int(value)
                        if len(rest) < length:
                            return
                        self.buffer = rest[length:]
                        self.transport.write(  # type: ignore[attr-defined]
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                            b"Content-Length: 0\r\n\r\n"
                        )

            loop = asyncio.get_running_loop()
            server = await loop.create_server(Bare, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per case and round")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating beacon/baseline rounds per transport"
    )
    parser.add_argument("--transport", choices=("http", "grpc", "both"), default="both")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--servers", action="store_true", help="also compare aiohttp with a bare server"
    )
    parser.add_argument(
        "--client",
        nargs=4,
        metavar=("TRANSPORT", "TARGET", "SECONDS", "THREADS"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="run the server on core 0 and the client on core 1, so they do not compete",
    )
    parser.add_argument(
        "--against", metavar="REV", help="also run `beacon run` of this git revision each round"
    )
    parser.add_argument("--serve-baseline", metavar="LOG_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--trivial-server", metavar="KIND", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        transport, target, seconds, threads = args.client
        print(json.dumps(run_client(transport, target, float(seconds), int(threads))))
        return
    if args.serve_baseline:
        serve_baseline(Path(args.serve_baseline))
        return
    if args.trivial_server:
        trivial_server(args.trivial_server)
        return

    global SERVER_CORES, CLIENT_CORES, PREVIOUS_TREE
    if args.pin:
        SERVER_CORES, CLIENT_CORES = {0}, {1}
    kinds: tuple[str, ...] = ("beacon", "baseline")
    if args.against:
        PREVIOUS_TREE = Path(tempfile.mkdtemp(prefix="beacon-bench-")) / "tree"
        subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "worktree",
                "add",
                "--detach",
                "-q",
                str(PREVIOUS_TREE),
                args.against,
            ],
            check=True,
        )
        kinds = ("beacon", "previous", "baseline")
    try:
        report(args, kinds)
    finally:
        if PREVIOUS_TREE is not None:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(PREVIOUS_TREE)],
                check=False,
            )


def report(args: argparse.Namespace, kinds: tuple[str, ...]) -> None:
    """Run the rounds and print the tables."""
    print(
        f"# collector benchmark: {os.cpu_count()} cores, batches of {BATCH} Claude Code records, "
        f"{args.rounds} alternating rounds of {args.duration:.0f} s per case, "
        f"{args.threads} client threads"
        + (", server pinned to core 0, client to core 1" if args.pin else "")
        + "\n"
    )
    transports = ("http", "grpc") if args.transport == "both" else (args.transport,)
    rounds: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for transport in transports:
        # beacon and baseline alternate, so a slow spell of a shared machine hits both
        for _ in range(args.rounds):
            for kind in kinds:
                result = run_case(kind, transport, args.duration, args.threads)
                rounds.setdefault((kind, transport), []).append(result)
    print(
        "| server | transport | events/s written | p50 ms | p99 ms | peak RSS MB | startup s "
        "| server CPU µs/event |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (kind, transport), results in rounds.items():
        mid = sorted(results, key=lambda r: r["events_per_s"])[len(results) // 2]
        print(
            f"| {kind} | {transport} | {mid['events_per_s']:,.0f} | {mid['p50_ms']:.1f} | "
            f"{mid['p99_ms']:.1f} | {max(r['peak_rss_mb'] for r in results):.0f} | "
            f"{max(r['startup_s'] for r in results):.2f} | {mid['cpu_us_per_event']:.0f} |"
        )
    print("\n(median round by events/s; peak RSS and startup are the worst round)")
    for transport in transports:
        pairs = zip(rounds[("beacon", transport)], rounds[("baseline", transport)], strict=True)
        ratios = [ours["events_per_s"] / base["events_per_s"] for ours, base in pairs]
        print(
            f"\nratio beacon/baseline over {transport}: {statistics.median(ratios):.2f} "
            f"(median of rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
        if ("previous", transport) in rounds:
            pairs = zip(rounds[("beacon", transport)], rounds[("previous", transport)], strict=True)
            ratios = [ours["events_per_s"] / old["events_per_s"] for ours, old in pairs]
            print(
                f"ratio beacon/{args.against} over {transport}: {statistics.median(ratios):.2f} "
                f"(median of rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
            )
    if args.servers:
        result = compare_servers(min(args.duration, 5.0))
        print("\n| trivial POST server | requests/s |\n|---|---:|")
        for kind, rate in result.items():
            print(f"| {kind} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
