"""`beacon dashboard` (and `beacon endpoint dashboard`): parse flags, serve.

Only argparse here; aiohttp, Jinja2 and the readers load inside the handler.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

HELP = """\
Serve a read-only web dashboard of the local Beacon log on 127.0.0.1: search events with
the filters of `beacon logs`, read sessions as timelines (prompts, tool calls and results,
file edits, approvals, errors, tokens), token and cost charts, inventory, `beacon scan`
findings and health (collector, log files, hash chain, shipper lag). Loopback only: the
log holds prompts and commands and the dashboard has no login, so non-loopback addresses
are refused, as are requests naming another host (DNS rebinding) or coming from another
site. Nothing is ever written to the log directory; the index lives in the state
directory. Prints `listening dashboard=http://HOST:PORT` once ready (port 0 picks a free
port); runs until Ctrl-C.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The dashboard's flags (shared by `beacon dashboard` and `beacon endpoint dashboard`)."""
    parser.add_argument(
        "--log-dir",
        metavar="DIR",
        help="the log directory (default: writer.log_dir of the config, $BEACON_LOG_DIR)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="beacon.toml to load (default: $BEACON_CONFIG)"
    )
    parser.add_argument(
        "--addr",
        metavar="HOST:PORT",
        default="127.0.0.1:8765",
        help="loopback address to listen on (default 127.0.0.1:8765; port 0: a free port)",
    )
    parser.add_argument(
        "--open", action="store_true", help="open the dashboard in the default web browser"
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `dashboard` subcommand."""
    parser = subparsers.add_parser(
        "dashboard", help="read-only local web dashboard of the logs", description=HELP
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, log_dir: Path | None = None, system: bool = False) -> int:
    """Serve until a signal; exit 0. `log_dir`: the default when `--log-dir` is not given."""
    import asyncio

    from beacon.config import load_config, state_dir, with_log_dir
    from beacon.dashboard.context import Dashboard
    from beacon.dashboard.server import listen_address, serve

    address = listen_address(args.addr)  # refuse a non-loopback address before anything else
    config = load_config(args.config, env=os.environ)
    config = with_log_dir(config, args.log_dir or log_dir)
    dashboard = Dashboard(
        log_dir=config.writer.log_path.absolute(),
        state_dir=state_dir(os.environ),  # the reader's own, even for a system-mode log
        config=config,
        system=system,
    )
    asyncio.run(serve(dashboard, address, open_browser=args.open))
    return 0
