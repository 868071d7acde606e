"""`beacon inventory`: print what agents, configs, MCP servers and skills this endpoint
has, or append it to `inventory_state.jsonl` with `--write-event`.

Only argparse here; the scanner loads inside the handler.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HELP = """\
Inventory the AI coding agents of the current user ($HOME) and project (the working
directory): runtimes (version, telemetry and hook status), config files, MCP servers and
skills. Metadata only: names, paths, hashes, counts; never env, header or argument values,
never skill bodies. Without --write-event it prints a table (or one JSON document with
--json) and writes nothing. With --write-event it appends an inventory.heartbeat to
<log-dir>/inventory_state.jsonl, preceded by an inventory.snapshot (split into parts when
large) the first time and whenever the snapshot digest changed. Runs triggered by hooks
(--trigger hook) honour the TTL and back-off of [inventory]; --force ignores both.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `beacon inventory` (shared with `beacon endpoint inventory`)."""
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="beacon.toml to load (default: $BEACON_CONFIG)"
    )
    parser.add_argument("--log-dir", metavar="DIR", help="where inventory_state.jsonl goes")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--write-event",
        action="store_true",
        help="append a heartbeat (and a snapshot when changed) to inventory_state.jsonl",
    )
    parser.add_argument(
        "--force", action="store_true", help="ignore the TTL and back-off of hook-triggered runs"
    )
    parser.add_argument(
        "--contents",
        action="store_true",
        default=None,
        help="include each config file's settings with every env, header, argument and "
        "secret value redacted (default: inventory.contents)",
    )
    parser.add_argument(
        "--trigger",
        choices=("manual", "hook", "schedule", "install"),
        default="manual",
        help="what started this run (recorded in the heartbeat; default manual)",
    )
    parser.add_argument(
        "--trigger-harness", metavar="NAME", help="the runtime whose hook started this run"
    )
    parser.set_defaults(func=run)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `inventory` subcommand."""
    parser = subparsers.add_parser(
        "inventory", help="list agents, configs, MCP servers and skills", description=HELP
    )
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Print the inventory, or write it as events and print what was written."""
    from beacon.config import load_config, with_log_dir
    from beacon.inventory.run import inventory_only, run_inventory

    config = with_log_dir(load_config(args.config, env=os.environ), args.log_dir)
    if not args.write_event:
        inventory = inventory_only(config, contents=args.contents)
        if args.json:
            print(json.dumps(inventory.document(), indent=2, ensure_ascii=False))
        else:
            from beacon.inventory.table import render

            sys.stdout.write(render(inventory))
        return 0
    outcome = run_inventory(
        config,
        trigger=args.trigger,
        trigger_harness=args.trigger_harness,
        force=args.force,
        contents=args.contents,
    )
    if args.json:
        print(json.dumps(outcome.as_dict(), indent=2))
        return 0
    for note in outcome.notes:
        print(f"beacon: {note}", file=sys.stderr)
    if outcome.status == "skipped":
        print(f"inventory: skipped ({outcome.reason}); nothing written")
        return 0
    counts = ", ".join(f"{v} {k}" for k, v in outcome.counts.items())
    snapshot = (
        f"snapshot in {outcome.snapshot_parts} part(s)" if outcome.snapshot_parts else "no snapshot"
    )
    print(
        f"inventory: {outcome.change_reason} {outcome.snapshot_digest}: heartbeat and {snapshot} "
        f"written to {outcome.log_path} ({counts})"
    )
    return 0
