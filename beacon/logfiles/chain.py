"""The hash chain of Beacon's logs: every line carries `integrity{seq, prev, hash[, key]}`.

A line is sealed by appending `"integrity"` as its last key, so the bytes that were hashed
are recovered textually, without re-serializing: the line up to `,"integrity":{` plus
`}`. `hash` = SHA-256 (or HMAC-SHA256 with a key) of `prev` (64 hex digits), `\\n`, `seq`
(decimal), `\\n` and those canonical bytes; `prev` is the previous line's `hash` in the
same stream (64 zeros for the first). docs/audit.md is the reference. Stdlib only and
light: `beacon-hooks` seals through `JsonlFile`, so the digest is the builtin `_sha256`
unless OpenSSL's (5x faster per line, 2.5 ms to import) is already loaded or asked for.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `from typing`: the hook path imports this module
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, Protocol

    class Hash(Protocol):
        """What the chain needs of a SHA-256 object (`hashlib` or `_sha256`)."""

        def update(self, data: bytes | memoryview, /) -> None: ...

        def copy(self) -> Hash: ...

        def digest(self) -> bytes: ...

        def hexdigest(self) -> str: ...

    Sha256 = Callable[..., Hash]

GENESIS = "0" * 64
"""`prev` of the first line of a chain."""

MARKER = b'"integrity":{"seq":'
"""Where the integrity block of a sealed line begins (it is always the last key)."""

KEY_ENV = "BEACON_AUDIT_KEY"
"""A chain key given directly (64+ hex digits), e.g. by a service manager's credential."""

KEY_FILE_ENV = "BEACON_AUDIT_KEY_FILE"
DEFAULT_KEY_FILE = "audit.key"
"""Looked up in the state directory when no key file is configured."""

RECORD_BYTES = 256
"""Size of the chain-head record kept at the start of `<file>.lock`."""

PIECES_PER_LINE = 8
"""How many byte pieces `Sealer.seal_pieces` gives for each line."""
_NOTHING = (b"",) * (PIECES_PER_LINE - 1)

_HEX = frozenset(b"0123456789abcdef")  # head records


def sha256_constructor(fast_import: bool = True) -> Sha256:
    """OpenSSL's SHA-256 when `hashlib` is loaded (or `fast_import` is False), else `_sha256`.

    Both give the same digests; `_sha256` imports in 0.15 ms instead of 2.5 ms, which is
    what a single hook event cares about, while the collector hashes every line.
    """
    if fast_import and "hashlib" not in sys.modules:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]

            return sha256  # type: ignore[no-any-return]
        except ImportError:  # pragma: no cover - a Python built without it
            pass
    import hashlib

    return hashlib.sha256


class ChainKey:
    """A secret for keyed (HMAC-SHA256) chains and its public id (16 hex digits)."""

    __slots__ = ("key_id", "secret", "source")

    def __init__(self, secret: bytes, source: str = "") -> None:
        if len(secret) < 16:
            raise ValueError("a chain key needs at least 16 bytes (32 hex digits)")
        self.secret = secret
        self.source = source
        self.key_id = key_id(secret)

    def __repr__(self) -> str:  # never the secret
        return f"ChainKey(key_id={self.key_id!r}, source={self.source!r})"

    @classmethod
    def from_hex(cls, text: str, source: str) -> ChainKey:
        """A key written as hex digits (whitespace around it ignored)."""
        from beacon.errors import ConfigError

        text = text.strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            raise ConfigError(f"{source}: a chain key must be hex digits") from None
        if len(secret) < 16:
            raise ConfigError(f"{source}: a chain key needs at least 32 hex digits")
        return cls(secret, source)

    @classmethod
    def load(cls, path: str) -> ChainKey:
        """Read a key file; refuse one that others may read (it must be 0600 or 0400)."""
        from beacon.errors import ConfigError

        path = os.path.expanduser(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError as exc:
            raise ConfigError(f"chain key file {path}: {exc.strerror}") from None
        try:
            mode = os.fstat(fd).st_mode
            if mode & 0o077:
                raise ConfigError(
                    f"chain key file {path} is readable by others (mode {mode & 0o777:o}); "
                    "chmod 600 it"
                )
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        return cls.from_hex(data.decode("ascii", "replace"), path)


def key_id(secret: bytes) -> str:
    """The public id of a key: 16 hex digits of SHA-256 over a label and the key."""
    return sha256_constructor()(b"beacon-audit-key-id\n" + secret).hexdigest()[:16]


def resolve_key(
    key_file: str = "", env: Mapping[str, str] | None = None, state_dir: str = ""
) -> ChainKey | None:
    """The chain key in force: `$BEACON_AUDIT_KEY`, else `key_file`, else `<state>/audit.key`.

    None (plain SHA-256) when none is set and the default file does not exist. A key that
    is set but unusable raises `ConfigError`: lines must not silently lose their key.
    """
    env = os.environ if env is None else env
    direct = env.get(KEY_ENV, "")
    if direct:
        return ChainKey.from_hex(direct, f"${KEY_ENV}")
    if key_file:
        return ChainKey.load(key_file)
    if state_dir:
        default = os.path.join(os.path.expanduser(state_dir), DEFAULT_KEY_FILE)
        if os.path.lexists(default):
            return ChainKey.load(default)
    return None


class Link:
    """One line's integrity block."""

    __slots__ = ("hash", "key_id", "prev", "seq")

    def __init__(self, seq: int, prev: str, hash: str, key_id: str = "") -> None:
        self.seq = seq
        self.prev = prev
        self.hash = hash
        self.key_id = key_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Link):
            return NotImplemented
        return (self.seq, self.prev, self.hash, self.key_id) == (
            other.seq,
            other.prev,
            other.hash,
            other.key_id,
        )

    def __repr__(self) -> str:
        return f"Link(seq={self.seq}, prev={self.prev[:12]}…, hash={self.hash[:12]}…)"


_suffix: Any = None


def _suffix_pattern() -> Any:
    """The integrity block's exact grammar, compiled on first use (`re` is not loaded by the
    hook path until it needs it)."""
    global _suffix
    if _suffix is None:
        import re

        _suffix = re.compile(
            rb'"integrity":\{"seq":(0|[1-9][0-9]{0,18}),"prev":"([0-9a-f]{64})",'
            rb'"hash":"([0-9a-f]{64})"(?:,"key":"([0-9a-f]{16})")?\}\}\n?\Z'
        )
    return _suffix


def split_line(line: bytes) -> tuple[bytes, Link] | None:
    """(canonical bytes, link) of a sealed line (with or without its `\\n`), else None."""
    at = line.rfind(MARKER)
    if at <= 0:
        return None
    match = _suffix_pattern().match(line, at)
    if match is None:
        return None
    if line[at - 1] == 44:  # b","
        canonical = line[: at - 1] + b"}"
    elif at == 1:  # `{"integrity":…}`: nothing but the block
        canonical = b"{}"
    else:
        return None
    seq, prev, digest, kid = match.groups()
    return canonical, Link(int(seq), prev.decode(), digest.decode(), kid.decode() if kid else "")


class Sealer:
    """Computes link hashes and seals lines; keyed (HMAC-SHA256) when given a key."""

    __slots__ = ("_empty", "_inner", "_outer", "key_id", "suffix_end")

    def __init__(self, key: ChainKey | None = None, sha256: Sha256 | None = None) -> None:
        sha256 = sha256 or sha256_constructor()
        # Copying a prepared state is 10x cheaper than a new OpenSSL context per line.
        self._empty: Hash = sha256()
        self._inner: Hash | None = None
        self._outer: Hash | None = None
        self.key_id = ""
        self.suffix_end = b'"}}\n'
        if key is not None:
            # HMAC (RFC 2104) by hand: the pads' states are computed once and copied per line,
            # and `hmac` would import `hashlib`.
            block = key.secret if len(key.secret) <= 64 else sha256(key.secret).digest()
            block = block.ljust(64, b"\0")
            self._inner = sha256(bytes(b ^ 0x36 for b in block))
            self._outer = sha256(bytes(b ^ 0x5C for b in block))
            self.key_id = key.key_id
            self.suffix_end = f'","key":"{key.key_id}"}}}}\n'.encode("ascii")

    def digest(self, prev: str, seq: int, canonical: bytes) -> str:
        """The `hash` of a line with this `prev`, `seq` and canonical bytes."""
        return self._digest(b"%s\n%d\n%s" % (prev.encode("ascii"), seq, canonical))

    def _digest(self, message: bytes) -> str:
        if self._inner is None:
            h = self._empty.copy()
            h.update(message)
            return h.hexdigest()
        assert self._outer is not None
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def mac(self, record: HeadRecord) -> str:
        """HMAC-SHA256 of a head record with this key ("" for a plain chain)."""
        return self._digest(record.message()) if self._inner is not None else ""

    def seal(self, lines: Sequence[bytes], seq: int, prev: str) -> tuple[list[bytes], int, str]:
        """Seal `lines` after the line (`seq`, `prev` = its hash); returns the new head too."""
        pieces, seq, prev = self.seal_pieces(lines, seq, prev)
        step = PIECES_PER_LINE
        return [b"".join(pieces[i : i + step]) for i in range(0, len(pieces), step)], seq, prev

    def seal_pieces(
        self, lines: Sequence[bytes], seq: int, prev: str
    ) -> tuple[list[bytes | memoryview], int, str]:
        """`seal`, as `PIECES_PER_LINE` pieces per line (the line up to its last `}`, then
        the integrity block in parts): the writer joins them once, into its write.

        Lines must end in `\\n`. One that is not a JSON object with members (`{}`) is
        passed on unsealed, and the verifier reports it; writers only ever hand over events.
        """
        pieces: list[bytes | memoryview] = []
        add = pieces.extend
        join = b"".join
        view = memoryview
        end = self.suffix_end
        copy = self._empty.copy if self._inner is None else None
        digest = self._digest
        previous = prev.encode("ascii")
        for line in lines:
            # Cheap tests (this loop runs for every line the collector writes): a JSON line
            # ending in `}` and its newline is an object; `{}` is too short to have a member.
            if len(line) < 4 or line[-2] != 125:  # b"}"
                add((line, *_NOTHING))
                continue
            seq += 1
            body = view(line)[:-2]  # no copy: the write joins the pieces anyway
            number = b"%d" % seq
            if copy is not None:  # plain: the hash inlined
                h = copy()
                h.update(join((previous, b"\n", number, b"\n")))
                h.update(body)
                h.update(b"}")
                value = h.hexdigest().encode()
            else:
                value = digest(join((previous, b"\n", number, b"\n", body, b"}"))).encode()
            add(
                (
                    body,
                    b',"integrity":{"seq":',
                    number,
                    b',"prev":"',
                    previous,
                    b'","hash":"',
                    value,
                    end,
                )
            )
            previous = value
        return pieces, seq, previous.decode("ascii")


# -- the chain head ------------------------------------------------------------------------
def _tail_link(fd: int, size: int) -> Link | None:
    """The link of the last whole line of an open file (None: empty, or not sealed)."""
    if size <= 0:
        return None
    width = min(size, 512)
    tail = os.pread(fd, width, size - width)
    end = tail.rfind(b"\n")
    if end < 0:
        return None
    if end != len(tail) - 1:  # a torn fragment after the last line: look before it
        tail = tail[: end + 1]
    parsed = split_line(tail[tail.rfind(b"\n", 0, len(tail) - 1) + 1 :])
    return parsed[1] if parsed is not None else None


def file_head(fd: int, size: int) -> Link | None:
    """The link of the last sealed line of an open file, if its last line is sealed."""
    return _tail_link(fd, size)


def path_head(path: str) -> Link | None:
    """`file_head` of a path; None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return _tail_link(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


class HeadRecord:
    """What the writers know that the lines cannot show, kept at the start of `<file>.lock`.

    The chain head they last wrote (lines cut off the end show as missing), the last seq
    that rotation deleted (lines cut off the start show as missing) and how many lines the
    stream held when its chain began (lines slipped in before the chain show as inserted).
    A keyed chain MACs the record too, so it cannot be rewritten to match a cut log.
    """

    __slots__ = ("dropped", "hash", "mac", "seq", "unchained")

    def __init__(
        self, seq: int, hash: str, dropped: int = 0, unchained: int = 0, mac: str = ""
    ) -> None:
        self.seq = seq
        self.hash = hash
        self.dropped = dropped
        self.unchained = unchained
        self.mac = mac

    def __repr__(self) -> str:
        return (
            f"HeadRecord(seq={self.seq}, hash={self.hash[:12]}…, dropped={self.dropped}, "
            f"unchained={self.unchained}, keyed={bool(self.mac)})"
        )

    def message(self) -> bytes:
        """The bytes a keyed record's `mac` authenticates."""
        return f"beacon-head\n{self.seq}\n{self.hash}\n{self.dropped}\n{self.unchained}".encode()

    def sealed(self, sealer: Sealer) -> HeadRecord:
        """This record with its MAC (unchanged when the chain is plain)."""
        return HeadRecord(self.seq, self.hash, self.dropped, self.unchained, sealer.mac(self))

    def encode(self) -> bytes:
        """Fixed-size bytes (one `pwrite`, never a shorter record over a longer one)."""
        text = (
            f'{{"seq":{self.seq},"hash":"{self.hash}","dropped":{self.dropped},'
            f'"unchained":{self.unchained},"mac":"{self.mac}"}}'
        )
        return text.encode("ascii").ljust(RECORD_BYTES - 1) + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> HeadRecord | None:
        """The record in `data`, or None for an empty or foreign lock file."""
        text = data.split(b"\n", 1)[0].strip()
        if not text.startswith(b'{"seq":') or not text.endswith(b'"}'):
            return None
        try:
            seq_part, rest = text[7:].split(b',"hash":"', 1)
            digest, rest = rest.split(b'","dropped":', 1)
            dropped_part, rest = rest.split(b',"unchained":', 1)
            unchained_part, mac = rest[:-2].split(b',"mac":"', 1)
            seq, dropped, unchained = int(seq_part), int(dropped_part), int(unchained_part)
        except ValueError:
            return None
        if len(digest) != 64 or not _HEX.issuperset(digest) or min(seq, dropped, unchained) < 0:
            return None
        if mac and (len(mac) != 64 or not _HEX.issuperset(mac)):
            return None
        return cls(seq, digest.decode(), dropped, unchained, mac.decode())

    @classmethod
    def read(cls, fd: int) -> HeadRecord | None:
        """The record at the start of an open lock file."""
        return cls.decode(os.pread(fd, RECORD_BYTES, 0))

    @classmethod
    def read_path(cls, lock_path: str) -> HeadRecord | None:
        """The record of a lock file by path; None when missing."""
        try:
            with open(lock_path, "rb") as fh:
                return cls.decode(fh.read(RECORD_BYTES))
        except OSError:
            return None
