"""`beacon-hooks`: the command agent runtimes run on every hook event. Never blocks the agent.

`beacon-hooks --platform <runtime> [--log-dir DIR] [--collector URL] [EVENT]` reads the
hook payload from stdin (Codex `notify` passes it as the last argument), forwards it to
`POST {collector}/v1/hooks/<runtime>` over loopback with a short deadline, and when the
collector does not take it, records it locally (`beacon.hooks.local`). Whatever happens it
prints the runtime's no-op reply, at most one line on stderr, and exits 0. The forwarding
path imports only `sys`, `os` and `_socket` (no `json`, `re` or `socket`): a hook runs
on every tool call and its start-up time is the agent's waiting time.
"""

import os
import sys

DEFAULT_COLLECTOR = "http://127.0.0.1:4318"
COLLECTOR_ENV = "BEACON_COLLECTOR_URL"
LOG_DIR_ENV = "BEACON_LOG_DIR"
TIMEOUT_SECONDS = 0.3
SOURCE_HEADER = "X-Beacon-Hook-Source"
USAGE = """usage: beacon-hooks --platform RUNTIME [--log-dir DIR] [--collector URL] [EVENT]

The command agent runtimes invoke on hook events (see docs/hooks.md). Reads the hook
payload on stdin, forwards it to the local collector (`beacon run`), or records it itself
when the collector is not running. Always prints the runtime's no-op reply and exits 0.

  --platform RUNTIME   claude (claude_code), codex, gemini or cursor
  --log-dir DIR        where to append when the collector is down ($BEACON_LOG_DIR,
                       else writer.log_dir of $BEACON_CONFIG, else ~/.beacon/endpoint/logs)
  --collector URL      the collector's OTLP/HTTP address ($BEACON_COLLECTOR_URL, else
                       collector.otlp_http of $BEACON_CONFIG, else http://127.0.0.1:4318)
  EVENT                event name when the payload has none (e.g. `notify`)
"""


class Invocation:
    """The parsed command line; unknown options are noted, never fatal."""

    __slots__ = ("arg_payload", "collector", "event", "help", "log_dir", "platform", "problems")

    def __init__(self) -> None:
        self.platform = "claude"
        self.log_dir: str | None = None
        self.collector: str | None = None
        self.event = ""
        self.help = False
        self.problems: list[str] = []
        self.arg_payload: bytes | None = None


def parse_args(argv: list[str]) -> Invocation:
    """Hand-rolled parsing: argparse imports `re` and `gettext`, which would double start-up."""
    inv = Invocation()
    values = {"--platform": "platform", "--log-dir": "log_dir", "--collector": "collector"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in values:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            setattr(inv, values[name], value)
        elif arg in ("-h", "--help"):
            inv.help = True
        elif arg.lstrip().startswith("{"):
            inv.arg_payload = arg.encode("utf-8", "replace")  # Codex `notify`
        elif arg.startswith("-"):
            inv.problems.append(f"unknown option {arg}")
        elif not inv.event:
            inv.event = arg
        i += 1
    return inv


def event_name_of(data: bytes) -> str:
    """`hook_event_name` (or Codex notify's `type`) found without a JSON parser."""
    for key in (b'"hook_event_name"', b'"type"'):
        start = data.find(key)
        while start > 0 and data[start - 1 : start] == b"\\":  # inside an escaped string
            start = data.find(key, start + 1)
        if start < 0:
            continue
        i = start + len(key)
        while i < len(data) and data[i] in b" \t\r\n:":
            i += 1
        if data[i : i + 1] != b'"':
            continue
        end = data.find(b'"', i + 1)
        name = data[i + 1 : end] if end > 0 else b""
        if name and len(name) <= 64 and name.replace(b"-", b"").replace(b"_", b"").isalnum():
            return name.decode("ascii")
    return ""


def collector_url(inv: Invocation) -> str:
    """`--collector`, `$BEACON_COLLECTOR_URL`, the config file's OTLP/HTTP address, default."""
    if inv.collector:
        return inv.collector
    url = os.environ.get(COLLECTOR_ENV) or os.environ.get("BEACON_OTLP_HTTP")
    if not url and os.environ.get("BEACON_CONFIG"):
        url = _config_value("collector", "otlp_http")
    return url or DEFAULT_COLLECTOR


def _config_value(table: str, key: str) -> str | None:
    """One string from `$BEACON_CONFIG`, read only when no flag or env var gave it."""
    try:
        import tomllib

        with open(os.path.expanduser(os.environ["BEACON_CONFIG"]), "rb") as fh:
            value = tomllib.load(fh).get(table, {}).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path prefix) of an `http://` URL; `host:port` alone is accepted too."""
    rest = url.strip()
    if "://" in rest:
        scheme, _, rest = rest.partition("://")
        if scheme.lower() != "http":
            raise ValueError(f"unsupported collector URL scheme {scheme!r} (use http)")
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):
        host, _, port_text = hostport[1:].partition("]")
        port_text = port_text.lstrip(":")
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    port = int(port_text) if port_text else 80
    return host or "127.0.0.1", port, ("/" + path.rstrip("/")) if slash and path else ""


def forward(url: str, platform: str, event: str, body: bytes, timeout: float) -> str | None:
    """POST the payload to the collector; None when it answered 2xx, else why not."""
    import _socket

    try:
        host, port, prefix = split_url(url)
    except ValueError as exc:
        return str(exc)
    query = f"?event={event}" if event else ""
    head = (
        f"POST {prefix}/v1/hooks/{platform}{query} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{SOURCE_HEADER}: command\r\nConnection: close\r\n\r\n"
    )
    family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
    sock = None
    try:
        if not _is_ip(host):
            family, _, _, _, address = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)[0]
        else:
            address = (host, port)
        sock = _socket.socket(family, _socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        sock.sendall(head.encode("latin-1") + body)
        reply = b""
        while b"\n" not in reply and len(reply) < 1024:
            chunk = sock.recv(1024)
            if not chunk:
                break
            reply += chunk
    except OSError as exc:
        return f"collector at {url} unreachable ({exc.__class__.__name__}: {exc})"
    finally:
        if sock is not None:
            sock.close()
    status = reply.split(b" ", 2)[1] if reply.count(b" ") >= 2 else b""
    if status[:1] == b"2" and len(status) == 3:
        return None
    line = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    return f"collector at {url} answered {line or 'nothing'}"


def _is_ip(host: str) -> bool:
    return ":" in host or host.replace(".", "").isdigit()


def _read_stdin() -> bytes:
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return b""
        return sys.stdin.buffer.read()
    except (OSError, ValueError):
        return b""


def _harness(platform: str) -> str | None:
    from beacon.runtimes.hooks import harness_of

    return harness_of(platform)


def run(inv: Invocation, data: bytes) -> tuple[bytes, str | None]:
    """Deliver one payload; returns the reply to print and a one-line problem, if any."""
    from beacon.runtimes.hooks import noop_reply

    harness = _harness(inv.platform)
    event = event_name_of(data) or inv.event
    from beacon.inventory.trigger import maybe_trigger

    maybe_trigger(inv.platform, event, log_dir=inv.log_dir)
    reply = noop_reply(harness, event)
    note = None
    if harness is None:
        note = f"unknown --platform {inv.platform!r}, recorded as unclassified"
    elif forward(collector_url(inv), inv.platform, event, data, TIMEOUT_SECONDS) is None:
        return reply, None
    from beacon.hooks.local import record_locally

    outcome = record_locally(inv.platform, data, event_hint=event, log_dir=inv.log_dir)
    return reply, "; ".join(n for n in (note, outcome) if n) or None


def main(argv: list[str] | None = None) -> int:
    """Entry point of `beacon-hooks`: print the runtime's no-op reply, exit 0, always."""
    reply = b"{}"
    problem: str | None = None
    try:
        inv = parse_args(sys.argv[1:] if argv is None else argv)
        if inv.help:
            reply = USAGE.removesuffix("\n").encode()  # printed below, as a reply is
        else:
            data = inv.arg_payload if inv.arg_payload is not None else _read_stdin()
            reply, problem = run(inv, data)
            if inv.problems and problem is None:
                problem = "; ".join(inv.problems)
    except BaseException as exc:  # never fail the agent, not even on Ctrl-C
        problem = f"internal error: {exc.__class__.__name__}: {exc}"
    try:
        if reply:
            sys.stdout.buffer.write(reply + b"\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    if problem:
        try:
            sys.stderr.write("beacon-hooks: " + " ".join(problem.split())[:500] + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    return 0


def entry() -> None:
    """The `beacon-hooks` console script: `main` (which flushes what it printed), then exit
    without tearing the interpreter down (a hook holds no buffered file or thread;
    finalization was ~13 % of its wall time)."""
    os._exit(main())


if __name__ == "__main__":
    entry()
