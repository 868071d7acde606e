"""Render a Vector 0.54 config (TOML via tomlkit) that neither loses nor leaks events.

Shape for every destination: one `file` source per stream (rotation chain included,
checksum fingerprint), a `remap` that parses each line back into the original event and
reroutes malformed lines to a `malformed` sink, and one sink per stream with end-to-end
acknowledgements and a disk buffer. Destinations supply only the sink options.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import Table

from beacon.forwarding.destination import Destination, PackOptions, Stream

VECTOR_VERSION = "0.54"
DISK_BUFFER_BYTES = 536_870_912
MALFORMED_BUFFER_BYTES = 268_435_488  # Vector's minimum disk buffer size
MAX_LINE_BYTES = 1_048_576

PARSE_VRL = """\
# Parse the line back into the original Beacon event. A line that is not a JSON object
# aborts, and `reroute_dropped` sends it to `{id}.dropped` (shipped as `malformed`).
parsed, err = parse_json(string!(.message))
if err != null || !is_object(parsed) {{
  abort
}}
. = object!(parsed)
"""

MALFORMED_VRL = """\
# Wrap a line that failed to parse so it stays visible at the destination, raw and whole.
. = {
  "timestamp": format_timestamp!(now(), format: "%Y-%m-%dT%H:%M:%S%.3fZ"),
  "vendor": "beacon",
  "product": "endpoint-agent",
  "stream": "malformed",
  "event": {"kind": "forwarder_error", "action": "forwarder.malformed_line"},
  "log_file": .file,
  "raw_line": .message
}
"""

_COMMENTS: dict[str, str] = {
    "data_dir": (
        "Checkpoints and disk buffers live here; one directory per pack so packs never share state."
    ),
    "include": (
        "The active file and its whole rotation chain (.1 .. .99; lock files excluded). Rotation\n"
        "renames, so a line still unread in a renamed file is drained from `.N` after a restart."
    ),
    "fingerprint": (
        "Identity = checksum of the first line. Every Beacon line starts with a ms timestamp and\n"
        "carries a UUID, so identity survives the rename to `.1` and, unlike device_and_inode,\n"
        "cannot be fooled by inode reuse after `.5` is deleted."
    ),
    "read_from": (
        "Only for files without a checkpoint: ship what was written before Vector first started\n"
        "(`end` would silently skip it). Checkpointed files always resume where they stopped."
    ),
    "oldest_first": "Drain `.5` .. `.1` before the active file so events arrive in order.",
    "max_line_bytes": (
        "Inventory snapshots can be large; Vector discards lines above this (default 100 KiB)."
    ),
    "reroute_dropped": "Malformed lines go to the `.dropped` output instead of being discarded.",
    "acknowledgements": (
        "End to end: the file source advances its checkpoint only after this sink confirms "
        "delivery."
    ),
    "buffer": (
        "Disk buffer: events survive a crash or restart while the destination is unreachable."
    ),
}


def _sink_id(dest: Destination, stream: Stream) -> str:
    return f"{dest.name.replace('-', '_')}_{stream}"


def _file_source(options: PackOptions, stream: Stream) -> dict[str, Any]:
    active = str(options.log_file(stream))
    return {
        "type": "file",
        "include": [active, f"{active}.[1-9]", f"{active}.[1-9][0-9]"],
        "read_from": "beginning",
        "fingerprint": {"strategy": "checksum", "lines": 1, "ignored_header_bytes": 0},
        "oldest_first": True,
        "max_line_bytes": MAX_LINE_BYTES,
    }


def _parse_transform(dest: Destination, stream: Stream) -> dict[str, Any]:
    source = PARSE_VRL.format(id=f"{stream}_parse")
    if dest.vector_enrich is not None:
        source += dest.vector_enrich(stream)
    return {
        "type": "remap",
        "inputs": [f"beacon_{stream}"],
        "drop_on_error": True,
        "drop_on_abort": True,
        "reroute_dropped": True,
        "source": source,
    }


def build_config(dest: Destination, options: PackOptions) -> dict[str, Any]:
    """The Vector config as a plain dict (what `vector validate` would load)."""
    if dest.vector_sink is None:
        raise ValueError(f"{dest.name} has no Vector sink")
    sources: dict[str, Any] = {}
    transforms: dict[str, Any] = {}
    sinks: dict[str, Any] = {}
    for stream in options.streams:
        sources[f"beacon_{stream}"] = _file_source(options, stream)
        transforms[f"{stream}_parse"] = _parse_transform(dest, stream)
    malformed_source = MALFORMED_VRL
    if dest.vector_enrich is not None:
        malformed_source += dest.vector_enrich("malformed")
    transforms["malformed_envelope"] = {
        "type": "remap",
        "inputs": [f"{stream}_parse.dropped" for stream in options.streams],
        "source": malformed_source,
    }
    routes: list[tuple[Stream, str]] = [(s, f"{s}_parse") for s in options.streams]
    routes.append(("malformed", "malformed_envelope"))
    for stream, upstream in routes:
        sink_options = dest.vector_sink(stream, options)
        sink: dict[str, Any] = {
            "type": sink_options.pop("type"),
            "inputs": [upstream],
            **sink_options,
        }
        sink["acknowledgements"] = {"enabled": True, **sink.get("acknowledgements", {})}
        size = MALFORMED_BUFFER_BYTES if stream == "malformed" else DISK_BUFFER_BYTES
        sink["buffer"] = {"type": "disk", "max_size": size, "when_full": "block"}
        sinks[_sink_id(dest, stream)] = sink
    return {
        "data_dir": f"/var/lib/vector/beacon-{dest.name}",
        "sources": sources,
        "transforms": transforms,
        "sinks": sinks,
    }


def _value(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, literal=True, multiline=True)
    if isinstance(value, list) and len(value) > 1:
        array = tomlkit.array()
        array.extend(value)
        return array.multiline(True)
    return value


def _table(mapping: dict[str, Any], commented: set[str]) -> Table:
    """A TOML table; each explained key gets its comment once per file, where it first appears."""
    table = tomlkit.table()
    for key, value in mapping.items():
        if key in _COMMENTS and key not in commented:
            commented.add(key)
            for line in _COMMENTS[key].splitlines():
                table.add(tomlkit.comment(line))
        if isinstance(value, dict) and all(not isinstance(v, dict) for v in value.values()):
            inline = tomlkit.inline_table()
            inline.update(value)
            table.add(key, inline)
        elif isinstance(value, dict):
            table.add(key, _table(value, commented))
        else:
            table.add(key, _value(value))
    return table


def render_toml(dest: Destination, options: PackOptions, command: str) -> str:
    """`vector.toml` text: header, global options, then sources, transforms and sinks."""
    config = build_config(dest, options)
    doc = tomlkit.document()
    commented: set[str] = set()
    doc.add(tomlkit.comment(f"Vector {VECTOR_VERSION}+ config for {dest.title}. Generated by:"))
    doc.add(tomlkit.comment(f"  {command}"))
    doc.add(
        tomlkit.comment(
            "Regenerate instead of editing. Secrets: ${...} environment references only."
        )
    )
    doc.add(tomlkit.nl())
    for line in _COMMENTS["data_dir"].splitlines():
        doc.add(tomlkit.comment(line))
    doc.add("data_dir", config["data_dir"])
    for kind in ("sources", "transforms", "sinks"):
        section = tomlkit.table(is_super_table=True)
        for name, component in config[kind].items():
            section.add(name, _table(component, commented))
        doc.add(tomlkit.nl())
        doc.add(kind, section)
    return tomlkit.dumps(doc)


def render(dest: Destination, options: PackOptions, command: str) -> dict[str, str]:
    """Files this renderer contributes to a pack."""
    return {"vector.toml": render_toml(dest, options, command)}
