"""Compose and write a content pack: shipper config, README, samples, smoke test, extras.

A pack is plain data (`Pack.files`) until `write_pack` puts it on disk: files 0644,
scripts 0755, directories 0755 — never world-writable — and existing files are refused
unless `force`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from beacon.errors import StorageError, UsageError
from beacon.forwarding.destination import SYSTEM_LOG_DIR, Destination, PackOptions
from beacon.forwarding.destinations import DESTINATIONS
from beacon.forwarding.renderers import datadog_agent, filebeat, sql, vector
from beacon.forwarding.samples import sample_jsonl

Renderer = Callable[[Destination, PackOptions, str], dict[str, str]]
RENDERERS: dict[str, Renderer] = {
    "vector": vector.render,
    "filebeat": filebeat.render,
    "datadog-agent": datadog_agent.render,
    "sql": sql.render,
}
SMOKE_TEST = "smoke-test.sh"
_ENV_REF = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::[-?][^}]*)?\}")


@dataclass(frozen=True)
class Pack:
    """The files of one pack, by relative path; `executables` get mode 0755."""

    destination: Destination
    shipper: str
    files: dict[str, str]
    executables: frozenset[str]


def get_destination(name: str) -> Destination:
    """The registered destination `name`, or a `UsageError` listing the valid ones."""
    try:
        return DESTINATIONS[name]
    except KeyError:
        raise UsageError(
            f"unknown destination {name!r}; choose one of: {', '.join(DESTINATIONS)}"
        ) from None


def resolve_shipper(dest: Destination, shipper: str | None) -> str:
    """`shipper` if `dest` supports it (default: its first), else a `UsageError` naming the "
    "supported."""
    if shipper is None:
        return dest.shippers[0]
    if shipper not in dest.shippers:
        raise UsageError(
            f"destination {dest.name!r} does not support shipper {shipper!r}; "
            f"supported: {', '.join(dest.shippers)}"
        )
    return shipper


def command_line(dest: Destination, shipper: str, options: PackOptions) -> str:
    """The `beacon forward generate` invocation that reproduces a pack (written into headers)."""
    parts = ["beacon", "forward", "generate", "--dest", dest.name, "--shipper", shipper]
    if shipper == "sql":  # query packs read shipped objects, not the log directory
        if options.data_root is not None:
            parts += ["--root", options.data_root]
    elif options.system and options.log_dir == SYSTEM_LOG_DIR:
        parts.append("--system")
    else:
        parts += ["--log-dir", str(options.log_dir)]
    if options.prefix != "beacon" and shipper != "sql":
        parts += ["--prefix", options.prefix]
    if options.streams != ("runtime", "inventory"):
        parts += ["--streams", ",".join(options.streams)]
    return shlex.join(parts)


def smoke_script(dest: Destination, options: PackOptions) -> str:
    """`smoke-test.sh`: strict bash, a temp dir, then the destination's own check."""
    return (
        "#!/usr/bin/env bash\n"
        f"# Smoke test for {dest.title}: send one sample event and check the destination accepts "
        "it.\n"
        "# Reads its settings and secrets from the environment only (see README.md).\n"
        "set -euo pipefail\n"
        'PACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"\n'
        'tmp="$(mktemp -d)"\n'
        "trap 'rm -rf \"$tmp\"' EXIT\n\n" + dest.smoke_test(options)
    )


def referenced_env(files: dict[str, str]) -> list[str]:
    """Env vars the pack's files reference as `${NAME}`, in first-seen order."""
    seen: dict[str, None] = {}
    for text in files.values():
        for match in _ENV_REF.finditer(text):
            seen.setdefault(match.group(1), None)
    return list(seen)


_SHIPPER_SETUP = {
    "vector": (
        "1. Install Vector ≥ 0.54 (<https://vector.dev/docs/setup/installation/>).\n"
        "2. Copy `vector.toml` to `/etc/vector/vector.toml` (or pass `--config`). Create the\n"
        "   `data_dir` it names, owned by the `vector` user: checkpoints and disk buffers live "
        "there.\n"
        "3. Put the environment variables below in `/etc/default/vector` (mode 0600, root-owned);\n"
        "   Vector interpolates `${NAME}` at start-up, so no secret is ever written to the "
        "config.\n"
        "4. Let Vector read the logs: system mode files are 0640, add `vector` to the log group;\n"
        "   user mode files are 0600, so run Vector as that user.\n"
        "5. `vector validate --no-environment /etc/vector/vector.toml`, then restart Vector.\n"
    ),
    "filebeat": (
        "1. Install Filebeat 9.x (<https://www.elastic.co/downloads/beats/filebeat>).\n"
        "2. Copy the `filebeat*.yml` variant you need to `/etc/filebeat/filebeat.yml` (Filebeat\n"
        "   allows exactly one output).\n"
        "3. Put the environment variables below in Filebeat's environment, or in its keystore\n"
        "   (`filebeat keystore add ELASTICSEARCH_API_KEY`); `${NAME}` resolves from both.\n"
        "4. Let Filebeat read the logs: system mode files are 0640, add its user to the log "
        "group.\n"
        "5. `filebeat test config -c /etc/filebeat/filebeat.yml && filebeat test output`, then "
        "restart.\n"
    ),
    "datadog-agent": (
        "1. Install the Datadog Agent 7.x.\n"
        "2. Copy `conf.d/beacon.d/conf.yaml` to `/etc/datadog-agent/conf.d/beacon.d/conf.yaml`\n"
        "   and merge `datadog.yaml` into `/etc/datadog-agent/datadog.yaml`.\n"
        "3. Set `DD_API_KEY` (and `DD_SITE`) in the Agent's environment, not in `datadog.yaml`.\n"
        "4. Let the Agent read the logs: system mode files are 0640, add `dd-agent` to the log "
        "group.\n"
        "5. Restart the Agent; `datadog-agent status` shows a `beacon` logs section.\n"
    ),
    "sql": (
        "1. Ship the logs first: `beacon ship` (S3, GCS or `--sink file`) or a Vector object\n"
        "   store pack; both write `<prefix>/<stream>/date=YYYY-MM-DD/*.jsonl.gz`.\n"
        "2. Render the `${NAME}` parameters of `tables.sql` (below; never written literally)\n"
        "   and run it once: it creates `beacon_runtime` and `beacon_inventory`.\n"
        "3. Set `BEACON_QUERY_FROM` / `BEACON_QUERY_TO` (UTC days) and run any query of\n"
        "   `queries.sql`; each is introduced by a `-- name:` line. See docs/fleet.md.\n"
    ),
}

_SHIPPER_GUARANTEES = {
    "vector": (
        "- **Rotation**: each `file` source includes the active file *and* `.1` … `.99`. Beacon\n"
        "  rotates by rename under a lock, and the checksum fingerprint (first line: ms timestamp\n"
        "  + event UUID) follows a file across renames, so a line not yet read when the file\n"
        '  became `.1` is still read, even after a restart. `read_from = "beginning"` applies '
        "only\n"
        "  to files without a checkpoint, so first start ships history instead of skipping it.\n"
        "- **Delivery**: every sink has `acknowledgements.enabled = true`; the file source moves\n"
        "  its checkpoint only after the sink confirmed the batch. Disk buffers (`when_full =\n"
        '  "block"`) keep events across crashes and outages without dropping any.\n'
        "- **Malformed lines**: the `remap` parses each line back into the original event; a line\n"
        "  that is not a JSON object is rerouted (`reroute_dropped`) to a `malformed` sink with "
        "the\n"
        "  raw text in `raw_line`, so it is visible at the destination, never silently dropped.\n"
        "- **Streams**: runtime and inventory have separate sources and sinks, so one stream's\n"
        "  backlog never holds up the other.\n"
    ),
    "filebeat": (
        "- **Rotation**: `paths` covers the active file and `.1` … `.99`; fingerprint file "
        "identity\n"
        "  keeps the registry offset across the rename. The fingerprint length is lowered to 256\n"
        "  bytes so a small `inventory_state.jsonl` is not ignored (Filebeat skips files shorter\n"
        "  than the fingerprint; the default is 1024).\n"
        "- **Delivery**: Filebeat updates its registry only when the output acknowledges.\n"
        "- **Malformed lines**: the `ndjson` parser's `add_error_key` ships them with\n"
        "  `error.message` set and the raw text in `message`.\n"
        "- **Streams**: one `filestream` input per stream, each with a unique, stable `id`.\n"
    ),
    "datadog-agent": (
        "- **Rotation**: the Agent tails the active files and keeps reading a renamed file to its\n"
        "  end. It does not see lines of a file rotated while the Agent was stopped; use Vector\n"
        "  when that window matters.\n"
        "- **Malformed lines**: the Agent ships every line; lines that are not JSON appear as\n"
        "  plain-text logs with `source:beacon`.\n"
    ),
    "sql": (
        "- **Every event once**: `beacon ship` writes each line to exactly one object, under a\n"
        "  deterministic key, so counts are exact (no duplicate objects after a crash).\n"
        "- **No event outside the window's partitions**: an object's `date` is that of its\n"
        "  first event; the queries read one extra day each side, then filter on each event's\n"
        "  own `timestamp`, so an object that spans midnight or a late event is still counted.\n"
        "- **Malformed lines** never fail a scan: they are skipped (a row without timestamp\n"
        "  in DuckDB, `ignore.malformed.json` in Athena, `max_bad_records` in BigQuery).\n"
        "- **All fields kept**: columns follow schema 1.1; open objects (`gen_ai`, `raw`) stay\n"
        "  JSON, so nothing in the event is unreachable from SQL.\n"
    ),
}


def render_readme(
    dest: Destination, shipper: str, options: PackOptions, files: dict[str, str]
) -> str:
    """README.md: files, setup, every env var the pack reads, destination setup, guarantees."""
    documented = {v.name: v for v in dest.env}
    rows = []
    # Declared vars first (some, like AWS credentials, are read by the shipper implicitly).
    for name in dict.fromkeys([*documented, *referenced_env(files)]):
        var = documented.get(name)
        desc = var.description if var else "Read by the shipper at start-up."
        secret = "yes" if var and var.secret else "no"
        default = f"`{var.default}`" if var and var.default else "—"
        rows.append(f"| `{name}` | {secret} | {default} | {desc} |")
    listing = "".join(f"- `{path}`\n" for path in sorted(files))
    if shipper == "sql":
        scope = "Queries the " + " and ".join(options.streams) + " streams where they were shipped."
        smoke = (
            f"`./{SMOKE_TEST}` checks that {dest.title} answers a count over the tables (the\n"
            "DuckDB one lays `sample-event.jsonl` out as a tiny root and reads it back).\n"
        )
    else:
        log_files = ", ".join(f"`{options.log_file(s)}`" for s in options.streams)
        scope = f"Forwards {log_files} (and their rotated `.N` files)."
        smoke = (
            f"`./{SMOKE_TEST}` sends the first line of `sample-event.jsonl` straight to the\n"
            "destination (no shipper involved) and fails unless the destination accepts it.\n"
        )
    return (
        f"# Agent Beacon → {dest.title} ({shipper})\n\n"
        f"{dest.summary} {scope}\n"
        f"Generated by `{command_line(dest, shipper, options)}`; regenerate rather than edit.\n\n"
        "## Files\n\n" + listing + "- `README.md` (this file)\n\n"
        "## Setup\n\n" + _SHIPPER_SETUP[shipper] + "\n"
        "## Environment variables\n\n"
        + (
            "Storage names are `${NAME}` parameters, never literals: render them (e.g. with\n"
            "`envsubst` naming the variables) before running the SQL.\n\n"
            if shipper == "sql"
            else "Secrets are only ever referenced as `${NAME}`; set them in the shipper's "
            "environment.\n\n"
        )
        + "| variable | secret | default | meaning |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        "## Destination-side setup\n\n" + dest.destination_setup(options) + "\n"
        "## How this config avoids loss\n\n" + _SHIPPER_GUARANTEES[shipper] + "\n"
        "## Smoke test\n\n"
        + smoke
        + "`sample-event.jsonl` holds valid schema 1.1 events of "
        + " and ".join(options.streams)
        + " streams.\n"
        + (f"\n## Notes\n\n{dest.notes}\n" if dest.notes else "")
    )


def build_pack(dest_name: str, shipper: str | None, options: PackOptions) -> Pack:
    """All files of the pack for `dest_name` rendered by `shipper` (default: its first)."""
    dest = get_destination(dest_name)
    chosen = resolve_shipper(dest, shipper)
    files = RENDERERS[chosen](dest, options, command_line(dest, chosen, options))
    files.update(dest.extra_files(options))
    files["sample-event.jsonl"] = sample_jsonl(options.streams)
    files[SMOKE_TEST] = smoke_script(dest, options)
    files["README.md"] = render_readme(dest, chosen, options, files)
    return Pack(dest, chosen, files, frozenset({SMOKE_TEST}))


def write_pack(pack: Pack, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the pack under `out_dir`; refuses to overwrite unless `force`. Returns the paths."""
    targets = {rel: out_dir / rel for rel in pack.files}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} exists ({len(existing)} pack files do); pass --force")
    written: list[Path] = []
    try:
        for rel, path in sorted(targets.items()):
            path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            mode = 0o755 if rel in pack.executables else 0o644
            tmp = path.with_name(f".{path.name}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(pack.files[rel])
            os.chmod(tmp, mode)  # exact mode whatever the umask: readable, never world-writable
            os.replace(tmp, path)
            written.append(path)
    except OSError as exc:
        raise StorageError(f"cannot write pack to {out_dir}: {exc}") from exc
    return written
