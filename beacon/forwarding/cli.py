"""`beacon forward`: list destinations x shippers, generate a content pack. Parsing only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from beacon.errors import UsageError
from beacon.forwarding.destination import (
    EVENT_STREAMS,
    SHIPPERS,
    SYSTEM_LOG_DIR,
    USER_LOG_DIR_SUFFIX,
    PackOptions,
    Stream,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `forward list` and `forward generate` to the `beacon` parser."""
    from beacon.forwarding.destinations import DESTINATIONS

    forward = subparsers.add_parser(
        "forward",
        help="generate configs for Vector, Filebeat or the Datadog Agent to forward the logs, "
        "or tables and queries for Athena, BigQuery and DuckDB",
        description="Content packs that forward Beacon's runtime and inventory streams with "
        "the shipper you already run (docs/forwarding.md), and query packs that turn the "
        "shipped objects into tables on Athena, BigQuery or DuckDB (docs/fleet.md).",
    )
    actions = forward.add_subparsers(dest="forward_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="destinations and the shippers each supports")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)

    generate = actions.add_parser("generate", help="write a content pack for one destination")
    generate.add_argument(
        "--dest",
        required=True,
        choices=list(DESTINATIONS),
        metavar="DEST",
        help=f"one of: {', '.join(DESTINATIONS)}",
    )
    generate.add_argument(
        "--shipper",
        choices=list(SHIPPERS),
        metavar="SHIPPER",
        help="vector, filebeat, datadog-agent, or sql for query engines (default: first supported)",
    )
    generate.add_argument(
        "--output", required=True, type=Path, metavar="DIR", help="directory to write the pack into"
    )
    where = generate.add_mutually_exclusive_group()
    where.add_argument(
        "--log-dir",
        type=Path,
        metavar="DIR",
        help="Beacon's log directory (default: ~/.beacon/endpoint/logs)",
    )
    where.add_argument(
        "--system", action="store_true", help=f"forward the system-mode logs in {SYSTEM_LOG_DIR}"
    )
    generate.add_argument(
        "--prefix",
        help="object-key prefix / topic / category root (default: beacon); query packs read "
        "it from ${BEACON_S3_PREFIX} / ${BEACON_GCS_PREFIX} instead",
    )
    generate.add_argument(
        "--root",
        metavar="PATH",
        help="duckdb: the directory the views read (the `beacon ship --sink file` root); "
        "default: a ${BEACON_DATA_ROOT} parameter",
    )
    generate.add_argument(
        "--streams",
        default=",".join(EVENT_STREAMS),
        help="comma-separated subset of runtime,inventory (default: both)",
    )
    generate.add_argument("--force", action="store_true", help="overwrite existing pack files")
    generate.set_defaults(func=_generate)


def _list(args: argparse.Namespace) -> int:
    from beacon.forwarding.catalog import catalog, matrix_text

    if args.json:
        print(json.dumps(catalog(), indent=2))
    else:
        sys.stdout.write(matrix_text())
    return 0


def parse_streams(value: str) -> tuple[Stream, ...]:
    """`runtime,inventory` → a de-duplicated tuple in canonical order; unknown names refused."""
    names = {part.strip() for part in value.split(",") if part.strip()}
    unknown = names - set(EVENT_STREAMS)
    if unknown or not names:
        raise UsageError(f"--streams takes a subset of {','.join(EVENT_STREAMS)}, got {value!r}")
    return tuple(s for s in EVENT_STREAMS if s in names)


def _generate(args: argparse.Namespace) -> int:
    from beacon.forwarding.pack import build_pack, get_destination, write_pack

    dest = get_destination(args.dest)
    if dest.sql_dialect is not None and args.prefix is not None:
        raise UsageError(
            f"--prefix does not apply to {args.dest}: its tables read the prefix from a "
            "${...} parameter when you render tables.sql"
        )
    if args.root is not None and args.dest != "duckdb":
        raise UsageError("--root applies to --dest duckdb only")
    data_root = None
    if args.root is not None:
        data_root = str(Path(args.root).expanduser().absolute())
    if args.system:
        log_dir, system = SYSTEM_LOG_DIR, True
    elif args.log_dir is not None:
        log_dir, system = args.log_dir.expanduser().absolute(), False
    else:
        log_dir, system = Path.home() / USER_LOG_DIR_SUFFIX, False
    prefix = (args.prefix if args.prefix is not None else "beacon").strip("/")
    if not prefix:
        raise UsageError("--prefix must not be empty")
    options = PackOptions(
        log_dir=log_dir,
        prefix=prefix,
        streams=parse_streams(args.streams),
        system=system,
        data_root=data_root,
    )
    pack = build_pack(args.dest, args.shipper, options)
    written = write_pack(pack, args.output, force=args.force)
    print(
        f"wrote {len(written)} files for {pack.destination.title} ({pack.shipper}) to {args.output}"
    )
    print(f"next: read {args.output / 'README.md'}")
    return 0
