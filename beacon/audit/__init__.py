"""The audit trail: read, query, summarize, verify and export Beacon's logs.

One concept per module: `reader` (a stream's lines across the active file and its archives,
either direction), `query` (`Filter` and `search`, shared by `beacon logs` and the
dashboard), `sessions` (per-session summaries and timelines), `usage` (tokens and cost by
day, model and harness), `verify` (the hash chain), `export` (auditor exports), `tail`
(`--follow`), `formats` (tables, CSV) and `cli`. Names load on first use (PEP 562), so
`beacon --help` does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beacon import lazy_names

if TYPE_CHECKING:
    from beacon.audit.export import ExportResult, export
    from beacon.audit.query import (
        Filter,
        Match,
        Position,
        PositionGone,
        ScanStats,
        event_at,
        iter_search,
        parse_time,
        search,
        search_files,
    )
    from beacon.audit.reader import Line, iter_lines, snapshot, stream_files, stream_lines
    from beacon.audit.sessions import (
        SessionSummary,
        SessionTally,
        sessions,
        summaries_of,
        summarize,
        tally,
        timeline,
    )
    from beacon.audit.tail import follow
    from beacon.audit.usage import Totals, UsageKey, UsageRow, add_usage, usage_of, usage_totals
    from beacon.audit.verify import (
        ChainReport,
        Damage,
        Finding,
        Keys,
        verify_lines,
        verify_paths,
        verify_stream,
    )

__all__ = [
    "ChainReport",
    "Damage",
    "ExportResult",
    "Filter",
    "Finding",
    "Keys",
    "Line",
    "Match",
    "Position",
    "PositionGone",
    "ScanStats",
    "SessionSummary",
    "SessionTally",
    "Totals",
    "UsageKey",
    "UsageRow",
    "add_usage",
    "event_at",
    "export",
    "follow",
    "iter_lines",
    "iter_search",
    "parse_time",
    "search",
    "search_files",
    "sessions",
    "snapshot",
    "stream_files",
    "stream_lines",
    "summaries_of",
    "summarize",
    "tally",
    "timeline",
    "usage_of",
    "usage_totals",
    "verify_lines",
    "verify_paths",
    "verify_stream",
]

_HOMES = {
    "ExportResult": "export",
    "export": "export",
    "Filter": "query",
    "Match": "query",
    "Position": "query",
    "PositionGone": "query",
    "ScanStats": "query",
    "event_at": "query",
    "iter_search": "query",
    "parse_time": "query",
    "search": "query",
    "search_files": "query",
    "Line": "reader",
    "iter_lines": "reader",
    "snapshot": "reader",
    "stream_files": "reader",
    "stream_lines": "reader",
    "SessionSummary": "sessions",
    "SessionTally": "sessions",
    "tally": "sessions",
    "summaries_of": "sessions",
    "Totals": "usage",
    "UsageKey": "usage",
    "add_usage": "usage",
    "UsageRow": "usage",
    "usage_of": "usage",
    "usage_totals": "usage",
    "sessions": "sessions",
    "summarize": "sessions",
    "timeline": "sessions",
    "follow": "tail",
    "ChainReport": "verify",
    "Damage": "verify",
    "Finding": "verify",
    "Keys": "verify",
    "verify_lines": "verify",
    "verify_paths": "verify",
    "verify_stream": "verify",
}


__getattr__ = lazy_names(__name__, _HOMES)
