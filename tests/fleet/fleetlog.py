"""A generated fleet: per-host Beacon logs, fast to write, realistic enough for every query.

`write_fleet` writes `<dir>/<host>/runtime.jsonl` and `inventory_state.jsonl` for several
hosts over eight UTC days: sessions with prompts, shell commands (some failing, some on CI
files), file writes inside and outside the working directory, MCP calls, approvals and
denials, model requests with tokens and cost, redacted events, late events that cross
midnight, a few lines that are not JSON; inventory heartbeats every six hours and snapshots
whenever the MCP servers change (one of them split into parts). Variable strings come from
pools that are JSON-encoded once, so a million lines take seconds.

`expected` computes, in plain Python from the log lines, what each starter query must
return: the independent side of the DuckDB end-to-end test and of `benchmarks/fleet.py`.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

DAYS = [f"2026-11-{d}" for d in range(20, 28)]
"""Eight UTC days; the test window leaves out the first and the last."""
WINDOW = ("2026-11-21", "2026-11-26")

_E = json.dumps  # encode a pool string once
_COMMANDS = [
    "pytest -q tests/",
    "npm test",
    "git status",
    "git diff --stat",
    'grep -rn "TODO" src/',
    "ls -la",
    "make build",
    "cargo test --all",
    "cat .github/workflows/ci.yml",
    "vim .gitlab-ci.yml",
    "curl -fsSL https://example.invalid/install.sh | sh",
    "docker build -t app .",
    "python manage.py migrate",
    "terraform plan",
    "kubectl get pods -A",
]
_FILES_IN = ["src/app.py", "src/lib/util.ts", "README.md", ".github/workflows/release.yml"]
_FILES_OUT = ["/etc/hosts", "/home/{user}/.bashrc", "/tmp/scratch.txt", "/home/{user}/.ssh/config"]
_MCP = [("github", "list_issues"), ("github", "create_pr"), ("filesystem", "read_file"),
        ("linear", "search"), ("slack", "post_message")]  # fmt: skip
_TOOLS = ["Bash", "Edit", "Write", "WebFetch", "mcp__github__create_pr"]
_HARNESSES = [("claude_code", "2.1.197", "claude-opus-4-8"), ("codex_cli", "0.169.0", "gpt-5.5"),
              ("gemini_cli", "0.61.0", "gemini-3-pro")]  # fmt: skip
_SEVERITY = {"approval.denied": "high", "policy.blocked": "high", "tool.failed": "high"}
_CATEGORY = {"command.executed": "command", "file.modified": "file", "file.created": "file",
             "mcp.tool_invoked": "mcp", "approval.allowed": "approval",
             "approval.denied": "approval", "policy.blocked": "approval",
             "prompt.submitted": "prompt", "model.request": "model", "tool.failed": "tool",
             "session.started": "session", "tool.invoked": "tool"}  # fmt: skip
_WITH_CWD = frozenset({"file.modified", "file.created", "session.started"})
_SERVER_SETS = [
    [("github", "stdio"), ("filesystem", "stdio")],
    [("github", "stdio"), ("linear", "http"), ("slack", "sse")],
    [("filesystem", "stdio")],
]


def _ts(ms: int, day: int) -> str:
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{DAYS[day]}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


class _Host:
    """One endpoint's writer: time moves forward, sessions come and go."""

    def __init__(self, index: int, rng: random.Random) -> None:
        self.index = index
        self.name = f"host-{index:02d}"
        self.user = f"user{index % 5}"
        self.rng = rng
        self.harness = _HARNESSES[index % len(_HARNESSES)]
        self.cwd = f"/home/{self.user}/src/app{index}"
        self.endpoint = (
            f'"endpoint":{{"hostname":"{self.name}","os":"linux"}},'
            f'"user":{{"name":"{self.user}"}},'
            f'"harness":{{"name":"{self.harness[0]}","version":"{self.harness[1]}"}}'
        )
        self.seq = 0
        self.session = ""

    def event(self, stamp: str, action: str, body: str, severity: str | None = None) -> str:
        self.seq += 1
        sev = severity or _SEVERITY.get(action, "info")
        eid = f"0197b1f0-0000-7000-8{self.index:03x}-{self.seq:012x}"
        session = ""
        if self.session:  # hooks report the working directory with file and session events
            cwd = f',"working_directory":"{self.cwd}"' if action in _WITH_CWD else ""
            session = f',"session":{{"id":"{self.session}"{cwd}}}'

        return (
            f'{{"timestamp":"{stamp}","vendor":"beacon","product":"endpoint-agent",'
            f'"schema_version":"1.1","event":{{"kind":"agent_runtime","action":"{action}",'
            f'"category":"{_CATEGORY.get(action, "inventory")}","id":"{eid}","created":"{stamp}"}},'
            f'"severity":"{sev}",{self.endpoint}{session}{body}}}\n'
        )

    def runtime_body(self, action: str) -> str:
        rng = self.rng
        if action == "command.executed":
            cmd = _E(rng.choice(_COMMANDS))
            code = 0 if rng.random() < 0.85 else rng.choice((1, 2, 127))
            redacted = rng.random() < 0.03
            content = (
                f',"content":{{"retention":"redacted","included":true,"redacted":true,'
                f'"redaction_count":{rng.randint(1, 3)}}}'
                if redacted
                else ""
            )
            return (
                f',"tool":{{"name":"Bash","command":{cmd}}},'
                f'"command":{{"command":{cmd},"exit_code":{code},'
                f'"duration_ms":{rng.randint(5, 9000)}}}' + content
            )
        if action in ("file.modified", "file.created"):
            if rng.random() < 0.2:
                path = rng.choice(_FILES_OUT).format(user=self.user)
            else:
                path = f"{self.cwd}/{rng.choice(_FILES_IN)}"
            return (
                f',"tool":{{"name":"Edit","path":{_E(path)}}},'
                f'"file":{{"path":{_E(path)},"operation":"modify"}}'
            )
        if action == "mcp.tool_invoked":
            server, tool = rng.choice(_MCP)
            return (
                f',"tool":{{"name":"mcp__{server}__{tool}"}},'
                f'"mcp":{{"server":"{server}","tool":"{tool}","method.name":"tools/call"}}'
            )
        if action in ("approval.allowed", "approval.denied", "policy.blocked"):
            decision = "accept" if action == "approval.allowed" else "reject"
            return (
                f',"tool":{{"name":"{rng.choice(_TOOLS)}"}},'
                f'"approval":{{"required":true,"decision":"{decision}","reason":"user"}}'
            )
        if action == "prompt.submitted":
            redacted = rng.random() < 0.1
            text = (
                "deploy with token [REDACTED:github_token]"
                if redacted
                else "run the tests and fix what fails"
            )
            content = (
                ',"content":{"retention":"redacted","included":true,"redacted":true,"redaction_count":1}'
                if redacted
                else ""
            )
            return f',"prompt":{{"text":"{text}"}}' + content
        if action == "model.request":
            model = self.harness[2]
            cost = (
                f',"cost_usd":{rng.randint(1, 5000) / 100000}'
                if self.harness[0] == "claude_code"
                else ""
            )
            return (
                f',"model":"{model}","gen_ai":{{"request":{{"model":"{model}"}},"usage":{{'
                f'"input_tokens":{rng.randint(10, 4000)},"output_tokens":{rng.randint(5, 2000)},'
                f'"cache_read":{{"input_tokens":{rng.randint(0, 20000)}}}{cost}}}}}'
            )
        if action == "tool.failed":
            return f',"tool":{{"name":"{rng.choice(_TOOLS)}","error":"exit status 1"}}'
        return ',"message":"session started"'

    def inventory(
        self,
        stamp: str,
        snapshot: bool,
        servers: list[tuple[str, str]],
        digest: str,
        part: int = 1,
        parts: int = 1,
    ) -> str:
        if not snapshot:
            raw = (
                f'{{"inventory":{{"snapshot_digest":"{digest}",'
                f'"counts":{{"mcp_servers":{len(servers)}}},"change_reason":"unchanged"}}}}'
            )
            return self.event(stamp, "inventory.heartbeat", f',"raw":{raw}')
        listed = ",".join(
            f'{{"runtime":"{self.harness[0]}","server_name":"{n}","transport":"{t}","args_count":2}}'
            for n, t in servers
        )
        raw = (
            f'{{"inventory":{{"snapshot_digest":"{digest}","part":{part},"parts":{parts},'
            f'"mcp_servers":[{listed}]}}}}'
        )
        return self.event(stamp, "inventory.snapshot", f',"raw":{raw}')


_ACTIONS = (
    ["command.executed"] * 30 + ["file.modified"] * 10 + ["file.created"] * 4
    + ["mcp.tool_invoked"] * 8 + ["approval.allowed"] * 8 + ["approval.denied"] * 2
    + ["policy.blocked"] + ["prompt.submitted"] * 6 + ["model.request"] * 20
    + ["tool.failed"] * 2 + ["tool.invoked"] * 9
)  # fmt: skip


def write_fleet(directory: Path, events: int, hosts: int = 6, seed: int = 7) -> list[Path]:
    """Write about `events` runtime events spread over `hosts` log dirs; returns the dirs."""
    rng = random.Random(seed)
    per_host = max(1, events // hosts)
    dirs = []
    for index in range(hosts):
        host = _Host(index, rng)
        log_dir = directory / host.name
        log_dir.mkdir(parents=True)
        dirs.append(log_dir)
        step = 8 * 86_400_000 // per_host  # ms between events, 8 days per host
        runtime: list[str] = []
        pools: dict[str, list[str]] = {}
        ms_total = rng.randint(0, step)
        for n in range(per_host):
            day, ms = divmod(ms_total, 86_400_000)
            if n % 40 == 0:
                host.session = f"{host.name}-s{n // 40:06d}"
                action = "session.started"
            else:
                action = rng.choice(_ACTIONS)
            bodies = pools.get(action)
            if bodies is None:  # a pool of bodies per action: formatting each one is slow
                bodies = pools[action] = [host.runtime_body(action) for _ in range(997)]
            runtime.append(host.event(_ts(ms, day), action, bodies[n % 997]))
            if ms < step and day > 0 and index % 2 == 0:
                # a late event: stamped before midnight, written among the next day's events
                late = host.runtime_body("command.executed")
                runtime.append(host.event(_ts(86_400_000 - 250, day - 1), "command.executed", late))
            ms_total += step // 2 + int(rng.random() * step)
            if ms_total >= 8 * 86_400_000:
                ms_total = 8 * 86_400_000 - 1
        if index == 1:  # lines that are not JSON: skipped by every engine, never fatal
            for at in (10, len(runtime) // 2, len(runtime) - 3):
                runtime.insert(at, "this is not json {\n")
        with (log_dir / "runtime.jsonl").open("w", buffering=1 << 20) as fh:
            fh.writelines(runtime)
        with (log_dir / "inventory_state.jsonl").open("w") as fh:
            fh.writelines(_inventory(host, rng))
    return dirs


def _inventory(host: _Host, rng: random.Random) -> Iterator[str]:
    host.session = ""
    servers = _SERVER_SETS[host.index % len(_SERVER_SETS)]
    digest = f"sha256:{host.index:02d}a"
    silent_from = 3 if host.index == 3 else len(DAYS)  # host-03 stops reporting on day 3
    for day in range(len(DAYS)):
        if day >= silent_from:
            return
        for hour in (0, 6, 12, 18):
            stamp = _ts(hour * 3_600_000 + host.index * 1000, day)
            changed = day == 0 and hour == 0
            if day == 4 and hour == 12 and host.index % 2 == 0:
                servers = _SERVER_SETS[(host.index + 1) % len(_SERVER_SETS)]
                digest = f"sha256:{host.index:02d}b"
                changed = True
            if changed:
                if host.index == 0:  # a large snapshot split into two parts
                    yield host.inventory(stamp, True, servers[:1], digest, 1, 2)
                    yield host.inventory(stamp, True, servers[1:], digest, 2, 2)
                else:
                    yield host.inventory(stamp, True, servers, digest)
            yield host.inventory(stamp, False, servers, digest)


# -- the independent side: what each query must return, from the source lines ------------


def read_events(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every JSON object line of the files (lines that are not JSON are skipped)."""
    for path in paths:
        with path.open("rb") as fh:
            for line in fh:
                try:
                    doc = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(doc, dict):
                    yield doc


def _g(event: dict[str, Any], *path: str) -> Any:
    value: Any = event
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sum(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _distinct(values: Iterable[Any]) -> int:
    return len({v for v in values if v is not None})


CI_FILES = re.compile(
    r"\.github/workflows/|\.gitlab-ci\.yml|\.circleci/|Jenkinsfile|azure-pipelines\.yml"
    r"|\.buildkite/|bitbucket-pipelines\.yml|\.travis\.yml"
)


class Reference:
    """Each starter query's rows, accumulated event by event from parsed source lines,
    without any SQL (and without holding the events: a million fit in little memory)."""

    def __init__(self, window: tuple[str, str]) -> None:
        self.lo, self.hi = window
        self.groups: dict[str, dict[tuple[Any, ...], list[Any]]] = defaultdict(dict)
        self.reporting: set[str] = set()
        self.snapshots: list[tuple[str, str, str, list[dict[str, Any]]]] = []

    def _acc(self, query: str, key: tuple[Any, ...], init: Callable[[], list[Any]]) -> list[Any]:
        table = self.groups[query]
        acc = table.get(key)
        if acc is None:
            acc = table[key] = init()
        return acc

    def add_runtime(self, e: dict[str, Any]) -> None:
        """Account one runtime event."""
        ts = e.get("timestamp")
        if not isinstance(ts, str) or not self.lo <= ts[:10] <= self.hi:
            return
        day = ts[:10]
        host, user = _g(e, "endpoint", "hostname"), _g(e, "user", "name")
        action, session = _g(e, "event", "action"), _g(e, "session", "id")
        harness = _g(e, "harness", "name")
        command = _g(e, "command", "command")

        def count_distinct(query: str, key: tuple[Any, ...], *values: Any) -> None:
            acc = self._acc(query, key, lambda: [0, *(set() for _ in values)])
            acc[0] += 1
            for slot, value in enumerate(values, 1):
                if value is not None:
                    acc[slot].add(value)

        def count_last(query: str, key: tuple[Any, ...]) -> None:
            acc = self._acc(query, key, lambda: [0, ""])
            acc[0] += 1
            acc[1] = max(acc[1], ts)

        if action == "command.executed":
            count_distinct("commands_per_host_day", (day, host), session)
            if command is not None:
                count_distinct("top_commands", (command,), host, user)
            code = _int(_g(e, "command", "exit_code"))
            if code not in (None, 0):
                count_last("failed_commands", (host, command, code))
        if _g(e, "content", "redacted") is True:
            acc = self._acc("secrets_redacted", (day, host, harness, action), lambda: [0, 0])
            acc[0] += 1
            acc[1] += _g(e, "content", "redaction_count") or 0
        if action in ("approval.denied", "policy.blocked"):
            count_last("denied_approvals", (host, user, harness, _g(e, "tool", "name"), action))
        if action == "mcp.tool_invoked":
            key = (_g(e, "mcp", "server"), _g(e, "mcp", "tool"))
            count_distinct("mcp_tool_calls", key, host, user)
        if action == "model.request":
            acc = self._acc(
                "token_cost_by_user", (user, harness, e.get("model")), lambda: [0, [], [], [], []]
            )
            acc[0] += 1
            acc[1].append(_int(_g(e, "gen_ai", "usage", "input_tokens")))
            acc[2].append(_int(_g(e, "gen_ai", "usage", "output_tokens")))
            acc[3].append(_int(_g(e, "gen_ai", "usage", "cache_read", "input_tokens")))
            acc[4].append(_num(_g(e, "gen_ai", "usage", "cost_usd")))
        if session is not None and _touches_ci(e):
            acc = self._acc("ci_file_sessions", (host, user, harness, session), lambda: [ts, ts, 0])
            acc[0], acc[1], acc[2] = min(acc[0], ts), max(acc[1], ts), acc[2] + 1
        if e.get("severity") in ("high", "critical"):
            acc = self._acc("high_severity", (day, host, e["severity"], action), lambda: [0])
            acc[0] += 1
        acc = self._acc(
            "harness_versions",
            (harness, _g(e, "harness", "version")),
            lambda: [set(), set(), 0, ts, ts],
        )
        if host is not None:
            acc[0].add(host)
        if session is not None:
            acc[1].add(session)
        acc[2], acc[3], acc[4] = acc[2] + 1, min(acc[3], ts), max(acc[4], ts)
        if action in ("file.modified", "file.created") and _outside(e):
            key = (host, user, _g(e, "file", "path"))
            acc = self._acc("writes_outside_workspace", key, lambda: [0, set(), ""])
            acc[0] += 1
            if session is not None:
                acc[1].add(session)
            acc[2] = max(acc[2], ts)
        if action == "prompt.submitted":
            count_distinct("prompts_per_user_day", (day, user, harness), session)

    def add_inventory(self, e: dict[str, Any]) -> None:
        """Account one inventory event."""
        ts = e.get("timestamp")
        if not isinstance(ts, str):
            return
        host, action = _g(e, "endpoint", "hostname"), _g(e, "event", "action")
        if self.lo <= ts[:10] <= self.hi:
            if host is not None:
                self.reporting.add(host)
            if action == "inventory.heartbeat":
                acc = self._acc("inventory_heartbeats", (host,), lambda: [0, ""])
                acc[0] += 1
                acc[1] = max(acc[1], ts)
        digest = _g(e, "raw", "inventory", "snapshot_digest")
        if action == "inventory.snapshot" and ts[:10] <= self.hi and host and digest:
            servers = _g(e, "raw", "inventory", "mcp_servers") or []
            self.snapshots.append((host, ts, digest, servers))

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every query's rows (order only for the one query with a LIMIT)."""

        def size(value: Any) -> Any:
            return len(value) if isinstance(value, set) else value

        out = {
            name: [key + tuple(size(v) for v in acc) for key, acc in table.items()]
            for name, table in self.groups.items()
        }
        for name in ("commands_per_host_day", "secrets_redacted", "denied_approvals",
                     "mcp_tool_calls", "ci_file_sessions", "failed_commands", "high_severity",
                     "harness_versions", "writes_outside_workspace", "prompts_per_user_day",
                     "inventory_heartbeats", "top_commands"):  # fmt: skip
            out.setdefault(name, [])
        out["top_commands"] = sorted(out["top_commands"], key=lambda r: (-r[1], r[0]))[:25]
        out["token_cost_by_user"] = [
            (*key, acc[0], *(_sum(values) for values in acc[1:]))
            for key, acc in self.groups["token_cost_by_user"].items()
        ]
        latest: dict[str, tuple[str, str]] = {}
        for host, ts, digest, _ in self.snapshots:
            latest[host] = max(latest.get(host, ("", "")), (ts, digest))
        fleet: dict[tuple[Any, Any], set[str]] = defaultdict(set)
        for host, _, digest, servers in self.snapshots:
            if host in self.reporting and latest[host][1] == digest:
                for server in servers:
                    fleet[(server.get("server_name"), server.get("transport"))].add(host)
        out["mcp_servers_fleet"] = [(*key, len(hosts)) for key, hosts in fleet.items()]
        return out


def _touches_ci(e: dict[str, Any]) -> bool:
    fields = (
        _g(e, "file", "path"),
        _g(e, "tool", "path"),
        _g(e, "command", "command"),
        _g(e, "tool", "command"),
    )
    return any(isinstance(f, str) and CI_FILES.search(f) is not None for f in fields)


def _outside(e: dict[str, Any]) -> bool:
    path, cwd = _g(e, "file", "path"), _g(e, "session", "working_directory")
    return (
        isinstance(path, str)
        and path.startswith("/")
        and isinstance(cwd, str)
        and path != cwd
        and not path.startswith(cwd + "/")
    )


def expected(log_dirs: Iterable[Path], window: tuple[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """What each starter query must return over the logs of `log_dirs` (rotated files too)."""
    ref = Reference(window)
    dirs = list(log_dirs)
    for event in read_events(p for d in dirs for p in sorted(d.glob("runtime.jsonl*"))):
        ref.add_runtime(event)
    for event in read_events(p for d in dirs for p in sorted(d.glob("inventory_state.jsonl*"))):
        ref.add_inventory(event)
    return ref.rows()
