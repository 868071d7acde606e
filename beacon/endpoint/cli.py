"""`beacon endpoint …` and `beacon status`: parse flags, call the endpoint library, print.

Handlers import the library lazily so `beacon --help` stays fast. Choices a user made at
install time (log dir, ports, content, hooks) are kept by a later install unless a flag
changes them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENDPOINT_HELP = """\
Set this machine up to collect AI coding-agent telemetry: configure the agents (Claude
Code, Codex CLI, Gemini CLI, Cursor, VS Code Copilot Chat; guidance for Copilot CLI) to
send to `beacon run` on 127.0.0.1, and keep `beacon run` alive with a systemd or launchd
service. Transactional and reversible; see docs/endpoint.md.
"""

HARNESS_NAMES = "claude, codex, gemini, cursor, vscode, copilot"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `endpoint` (with its subcommands) and the `status` shortcut."""
    endpoint = subparsers.add_parser(
        "endpoint", help="install, inspect and remove the endpoint setup", description=ENDPOINT_HELP
    )
    sub = endpoint.add_subparsers(dest="endpoint_command", metavar="COMMAND")
    endpoint.set_defaults(func=lambda args: _no_subcommand(endpoint))

    install = sub.add_parser(
        "install",
        help="configure agents and a collector service (transactional)",
        description=(
            "Configure the agents to send OTLP (and, with --hooks, hook events) to the collector "
            "on 127.0.0.1, and run `beacon run` as a service. Every changed file is backed up "
            "first; any failure restores all of them and the service's previous state. "
            "Installing twice changes nothing the second time."
        ),
    )
    install.add_argument(
        "--harness",
        metavar="LIST",
        help=f"comma list of {HARNESS_NAMES} or all (default: every detected agent)",
    )
    install.add_argument(
        "--hooks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also install beacon-hooks hooks (--no-hooks takes them out again)",
    )
    install.add_argument(
        "--service",
        choices=["auto", "systemd", "launchd", "none"],
        default="auto",
        help="how to keep `beacon run` alive (auto: launchd on macOS, systemd when running; "
        "none prints how to run it)",
    )
    install.add_argument(
        "--no-start", action="store_true", help="write the service unit but do not start it"
    )
    install.add_argument(
        "--dry-run", action="store_true", help="print files, diffs and commands; change nothing"
    )
    install.add_argument("--log-dir", metavar="DIR", help="where runtime.jsonl goes")
    install.add_argument("--otlp-grpc-port", type=int, metavar="N", help="default 4317")
    install.add_argument("--otlp-http-port", type=int, metavar="N", help="default 4318")
    install.add_argument(
        "--include-codex-spans",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also export and keep Codex CLI spans",
    )
    install.add_argument(
        "--include-runtime-metrics",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep process/runtime metrics in the collector",
    )
    install.add_argument(
        "--content",
        choices=["full", "metadata"],
        help="full (default): agents include prompts and tool details; metadata: they do not",
    )
    install.add_argument(
        "--collector",
        metavar="PATH",
        help="the `beacon` executable the service runs (default: this installation's)",
    )
    _add_mode(install)
    install.set_defaults(func=handle_install)

    uninstall = sub.add_parser(
        "uninstall",
        help="undo install: restore files, remove the service and the logs",
        description=(
            "Stop and remove the service and restore every file install changed: byte for "
            "byte when nobody edited it since, else only Beacon's keys are removed. Logs and "
            "rotated archives hold prompts and are deleted unless --keep-logs."
        ),
    )
    uninstall.add_argument(
        "--keep-logs", action="store_true", help="keep runtime.jsonl and its archives"
    )
    uninstall.add_argument(
        "--keep-config", action="store_true", help="leave the agents' settings as they are"
    )
    uninstall.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    _add_mode(uninstall)
    uninstall.set_defaults(func=handle_uninstall)

    status = sub.add_parser("status", help="collector, service, log, harness and shipper state")
    _add_status_flags(status)

    discover = sub.add_parser(
        "discover", help="list known agents; write one agent.detected event per detected agent"
    )
    _add_report_flags(discover, handle_discover, "where the events go")

    doctor = sub.add_parser(
        "doctor", help="named checks with evidence and fixes; exit 1 on any failure"
    )
    _add_report_flags(
        doctor, handle_doctor, "log directory to check", ("--fix", "repair what is safe to repair")
    )

    test_event = sub.add_parser(
        "test-event", help="write a synthetic validation event and confirm it landed"
    )
    _add_report_flags(test_event, handle_test_event, "where the event goes")

    from beacon.inventory import cli as inventory_cli  # argparse only

    inventory = sub.add_parser(
        "inventory", help="same as `beacon inventory`", description=inventory_cli.HELP
    )
    inventory_cli.add_arguments(inventory)

    from beacon.dashboard import cli as dashboard_cli  # argparse only

    dashboard = sub.add_parser(
        "dashboard",
        help="same as `beacon dashboard`, over this endpoint's log directory",
        description=dashboard_cli.HELP,
    )
    dashboard_cli.add_arguments(dashboard)
    _add_mode(dashboard)
    dashboard.set_defaults(func=handle_dashboard)

    alias = subparsers.add_parser("status", help="shortcut for `beacon endpoint status`")
    _add_status_flags(alias)


def _add_mode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--system",
        action="store_true",
        help="system mode: system service, /var/log/beacon-agent, /var/lib/beacon-agent (root)",
    )


def _add_report_flags(
    parser: argparse.ArgumentParser,
    func: Callable[[argparse.Namespace], int],
    log_dir_help: str,
    *switches: tuple[str, str],
) -> None:
    """`--json`, the on/off `switches` (flag, help), `--log-dir` and `--system`: the flags
    of the commands that report on this endpoint."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    for flag, help_text in switches:
        parser.add_argument(flag, action="store_true", help=help_text)
    parser.add_argument("--log-dir", metavar="DIR", help=log_dir_help)
    _add_mode(parser)
    parser.set_defaults(func=func)


def _add_status_flags(parser: argparse.ArgumentParser) -> None:
    _add_report_flags(parser, handle_status, "log directory to inspect")


def _no_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _layout(args: argparse.Namespace) -> Any:
    from beacon.endpoint.layout import Layout

    return Layout.detect(system=bool(getattr(args, "system", False)))


def _log_dir_flag(args: argparse.Namespace) -> Path | None:
    """`--log-dir` as an absolute path, None when not given."""
    value = getattr(args, "log_dir", None)
    return Path(value).expanduser().absolute() if value else None


def _log_dir(args: argparse.Namespace, layout: Any) -> Path:
    """`--log-dir`, else the installed one, else the mode's default."""
    from beacon.endpoint.manifest import load_manifest

    flag = _log_dir_flag(args)
    if flag is not None:
        return flag
    manifest = load_manifest(layout.manifest_path)
    return manifest.settings.log_dir if manifest else Path(layout.default_log_dir)


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def _print_result(args: argparse.Namespace, doc: Any, text: str) -> None:
    """`doc` as JSON with `--json`, else `text`."""
    if args.json:
        _print_json(doc)
    else:
        print(text)


def handle_install(args: argparse.Namespace) -> int:
    """`beacon endpoint install`."""
    from beacon.endpoint.harnesses import resolve
    from beacon.endpoint.install import InstallRequest, install
    from beacon.endpoint.manifest import load_manifest
    from beacon.endpoint.settings import EndpointSettings

    layout = _layout(args)
    manifest = load_manifest(layout.manifest_path)
    before = manifest.settings if manifest else None

    def pick(flag: Any, attr: str, default: Any) -> Any:
        if flag is not None:
            return flag
        return getattr(before, attr) if before is not None else default

    log_dir = _log_dir_flag(args) or pick(None, "log_dir", layout.default_log_dir)
    settings = EndpointSettings(
        log_dir=Path(log_dir),
        grpc_port=pick(args.otlp_grpc_port, "grpc_port", 4317),
        http_port=pick(args.otlp_http_port, "http_port", 4318),
        content=pick(args.content, "content", "full"),
        hooks=pick(args.hooks, "hooks", False),
        include_codex_spans=pick(args.include_codex_spans, "include_codex_spans", False),
        include_runtime_metrics=pick(
            args.include_runtime_metrics, "include_runtime_metrics", False
        ),
        beacon_argv=(str(Path(args.collector).absolute()),) if args.collector else (),
    )
    request = InstallRequest(
        settings=settings,
        harnesses=resolve(args.harness) if args.harness else None,
        service_kind=args.service,
        start=not args.no_start,
        dry_run=args.dry_run,
    )
    result = install(request, layout)
    print("\n".join(result.lines))
    return 0


def handle_uninstall(args: argparse.Namespace) -> int:
    """`beacon endpoint uninstall`."""
    from beacon.endpoint.uninstall import uninstall

    result = uninstall(
        _layout(args), keep_logs=args.keep_logs, keep_config=args.keep_config, dry_run=args.dry_run
    )
    print("\n".join(result.lines))
    for problem in result.problems:
        print(f"beacon: error: could not undo: {problem}", file=sys.stderr)
    return 1 if result.problems else 0


def handle_status(args: argparse.Namespace) -> int:
    """`beacon endpoint status` and `beacon status`."""
    from beacon.endpoint.status import gather, render_text, status_report

    report = status_report(gather(_layout(args), log_dir=_log_dir_flag(args)))
    _print_result(args, report, render_text(report))
    return 0


def handle_dashboard(args: argparse.Namespace) -> int:
    """`beacon endpoint dashboard`: the dashboard over the installed (or the mode's) log."""
    from beacon.dashboard import cli as dashboard_cli
    from beacon.errors import BeaconError

    layout = _layout(args)
    try:
        log_dir = _log_dir(args, layout)
    except (BeaconError, OSError):  # a manifest this user may not read: the mode's default
        log_dir = Path(layout.default_log_dir)
    return dashboard_cli.run(args, log_dir=log_dir, system=layout.system)


def handle_discover(args: argparse.Namespace) -> int:
    """`beacon endpoint discover`."""
    from beacon.endpoint.discover import discover, render_text

    layout = _layout(args)
    result = discover(layout, cwd=Path(os.getcwd()), log_dir=_log_dir(args, layout))
    _print_result(args, result.to_json(), render_text(result))
    return 0


def handle_doctor(args: argparse.Namespace) -> int:
    """`beacon endpoint doctor`."""
    from beacon.endpoint.doctor import doctor, render_text

    report = doctor(_layout(args), fix=args.fix, log_dir=_log_dir_flag(args))
    _print_result(args, report.to_json(), render_text(report))
    return 1 if report.failed else 0


def handle_test_event(args: argparse.Namespace) -> int:
    """`beacon endpoint test-event`."""
    from beacon.endpoint.testevent import send_test_event

    layout = _layout(args)
    result = send_test_event(layout, log_dir=_log_dir(args, layout))
    _print_result(args, result.to_json(), f"test event {result.nonce} landed in {result.log_path}")
    return 0
