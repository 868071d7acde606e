"""The `beacon` command: parse arguments, call the library, map errors to exit codes.

Each subcommand lives with its library and registers itself here through a
`register(subparsers)` function; heavy imports happen inside the handlers, so
`beacon --help` and `beacon run` start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from beacon._version import __version__
from beacon.errors import BeaconError


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand registered."""
    from beacon.audit import cli as audit_cli
    from beacon.ci import cli as ci_cli
    from beacon.collector import cli as collector_cli
    from beacon.dashboard import cli as dashboard_cli
    from beacon.endpoint import cli as endpoint_cli
    from beacon.forwarding import cli as forwarding_cli
    from beacon.inventory import cli as inventory_cli
    from beacon.scan import cli as scan_cli
    from shippers import cli as shippers_cli

    parser = argparse.ArgumentParser(
        prog="beacon",
        description="Agent Beacon: collect, normalize and forward AI coding-agent telemetry.",
    )
    parser.add_argument("--version", action="version", version=f"beacon {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in (
        collector_cli.register,
        ci_cli.register,
        forwarding_cli.register,
        shippers_cli.register,
        scan_cli.register,
        inventory_cli.register,
        endpoint_cli.register,
        audit_cli.register,
        dashboard_cli.register,
    ):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `beacon` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except BeaconError as exc:
        print(f"beacon: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
