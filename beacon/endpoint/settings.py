"""What an install configures: ports, log directory, content capture, hooks, programs.

Harness modules read these to write the agents' settings; service modules read them to
render the unit that runs `beacon run`. Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beacon.errors import UsageError

LOOPBACK = "127.0.0.1"
DEFAULT_GRPC_PORT = 4317
DEFAULT_HTTP_PORT = 4318
CONTENT_CHOICES = ("full", "metadata")


@dataclass(frozen=True)
class EndpointSettings:
    """The knobs of one install; stored in the manifest so status and doctor can compare."""

    log_dir: Path
    grpc_port: int = DEFAULT_GRPC_PORT
    http_port: int = DEFAULT_HTTP_PORT
    content: str = "full"
    hooks: bool = False
    include_codex_spans: bool = False
    include_runtime_metrics: bool = False
    beacon_argv: tuple[str, ...] = ()
    hooks_program: str = ""

    def __post_init__(self) -> None:
        for name, port in (
            ("--otlp-grpc-port", self.grpc_port),
            ("--otlp-http-port", self.http_port),
        ):
            if not 0 < port < 65536:
                raise UsageError(f"{name}: {port} is not a TCP port (1-65535)")
        if self.grpc_port == self.http_port:
            raise UsageError("--otlp-grpc-port and --otlp-http-port must differ")
        if self.content not in CONTENT_CHOICES:
            raise UsageError(
                f"--content: {self.content!r} is not one of {', '.join(CONTENT_CHOICES)}"
            )
        if not self.beacon_argv:
            object.__setattr__(self, "beacon_argv", beacon_command())
        if not self.hooks_program:
            object.__setattr__(self, "hooks_program", hooks_command())

    @property
    def grpc_endpoint(self) -> str:
        """`http://127.0.0.1:<grpc port>`: what gRPC exporters are pointed at."""
        return f"http://{LOOPBACK}:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        """`http://127.0.0.1:<http port>`: OTLP/HTTP base, health and HTTP hooks."""
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def full_content(self) -> bool:
        """Whether agents are asked to include prompts and tool details."""
        return self.content == "full"

    def hook_command(self, platform: str) -> str:
        """The shell command a runtime runs for a hook event (quoted for a POSIX shell)."""
        return shlex.join(
            [
                self.hooks_program,
                "--platform",
                platform,
                "--collector",
                self.http_endpoint,
                "--log-dir",
                str(self.log_dir),
            ]
        )

    def collector_argv(self, config_path: Path | None = None) -> list[str]:
        """The `beacon run` command line the service runs."""
        argv = [*self.beacon_argv, "run"]
        if config_path is not None:
            argv += ["--config", str(config_path)]
        argv += [
            "--log-dir",
            str(self.log_dir),
            "--otlp-grpc",
            f"{LOOPBACK}:{self.grpc_port}",
            "--otlp-http",
            f"{LOOPBACK}:{self.http_port}",
        ]
        if self.include_codex_spans:
            argv.append("--include-codex-spans")
        if self.include_runtime_metrics:
            argv.append("--include-runtime-metrics")
        return argv

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for the manifest."""
        return {
            "log_dir": str(self.log_dir),
            "otlp_grpc_port": self.grpc_port,
            "otlp_http_port": self.http_port,
            "content": self.content,
            "hooks": self.hooks,
            "include_codex_spans": self.include_codex_spans,
            "include_runtime_metrics": self.include_runtime_metrics,
            "beacon_argv": list(self.beacon_argv),
            "hooks_program": self.hooks_program,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EndpointSettings:
        """The settings a manifest recorded."""
        return cls(
            log_dir=Path(data["log_dir"]),
            grpc_port=int(data.get("otlp_grpc_port", DEFAULT_GRPC_PORT)),
            http_port=int(data.get("otlp_http_port", DEFAULT_HTTP_PORT)),
            content=str(data.get("content", "full")),
            hooks=bool(data.get("hooks", False)),
            include_codex_spans=bool(data.get("include_codex_spans", False)),
            include_runtime_metrics=bool(data.get("include_runtime_metrics", False)),
            beacon_argv=tuple(data.get("beacon_argv") or ()),
            hooks_program=str(data.get("hooks_program") or ""),
        )


def beacon_command() -> tuple[str, ...]:
    """How to start `beacon`: the console script next to this Python, else `python -m`."""
    script = Path(sys.executable).with_name("beacon")
    if script.is_file():
        return (str(script),)
    found = shutil.which("beacon")
    if found:
        return (found,)
    return (sys.executable, "-m", "beacon.cli")


def hooks_command() -> str:
    """The `beacon-hooks` console script next to this Python (else on PATH)."""
    script = Path(sys.executable).with_name("beacon-hooks")
    if script.is_file():
        return str(script)
    return shutil.which("beacon-hooks") or "beacon-hooks"
