"""The install manifest: what `beacon endpoint install` changed, so uninstall can undo it.

One JSON file (0600) under the state directory. Each changed file is recorded once, with
how it was before Beacon first touched it (existed, mode, a backup copy, its hash) and
the hash of what Beacon last wrote. A second install keeps the first "before", so
uninstall always goes back to the user's own file. Written temp → fsync → rename; a
manifest that does not parse is reported, never silently replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beacon.endpoint.settings import EndpointSettings
from beacon.endpoint.transaction import read_bytes, write_atomic
from beacon.errors import ConfigError

MANIFEST_VERSION = 1


@dataclass
class FileRecord:
    """One file install changed."""

    path: Path
    owner: str  # "harness:<name>", "service" or "config"
    kind: str  # which edit made it, e.g. "claude.settings"; uninstall reverts by kind
    existed: bool
    mode_before: int | None
    backup: Path | None
    sha256_before: str | None
    sha256_after: str | None
    mode_after: int | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (modes in octal text)."""
        return {
            "path": str(self.path),
            "owner": self.owner,
            "kind": self.kind,
            "existed": self.existed,
            "mode_before": _octal(self.mode_before),
            "backup": str(self.backup) if self.backup else None,
            "sha256_before": self.sha256_before,
            "sha256_after": self.sha256_after,
            "mode_after": _octal(self.mode_after),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileRecord:
        """The record as stored."""
        return cls(
            path=Path(data["path"]),
            owner=str(data["owner"]),
            kind=str(data["kind"]),
            existed=bool(data["existed"]),
            mode_before=_mode(data.get("mode_before")),
            backup=Path(data["backup"]) if data.get("backup") else None,
            sha256_before=data.get("sha256_before"),
            sha256_after=data.get("sha256_after"),
            mode_after=_mode(data.get("mode_after")),
        )


@dataclass
class Manifest:
    """Everything one install (and later re-installs) changed."""

    mode: str
    settings: EndpointSettings
    harnesses: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)
    service: dict[str, Any] | None = None
    guidance: list[str] = field(default_factory=list)
    installed_at: str = ""
    updated_at: str = ""
    beacon_version: str = ""

    def record(self, path: Path) -> FileRecord | None:
        """The record of `path`, if install changed it."""
        return next((r for r in self.files if r.path == path), None)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": MANIFEST_VERSION,
            "mode": self.mode,
            "installed_at": self.installed_at,
            "updated_at": self.updated_at,
            "beacon_version": self.beacon_version,
            "settings": self.settings.to_json(),
            "harnesses": self.harnesses,
            "service": self.service,
            "files": [r.to_json() for r in self.files],
            "created_dirs": [str(d) for d in self.created_dirs],
            "guidance": self.guidance,
        }

    def dumps(self) -> bytes:
        """The manifest file's bytes."""
        return (json.dumps(self.to_json(), indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """The manifest as stored; raises ConfigError on an unknown version."""
        if data.get("version") != MANIFEST_VERSION:
            raise ConfigError(f"install manifest version {data.get('version')!r} is not supported")
        return cls(
            mode=str(data["mode"]),
            settings=EndpointSettings.from_json(data["settings"]),
            harnesses=[str(h) for h in data.get("harnesses", [])],
            files=[FileRecord.from_json(r) for r in data.get("files", [])],
            created_dirs=[Path(d) for d in data.get("created_dirs", [])],
            service=data.get("service"),
            guidance=[str(g) for g in data.get("guidance", [])],
            installed_at=str(data.get("installed_at", "")),
            updated_at=str(data.get("updated_at", "")),
            beacon_version=str(data.get("beacon_version", "")),
        )


def load_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, None when there is none; ConfigError when it is corrupt."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        parsed = json.loads(data)
        return Manifest.from_json(parsed)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: install manifest is corrupt ({exc}); it was left as is. Move it aside "
            "and run `beacon endpoint install` again, or restore the files from its backups"
        ) from None


def save_manifest(path: Path, manifest: Manifest) -> None:
    """Write the manifest atomically, 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, manifest.dumps(), 0o600)


def _octal(mode: int | None) -> str | None:
    return None if mode is None else f"0{mode:o}"


def _mode(value: Any) -> int | None:
    return None if value is None else int(str(value), 8)
