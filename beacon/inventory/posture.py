"""Posture signals of an MCP server definition: fields, not verdicts.

- launched from a package that is not pinned to an exact version (`npx -y pkg`,
  `pkg@latest`, `uvx pkg`, a container image without a digest);
- a remote URL over plain `http://` (or `ws://`) to a host that is not this machine;
- a credential written inline (an env, header, argument, URL or field holding a literal
  secret rather than a `${VAR}` reference): only where, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from beacon.inventory.fingerprint import text_hash
from beacon.inventory.telemetry import is_loopback_host, url_host
from beacon.pipeline.redact import Redactor, is_secret_key, may_hold_secret

_SECRET_PARTS = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "KEY",
    "AUTH",
    "CREDENTIAL",
    "COOKIE",
    "PRIVATE",
)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
# `${VAR}`, `${env:VAR}`, `${input:id}`, `$VAR`, `{env:VAR}` (OpenCode), `%VAR%` (Windows).
_REFERENCE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{env:[^}]*\}|%[A-Za-z_]\w*%")
_EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
_PEP503 = re.compile(r"[-_.]+")


def secret_looking(name: str) -> bool:
    """Whether a key name suggests a credential (`GITHUB_TOKEN`, `apiKey`, `Authorization`)."""
    upper = name.upper()
    return is_secret_key(name) or any(part in upper for part in _SECRET_PARTS)


def literal(value: Any) -> bool:
    """A non-empty string that references nothing: the value itself is in the file."""
    return isinstance(value, str) and bool(value.strip()) and not _REFERENCE.search(value)


@dataclass(frozen=True)
class PackageLaunch:
    """A server started by a package runner: which runner, which package, pinned or not."""

    launcher: str
    ecosystem: str
    name: str
    pinned: bool

    @property
    def package_hash(self) -> str:
        """`sha256:` of `<ecosystem>:<normalized name>`, e.g. of
        `npm:@modelcontextprotocol/server-filesystem`: matchable without the name."""
        return text_hash(f"{self.ecosystem}:{self.name}")


_NPM_RUNNERS = {"npx", "bunx", "pnpx"}
_NPM_SUBCOMMANDS = {("npm", "exec"), ("npm", "x"), ("pnpm", "dlx"), ("yarn", "dlx"), ("bun", "x")}
_NPM_VALUE_FLAGS = {"-p", "--package", "-c", "--call", "--registry", "--cache"}
_PY_VALUE_FLAGS = {"--from", "--with", "-p", "--python", "--spec", "--index-url", "--index"}
_DOCKER_VALUE_FLAGS = {
    "-e",
    "--env",
    "--env-file",
    "-v",
    "--volume",
    "--mount",
    "--name",
    "-p",
    "--publish",
    "--network",
    "--net",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "--platform",
    "-l",
    "--label",
    "--pull",
    "-m",
    "--memory",
    "--cpus",
    "--add-host",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--device",
    "--restart",
    "--hostname",
    "-h",
}


def package_launch(command_name: str | None, args: list[str]) -> PackageLaunch | None:
    """The package a runner command launches, or None when the command is not a runner."""
    if not command_name:
        return None
    runner = command_name.lower().removesuffix(".cmd").removesuffix(".exe")
    if runner in _NPM_RUNNERS:
        return _npm(runner, args)
    if args and (runner, args[0]) in _NPM_SUBCOMMANDS:
        return _npm(f"{runner} {args[0]}", args[1:])
    if runner == "uvx":
        return _python("uvx", args)
    if runner == "uv" and args[:2] == ["tool", "run"]:
        return _python("uv tool run", args[2:])
    if runner == "pipx" and args[:1] == ["run"]:
        return _python("pipx run", args[1:])
    if runner in ("docker", "podman") and args[:1] == ["run"]:
        return _container(runner, args[1:])
    return None


def _first_positional(args: list[str], value_flags: set[str]) -> tuple[str | None, dict[str, str]]:
    """The first argument that is not an option, and the options seen before it."""
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return (args[i + 1] if i + 1 < len(args) else None), options
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            if not eq and name in value_flags and i + 1 < len(args):
                i += 1
                value = args[i]
            options[name] = value
            i += 1
            continue
        return arg, options
    return None, options


def _npm(launcher: str, args: list[str]) -> PackageLaunch | None:
    spec, options = _first_positional(args, _NPM_VALUE_FLAGS)
    spec = options.get("--package") or options.get("-p") or spec
    if not spec:
        return None
    if spec.startswith((".", "/", "~", "file:", "git", "http:", "https:", "github:")):
        return PackageLaunch(launcher, "npm", spec, pinned=bool(re.search(r"#[0-9a-f]{40}$", spec)))
    at = spec.find("@", 1)
    name, version = (spec, "") if at < 0 else (spec[:at], spec[at + 1 :])
    return PackageLaunch(launcher, "npm", name.lower(), bool(_EXACT_VERSION.fullmatch(version)))


def _python(launcher: str, args: list[str]) -> PackageLaunch | None:
    spec, options = _first_positional(args, _PY_VALUE_FLAGS)
    spec = options.get("--from") or options.get("--spec") or spec
    if not spec:
        return None
    found = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)", spec)
    if not found:
        return PackageLaunch(launcher, "pypi", spec, pinned=False)
    name, rest = found.group(1), found.group(3).strip()
    version = rest[2:] if rest.startswith("==") else rest[1:] if rest.startswith("@") else ""
    pinned = bool(version) and bool(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version))
    return PackageLaunch(launcher, "pypi", _PEP503.sub("-", name).lower(), pinned)


def _container(launcher: str, args: list[str]) -> PackageLaunch | None:
    image, _ = _first_positional(args, _DOCKER_VALUE_FLAGS)
    if not image:
        return None
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return PackageLaunch(launcher, "oci", name.lower(), pinned=digest.startswith("sha256:"))


def plain_http_remote(url: str | None) -> bool:
    """A `http://` or `ws://` URL to a host other than this machine (cleartext off-host)."""
    if not url:
        return False
    scheme, host = url_host(url)
    return scheme in ("http", "ws") and bool(host) and not is_loopback_host(host)


def inline_secrets(
    definition: Mapping[str, Any],
    *,
    env: Mapping[str, Any],
    headers: Mapping[str, Any],
    args: list[str],
    url: str | None,
    redactor: Redactor,
    structural: frozenset[str],
) -> list[str]:
    """Where a definition holds a literal credential: `env.NAME`, `headers.NAME`,
    `args[i]`, `url`, or a field name (`bearer_token`). Names and positions only."""
    found = [f"env.{k}" for k, v in env.items() if secret_looking(str(k)) and literal(v)]
    found += [
        f"headers.{k}"
        for k, v in headers.items()
        if (str(k).lower() in _SECRET_HEADERS or secret_looking(str(k))) and literal(v)
    ]
    previous = ""
    for i, arg in enumerate(args):
        flag_value = previous.startswith("-") and secret_looking(previous) and literal(arg)
        if flag_value or (literal(arg) and _flagged(arg, redactor)):
            found.append(f"args[{i}]")
        previous = arg
    if url and (_flagged(url, redactor) or _has_password(url)):
        found.append("url")
    found += [
        str(k)
        for k, v in definition.items()
        if k not in structural and secret_looking(str(k)) and literal(v)
    ]
    return found


def _flagged(text: str, redactor: Redactor) -> bool:
    """Whether the redaction rules would rewrite `text` (screened first: most args are not)."""
    return may_hold_secret(text.encode("utf-8", "surrogatepass")) and bool(
        redactor.redact_text(text)[1]
    )


def _has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False
