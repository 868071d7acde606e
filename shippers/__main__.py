"""`python -m shippers …` = `beacon ship …`, without loading the rest of the `beacon` CLI."""

from __future__ import annotations

import argparse
import sys

from beacon.errors import BeaconError
from shippers.cli import register


def main(argv: list[str] | None = None) -> int:
    """Parse `ship` arguments and run the handler, mapping errors to exit codes."""
    parser = argparse.ArgumentParser(prog="python -m shippers")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["ship", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args))
    except BeaconError as exc:
        print(f"beacon ship: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
