"""`beacon run`: the collector in the foreground (OTLP gRPC + HTTP, pipeline, writer).

Only argparse here; the collector and its heavy imports (grpc, aiohttp, protobuf) load
inside the handler so `beacon --help` stays fast.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

RUN_HELP = """\
Receive agent telemetry over OTLP (gRPC and HTTP), map it to normalized events and append
them to runtime.jsonl in the log directory. Runs until SIGINT/SIGTERM, then stops
accepting, drains and flushes (exit 0). Prints one line `listening otlp-grpc=HOST:PORT
otlp-http=HOST:PORT` once both listeners are up (port 0 picks a free port). Listeners are
loopback-only unless --allow-remote: agent telemetry carries prompts and commands.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run the collector in the foreground (OTLP gRPC + HTTP)",
        description=RUN_HELP,
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="beacon.toml to load (default: $BEACON_CONFIG)"
    )
    parser.add_argument(
        "--log-dir", metavar="DIR", help="where runtime.jsonl and inventory_state.jsonl go"
    )
    parser.add_argument(
        "--otlp-grpc", metavar="HOST:PORT", help="OTLP/gRPC listen address (default 127.0.0.1:4317)"
    )
    parser.add_argument(
        "--otlp-http", metavar="HOST:PORT", help="OTLP/HTTP listen address (default 127.0.0.1:4318)"
    )
    parser.add_argument(
        "--include-codex-spans",
        action="store_true",
        default=None,
        help="keep Codex CLI spans (dropped by default: hundreds of internal spans per turn)",
    )
    parser.add_argument(
        "--include-runtime-metrics",
        action="store_true",
        default=None,
        help="keep process/runtime and Codex/Copilot internal metrics (dropped by default)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        default=None,
        help="allow listening on non-loopback addresses (telemetry holds prompts and commands)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load config, apply flags, serve until a signal; exit 0 after a clean shutdown."""
    import asyncio

    from beacon.collector.service import Collector
    from beacon.config import load_config

    config = load_config(args.config, env=os.environ)
    overrides = {
        key: value
        for key, value in (
            ("otlp_grpc", args.otlp_grpc),
            ("otlp_http", args.otlp_http),
            ("include_codex_spans", args.include_codex_spans),
            ("include_runtime_metrics", args.include_runtime_metrics),
            ("allow_remote", args.allow_remote),
        )
        if value is not None
    }
    config = replace(config, collector=replace(config.collector, **overrides))
    if args.log_dir is not None:
        config = replace(config, writer=replace(config.writer, log_dir=str(args.log_dir)))
    asyncio.run(Collector(config).serve())
    return 0
