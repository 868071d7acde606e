"""The collector's `/metrics`: ingest, mapping, pipeline and writer counters as families.

Every number comes from a typed stats object (`IngestStats`, `PipelineStats`,
`WriterStats`, the mapper's counters), rendered by `beacon.collector.prometheus`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from beacon.collector.prometheus import Family, by_label, labels, render
from beacon.ingest import IngestStats
from beacon.logfiles.writer import WriterStats
from beacon.pipeline.base import PipelineStats


def collector_metrics(
    ingest: IngestStats,
    pipeline: PipelineStats,
    processor_counts: Mapping[str, int],
    mapper_dropped: Mapping[str, int],
    mapping_errors: int,
    writer: WriterStats,
) -> str:
    """The exposition text of one collector's counters."""
    dropped: Counter[str] = Counter()
    dropped.update({f"pipeline_{k}": v for k, v in pipeline.dropped.items()})
    dropped.update({f"mapper_{k}": v for k, v in mapper_dropped.items()})
    families = [
        Family(
            "beacon_otlp_records_received_total",
            "counter",
            "OTLP log records, spans and data points received (and hook payloads).",
            by_label("signal", ingest.received, empty="logs"),
        ),
        Family(
            "beacon_otlp_requests_total",
            "counter",
            "OTLP export requests answered, by transport, signal and status.",
            [
                (labels(transport=t, signal=s, code=c), n)
                for (t, s, c), n in sorted(ingest.requests.items())
            ],
        ),
        Family(
            "beacon_events_mapped_total",
            "counter",
            "Events produced by runtime mappers.",
            [("", ingest.events_mapped)],
        ),
        Family(
            "beacon_events_accepted_total",
            "counter",
            "Events accepted by the pipeline.",
            [("", pipeline.accepted)],
        ),
        Family(
            "beacon_events_queued_total",
            "counter",
            "Events handed to the writer.",
            [("", ingest.events_queued)],
        ),
        Family(
            "beacon_events_acknowledged_total",
            "counter",
            "Events written before their request was answered.",
            [("", ingest.events_written)],
        ),
        Family(
            "beacon_events_dropped_total",
            "counter",
            "Records or events deliberately dropped, by reason.",
            by_label("reason", dropped, empty="none"),
        ),
        Family(
            "beacon_redactions_total",
            "counter",
            "Secrets redacted.",
            [("", processor_counts.get("redactions", 0))],
        ),
        Family(
            "beacon_truncations_total",
            "counter",
            "Fields truncated.",
            [("", processor_counts.get("truncations", 0))],
        ),
        Family(
            "beacon_events_degraded_total",
            "counter",
            "Events written with parts cut (size cap, nesting depth).",
            [("", processor_counts.get("degraded", 0) + ingest.degraded_records)],
        ),
        Family(
            "beacon_events_duplicates_marked_total",
            "counter",
            "Events marked as a repeat of the same tool call seen on another path.",
            [("", processor_counts.get("duplicates", 0))],
        ),
        Family(
            "beacon_mapping_errors_total",
            "counter",
            "Records a mapper failed on (kept as telemetry.unclassified).",
            [("", mapping_errors)],
        ),
        Family(
            "beacon_backpressure_rejections_total",
            "counter",
            "Requests refused because the writer queue was full.",
            [("", ingest.busy_rejections)],
        ),
        Family(
            "beacon_write_timeouts_total",
            "counter",
            "Requests answered 'retry later' because their events were not written in time.",
            [("", ingest.write_timeouts)],
        ),
        Family(
            "beacon_ingest_seconds_total",
            "counter",
            "Time spent mapping and processing.",
            [("", ingest.ingest_seconds)],
        ),
        Family(
            "beacon_events_written_total",
            "counter",
            "Events written to disk.",
            by_label("stream", writer.written),
        ),
        Family("beacon_writer_errors_total", "counter", "Writer errors.", [("", writer.errors)]),
        Family(
            "beacon_writer_queue_depth",
            "gauge",
            "Events waiting in the writer queue.",
            [("", writer.queue_depth)],
        ),
        Family(
            "beacon_write_latency_seconds",
            "summary",
            "Writer batch write (append + fsync) latency.",
            [("_sum", float(writer.write_seconds_total)), ("_count", writer.batches)],
        ),
        Family(
            "beacon_write_latency_max_seconds",
            "gauge",
            "Slowest writer batch so far.",
            [("", float(writer.write_seconds_max))],
        ),
    ]
    return render(families)
