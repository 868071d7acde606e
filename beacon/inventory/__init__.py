"""Inventory: which agents, configs, MCP servers and skills this endpoint has.

Metadata only: names, paths, hashes, scope, modified times, parser status and counts;
never secret values, environment or header values, argument values or skill bodies.
`beacon inventory` prints it; `--write-event` appends `inventory.heartbeat` and, when the
snapshot digest changed, `inventory.snapshot` to `inventory_state.jsonl`. This package's
`__init__` imports nothing, so `beacon-hooks` can reach `beacon.inventory.trigger` cheaply.
"""
