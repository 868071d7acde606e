"""CI mode: agent telemetry for one CI job, with no persistent service.

`beacon ci exec -- CMD` wraps one agent command; `beacon ci start` / `finish` bracket
agents that other steps launch; `beacon ci validate` checks a log. Each session runs a
temporary collector on free loopback ports (`collector`), points the agents at it through
their environment (`agents/`, one module per harness), stamps every event with the job's
run metadata (`providers/`, one module per CI system) and `origin: ci`, then validates
(`validate`), uploads with the shipper's sinks (`upload`) and reports (`report`).
The GitHub Action (`action.yml` at the repository root) runs these commands.
"""

from __future__ import annotations
