"""The synchronous writer: append a batch now, under the cross-process lock, then return.

For producers that are one short process: `beacon-hooks` with the collector down, and the
command-line producers (inventory, endpoint setup, CI, test events). Same files, lock,
rotation and modes as the collector's threaded writer, so lines never interleave; the
batch is on disk (handed to the OS, fsync as configured) when `submit` returns True.
Light imports only: the hook path uses it.
"""

from __future__ import annotations

import os

from beacon.logfiles.jsonl import FileModes, JsonlFile, ensure_directory
from beacon.logfiles.names import ROTATE_ARCHIVES, ROTATE_BYTES, STREAM_FILES

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Callable

    from beacon.logfiles.chain import ChainKey
    from beacon.logfiles.jsonl import StrPath
    from beacon.logfiles.lines import Lines


class DirectWriter:
    """Appends each submitted batch at once; raises `OSError`/`StorageError` when it cannot."""

    queue_depth = 0  # nothing ever waits here

    def __init__(
        self,
        log_dir: StrPath,
        *,
        rotate_bytes: int = ROTATE_BYTES,
        archives: int = ROTATE_ARCHIVES,
        modes: FileModes | None = None,
        fsync: bool = False,
        key: ChainKey | None = None,
    ) -> None:
        self.log_dir = os.fspath(log_dir)
        self.rotate_bytes = rotate_bytes
        self.archives = archives
        self.modes = modes or FileModes()
        self.fsync = fsync
        self.key = key
        self.written: dict[str, int] = dict.fromkeys(STREAM_FILES, 0)
        self._files: dict[str, JsonlFile] = {}

    def start(self) -> None:
        """Create the log directory (the streams' files are opened on first use)."""
        ensure_directory(self.log_dir, self.modes)

    def submit(
        self,
        lines: Lines,
        timeout: float = 0,
        on_written: Callable[[bool], None] | None = None,
    ) -> bool:
        """Append every stream's lines now; `on_written(True)` before returning True."""
        for stream, stream_lines in lines.streams():
            jsonl = self._files.get(stream)
            if jsonl is None:
                ensure_directory(self.log_dir, self.modes)
                jsonl = self._files[stream] = JsonlFile(
                    os.path.join(self.log_dir, STREAM_FILES[stream]),
                    rotate_bytes=self.rotate_bytes,
                    archives=self.archives,
                    modes=self.modes,
                    key=self.key,
                )
            jsonl.append(stream_lines, fsync=self.fsync)
            self.written[stream] += len(stream_lines)
        if on_written is not None:
            on_written(True)
        return True

    def close(self, timeout: float = 0) -> None:
        """Close the file and lock handles."""
        for jsonl in self._files.values():
            jsonl.close()
        self._files.clear()
