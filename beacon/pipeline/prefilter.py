"""The redaction prefilter: which triggers match in these serialized events, if any?

Two questions (does any trigger match; which ones do), two engines. Hyperscan (SIMD, all
triggers in one pass, ~0.3 ns/byte) when its wheel is installed and the CPU supports it;
RE2 (linear time, ~1.5 ns/byte here) otherwise. A batch of events is screened with one scan
of its joined lines; only a hit looks closer (groups of eight, then single events), so a
clean batch costs one call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

_GROUP = 8  # events per second-level scan after a batch-level hit


class Screen:
    """Answers `hit(data, start, end)`: does any trigger match inside `data[start:end]`?
    and `which(data)`: the indexes of the triggers that match in `data`."""

    name = "none"

    def hit(self, data: bytes, start: int = 0, end: int = -1) -> bool:
        """Whether a trigger matches inside `data[start:end]` (`end=-1`: to the end)."""
        raise NotImplementedError

    def which(self, data: bytes) -> set[int]:
        """Indexes of the triggers that match somewhere in `data` (one full pass)."""
        raise NotImplementedError

    def dirty(self, blobs: Sequence[bytes]) -> list[bool]:
        """For each serialized event: True when it may hold a secret (a trigger matched).

        Events are joined by newlines, which no trigger crosses into a match that the
        events alone lack; a match spanning two events only costs them a closer look.
        """
        count = len(blobs)
        if count == 1:
            return [self.hit(blobs[0])]
        joined = b"\n".join(blobs)
        flags = [False] * count
        if not self.hit(joined):  # the usual case: a clean batch
            return flags
        bounds: list[int] = []
        offset = 0
        for blob in blobs:
            bounds.append(offset)
            offset += len(blob) + 1
        bounds.append(offset)
        for lo in range(0, count, _GROUP):
            hi = min(lo + _GROUP, count)
            if self.hit(joined, bounds[lo], bounds[hi] - 1):
                for i in range(lo, hi):
                    flags[i] = self.hit(joined, bounds[i], bounds[i + 1] - 1)
        return flags


class HyperscanScreen(Screen):
    """Hyperscan block-mode database of the triggers, caseless, stopping at the first match."""

    name = "hyperscan"

    def __init__(self, patterns: Sequence[str]) -> None:
        import hyperscan

        self._terminated: type[BaseException] = hyperscan.ScanTerminated
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
        db.compile(
            expressions=[p.encode() for p in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[flags] * len(patterns),
        )
        self._db = db
        self._prototype = hyperscan.Scratch(db)
        self._local = threading.local()  # scratch space is per thread

    def hit(self, data: bytes, start: int = 0, end: int = -1) -> bool:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        view = data
        if start or end >= 0:  # a zero-copy slice; the binding accepts any buffer
            view = cast(bytes, memoryview(data)[start : len(data) if end < 0 else end])
        try:
            self._db.scan(view, match_event_handler=_stop, scratch=scratch)
        except self._terminated:
            return True
        return False

    def which(self, data: bytes) -> set[int]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        found: set[int] = set()

        def collect(pattern: int, start: int, end: int, flags: int, context: object) -> bool:
            found.add(pattern)  # single-match mode: each trigger reports once
            return False

        self._db.scan(data, match_event_handler=collect, scratch=scratch)
        return found


def _stop(pattern: int, start: int, end: int, flags: int, context: object) -> bool:
    return True  # any match answers the question: stop scanning


class Re2Screen(Screen):
    """One RE2 alternation of the triggers and an RE2 set of them (without Hyperscan)."""

    name = "re2"

    def __init__(
        self,
        compile_re2: Callable[[str], Any],
        compile_set: Callable[[Sequence[str]], Any],
        patterns: Sequence[str],
    ) -> None:
        self._either = compile_re2("|".join(f"(?:{p})" for p in patterns))
        self._set = compile_set(patterns)

    def hit(self, data: bytes, start: int = 0, end: int = -1) -> bool:
        if end < 0:
            end = len(data)
        return self._either.search(data, start, end) is not None

    def which(self, data: bytes) -> set[int]:
        return set(self._set.Match(data) or ())


def build_screen(
    compile_re2: Callable[[str], Any],
    compile_set: Callable[[Sequence[str]], Any],
    patterns: Sequence[str],
    engine: str = "auto",
) -> Screen:
    """Hyperscan when available (`auto`), else RE2; `engine` forces one (tests, fallback).

    `compile_re2` compiles one regex, `compile_set` an RE2 set (`Match` lists indexes).
    """
    if engine in ("auto", "hyperscan"):
        try:
            return HyperscanScreen(patterns)
        except Exception:  # no wheel for this platform, or a CPU without SSSE3
            if engine == "hyperscan":
                raise
    return Re2Screen(compile_re2, compile_set, patterns)
