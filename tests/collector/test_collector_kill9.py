"""Acknowledged means written: kill `beacon run` with SIGKILL under load, and lose nothing acked.

Three exporter threads send OTLP/HTTP requests with numbered records while the collector
is killed with SIGKILL and restarted in a loop. An OTLP exporter never resends what was
answered 200, so every record of an answered request must be in the log afterwards.
"""

from __future__ import annotations

import random
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest
from collector_harness import RunningCollector, start_collector

CLIENTS = 3
RECORDS = 20
CYCLES = 8
SEQ = re.compile(rb"ack:(c\d-\d{6}-\d{2})")


def _request(client: int, number: int) -> bytes:
    records = [
        {
            "timeUnixNano": str(time.time_ns()),
            "body": {"stringValue": f"ack:c{client}-{number:06d}-{i:02d}"},
            "attributes": [{"key": "event.name", "value": {"stringValue": "ack_test"}}],
        }
        for i in range(RECORDS)
    ]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "ack-test"}}]}
    body = {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": records}]}]}
    return orjson.dumps(body)


class Exporters:
    """Client threads that remember which records the collector acknowledged."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.acked: set[str] = set()
        self.answered = 0
        self.refused = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(c,)) for c in range(CLIENTS)]

    def _run(self, client: int) -> None:
        number = 0
        with httpx.Client(timeout=3.0) as http:
            while not self.stop.is_set():
                address = self.address
                if address is None:
                    time.sleep(0.01)
                    continue
                number += 1
                body = _request(client, number)
                try:
                    response = http.post(
                        f"http://{address}/v1/logs",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                except httpx.HTTPError:
                    with self.lock:
                        self.refused += 1
                    time.sleep(0.01)
                    continue
                if response.status_code == 200:
                    ids = {m.decode() for m in SEQ.findall(body)}
                    with self.lock:
                        self.acked |= ids
                        self.answered += 1


def _written(log_dir: Path) -> set[str]:
    found: set[str] = set()
    for path in log_dir.glob("runtime.jsonl*"):
        if path.suffix in (".lock", ".torn"):
            continue
        found |= {m.decode() for m in SEQ.findall(path.read_bytes())}
    return found


@pytest.mark.slow
def test_no_acknowledged_record_is_lost_when_the_collector_is_killed(tmp_path: Path) -> None:
    """SIGKILL in a loop under three concurrent exporters: every acknowledged record is on disk."""
    log_dir = tmp_path / "logs"
    config = tmp_path / "beacon.toml"
    # Room for every line the run writes: records rotated out of the last archive are gone
    # by design (bounded disk), which is not what this test is about.
    config.write_text("[writer]\nrotate_bytes = 1073741824\n", encoding="utf-8")
    env = {"HOME": str(tmp_path / "home"), "BEACON_CONFIG": str(config)}
    exporters = Exporters()
    for thread in exporters.threads:
        thread.start()
    rng = random.Random(7)
    running: RunningCollector | None = None
    try:
        for _ in range(CYCLES):
            running = start_collector(log_dir, env=env)
            exporters.address = running.http
            time.sleep(rng.uniform(0.4, 0.9))
            running.process.send_signal(signal.SIGKILL)
            running.process.wait(10)
            exporters.address = None
        running = start_collector(log_dir, env=env)
        exporters.address = running.http
        time.sleep(0.5)
    finally:
        exporters.stop.set()
        for thread in exporters.threads:
            thread.join(10)
        if running is not None:
            running.stop()
    assert exporters.answered > CYCLES * 5, "the exporters hardly got through: nothing tested"
    lost = exporters.acked - _written(log_dir)
    assert not lost, f"{len(lost)} of {len(exporters.acked)} acknowledged records missing"
