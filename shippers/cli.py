"""`beacon ship` and `beacon ship status`: parse flags, build a `ShipConfig`, run.

Heavy libraries (boto3, google-cloud-storage, httpx, azure-identity) are imported only
inside the handlers and sink modules, so `beacon --help` stays fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from beacon.errors import ConfigError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ship` (and `ship status`) to the `beacon` parser."""
    ship = subparsers.add_parser(
        "ship",
        help="ship runtime.jsonl and inventory_state.jsonl to S3, GCS, Splunk HEC, Sentinel "
        "or a directory",
        description=(
            "Tail the Beacon log files with checkpoints and ship them as gzip NDJSON. "
            "Object stores and the file sink get every line exactly once; Splunk HEC and "
            "Sentinel at least once. Credentials come only from env vars and SDK credential "
            "chains. See docs/shipper.md."
        ),
    )
    _add_common(ship)
    ship.add_argument(
        "--sink",
        choices=["s3", "gcs", "splunk-hec", "sentinel", "file"],
        help="destination (env BEACON_SHIP_SINK)",
    )
    ship.add_argument("--streams", help="comma list of runtime,inventory (default both)")
    ship.add_argument(
        "--once", action="store_true", help="ship what exists, flush and exit 0 (backfills, cron)"
    )
    ship.add_argument("--batch-max-bytes", type=int, help="close a batch at this many raw bytes")
    ship.add_argument("--batch-max-age", type=float, help="close a batch after this many seconds")
    ship.add_argument(
        "--shutdown-deadline",
        type=float,
        help="seconds to keep flushing after SIGTERM (default 10)",
    )
    ship.add_argument(
        "--metrics-address",
        help="loopback host:port for /metrics, or 'off' (default 127.0.0.1:9465)",
    )
    ship.add_argument("--host", help="host name used in object keys and HEC `host`")
    ship.add_argument("--compressor", choices=["auto", "isal", "zlib"], help="gzip implementation")
    s3 = ship.add_argument_group("S3 and GCS")
    s3.add_argument("--bucket", help="bucket (env BEACON_S3_BUCKET / BEACON_GCS_BUCKET)")
    s3.add_argument("--prefix", help="key prefix (default beacon)")
    s3.add_argument("--region", help="S3 region (env AWS_REGION)")
    s3.add_argument("--endpoint-url", help="S3-compatible endpoint (env AWS_ENDPOINT_URL)")
    s3.add_argument("--project", help="GCS project (env GOOGLE_CLOUD_PROJECT)")
    local = ship.add_argument_group("file (a local or mounted directory: NFS, SMB, synced)")
    local.add_argument(
        "--root", help="directory that receives the object layout (env BEACON_DATA_ROOT)"
    )
    local.add_argument(
        "--group-readable",
        action="store_true",
        default=None,
        help="objects 0640 and directories 0750 instead of 0600/0700",
    )
    hec = ship.add_argument_group("Splunk HEC (token from env BEACON_SPLUNK_HEC_TOKEN)")
    hec.add_argument("--hec-url", help="https://splunk:8088 (env BEACON_SPLUNK_HEC_URL)")
    hec.add_argument("--index", help="Splunk index")
    hec.add_argument("--sourcetype", help="sourcetype (default beacon:endpoint)")
    hec.add_argument("--source", help="source (default the file path)")
    hec.add_argument(
        "--hec-ack", action="store_true", default=None, help="wait for indexer acknowledgement"
    )
    sen = ship.add_argument_group("Sentinel / Azure Logs Ingestion (azure-identity credentials)")
    sen.add_argument("--dce-endpoint", help="https://<dce>.<region>.ingest.monitor.azure.com")
    sen.add_argument("--dcr-id", help="immutable id of the data collection rule (dcr-…)")
    sen.add_argument(
        "--stream-name",
        action="append",
        default=[],
        metavar="STREAM=NAME",
        help="DCR stream per Beacon stream, e.g. runtime=Custom-BeaconRuntime",
    )
    ship.set_defaults(func=handle_ship)

    sub = ship.add_subparsers(dest="ship_command", metavar="status")
    status = sub.add_parser("status", help="show per-stream offset, lag, errors and counters")
    _add_common(status)
    status.add_argument(
        "--sink",
        choices=["s3", "gcs", "splunk-hec", "sentinel", "file"],
        help="which sink's default state dir to read",
    )
    status.add_argument("--streams", help="comma list of runtime,inventory (default both)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=handle_status)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file with a [ship] table")
    parser.add_argument(
        "--log-dir",
        help="dir with runtime.jsonl and inventory_state.jsonl (default ~/.beacon/endpoint/logs)",
    )
    parser.add_argument("--state-dir", help="checkpoint dir (default ~/.beacon/ship/<sink>)")


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    flags = {k: v for k, v in vars(args).items() if k not in ("func", "config")}
    for item in getattr(args, "stream_name", []) or []:
        stream, sep, name = item.partition("=")
        if not sep or stream not in ("runtime", "inventory"):
            raise ConfigError(f"--stream-name {item!r}: use runtime=NAME or inventory=NAME")
        flags[f"stream_name_{stream}"] = name
    return flags


def _config(args: argparse.Namespace) -> Any:
    from shippers import config

    table = config.load_toml(args.config) if args.config else {}
    return config.build(_flags(args), table)


def handle_ship(args: argparse.Namespace) -> int:
    """Run the shipper until SIGTERM/SIGINT (or until drained with --once)."""
    from shippers._metrics import MetricsServer, render_states
    from shippers._runner import Shipper

    cfg = _config(args)
    if not cfg.log_dir.is_dir():
        print(
            f"beacon ship: warning: log dir {cfg.log_dir} does not exist (yet); waiting",
            file=sys.stderr,
        )
    progress = _Progress(cfg) if args.once and sys.stderr.isatty() else None
    shipper = Shipper(cfg, on_commit=progress.update if progress else None)

    def stop(signum: int, frame: object) -> None:
        shipper.request_stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    metrics = None
    if not args.once and cfg.metrics_address:
        try:
            metrics = MetricsServer(
                cfg.metrics_address, lambda: render_states(shipper.states, cfg.sink)
            )
            metrics.start()
        except OSError as exc:  # shipping matters more than metrics: warn and go on
            print(
                f"beacon ship: warning: /metrics on {cfg.metrics_address}: {exc.strerror}",
                file=sys.stderr,
            )
    try:
        code = shipper.run(once=args.once)
    finally:
        if metrics is not None:
            metrics.stop()
        if progress is not None:
            progress.finish()
        shipper.sink.close()
    return code


def handle_status(args: argparse.Namespace) -> int:
    """Print status for each stream; exit 1 if a stream has stopped on an error."""
    from shippers import config
    from shippers._status import render_json, render_text, stream_status

    table = config.load_toml(args.config) if args.config else {}
    flags = _flags(args)
    flags["sink"] = flags.get("sink") or table.get("sink") or config.env("BEACON_SHIP_SINK")
    if not flags["sink"] and not (flags.get("state_dir") or table.get("state_dir")):
        raise ConfigError("ship status: give --state-dir or --sink")
    flags["sink"] = flags["sink"] or "s3"
    cfg = config.build(flags, table)
    report = [stream_status(cfg.log_dir, cfg.state_dir, s) for s in cfg.streams]
    sys.stdout.write(render_json(report) if args.json else render_text(report))
    return 1 if any(s.get("stopped") or s.get("error") for s in report) else 0


class _Progress:
    """A one-line progress bar on stderr for `--once` on a terminal."""

    def __init__(self, cfg: Any) -> None:
        from shippers._status import stream_status

        self.total = sum(
            stream_status(cfg.log_dir, cfg.state_dir, s)["lag_bytes"] for s in cfg.streams
        )
        self.done = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def update(self, state: Any, batch: Any) -> None:
        with self.lock:
            self.done += batch.end - batch.start
            frac = min(1.0, self.done / self.total) if self.total else 1.0
            bar = "#" * int(frac * 30)
            rate = self.done / max(1e-6, time.monotonic() - self.started) / 1e6
            sys.stderr.write(
                f"\rshipping [{bar:<30}] {frac:6.1%} {self.done / 1e6:,.1f}/"
                f"{self.total / 1e6:,.1f} MB {rate:,.1f} MB/s"
            )
            sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
