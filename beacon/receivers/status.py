"""The `google.rpc.Status` / `RetryInfo` encoders both OTLP transports need.

Hand-written because they are two tiny messages: not worth a dependency on
googleapis-common-protos.
"""

from __future__ import annotations

import orjson

# gRPC status codes used in `google.rpc.Status.code`.
INVALID_ARGUMENT = 3
RESOURCE_EXHAUSTED = 8
UNAVAILABLE = 14
UNIMPLEMENTED = 12


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def retry_info_any(seconds: float) -> bytes:
    """`google.protobuf.Any` wrapping `google.rpc.RetryInfo{retry_delay}`."""
    whole = int(seconds)
    nanos = int((seconds - whole) * 1e9)
    duration = b""
    if whole:
        duration += _varint(1 << 3) + _varint(whole)
    if nanos:
        duration += _varint(2 << 3) + _varint(nanos)
    retry_info = _field(1, duration)
    return _field(1, b"type.googleapis.com/google.rpc.RetryInfo") + _field(2, retry_info)


def status_protobuf(code: int, message: str, *, retry_after: float | None = None) -> bytes:
    """A serialized `google.rpc.Status` (with RetryInfo details when retrying makes sense)."""
    out = _varint(1 << 3) + _varint(code) if code else b""
    if message:
        out += _field(2, message.encode("utf-8", "replace"))
    if retry_after is not None:
        out += _field(3, retry_info_any(retry_after))
    return out


def status_json(code: int, message: str) -> bytes:
    """`google.rpc.Status` in OTLP/JSON form."""
    return orjson.dumps({"code": code, "message": message})
