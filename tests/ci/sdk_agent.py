"""A stand-in agent for CI tests: the official OpenTelemetry SDK, configured only by env.

    python sdk_agent.py [--prompts N] [--exit CODE] [--wait-signal MARKER]

Emits N Claude-Code-shaped `user_prompt` log records and one tool span through OTLP
exporters built without arguments (so `OTEL_EXPORTER_OTLP_*` decide where they go), shuts
the providers down (the final flush) and exits with CODE. With `--wait-signal`, it first
waits for SIGTERM or SIGINT, writes the signal's name to MARKER and exits 128+N.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

PROMPT = "CI prompt with a key sk-ant-api03-" + "A" * 90


def emit(prompts: int) -> None:
    """`prompts` prompt records and a span, flushed on shutdown."""
    resource = Resource.create({"service.name": "claude-code", "service.version": "2.0.0"})
    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    logger = logs.get_logger("com.anthropic.claude_code.events", "2.0.0")
    for n in range(prompts):
        logger.emit(
            LogRecord(
                body="claude_code.user_prompt",
                attributes={
                    "event.name": "user_prompt",
                    "session.id": "ci-session",
                    "prompt": f"{PROMPT} #{n}",
                    "prompt_length": "20",
                },
            )
        )
    traces = TracerProvider(resource=Resource.create({"service.name": "sdk-agent"}))
    traces.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    with traces.get_tracer("sdk").start_as_current_span("execute_tool Bash"):
        pass
    logs.shutdown()
    traces.shutdown()


def wait_for_signal(marker: str) -> int:
    """Block until SIGTERM/SIGINT; record which one; the shell-style exit code."""
    got: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: got.append(signum))
    with open(marker + ".ready", "w") as fh:
        fh.write(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    with open(marker, "w") as fh:
        fh.write(",".join(signal.Signals(s).name for s in got))
    return 128 + got[0] if got else 99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1)
    parser.add_argument("--exit", type=int, default=0)
    parser.add_argument("--wait-signal", default="")
    args = parser.parse_args()
    if args.prompts:
        emit(args.prompts)
    if args.wait_signal:
        return wait_for_signal(args.wait_signal)
    return args.exit


if __name__ == "__main__":
    sys.exit(main())
