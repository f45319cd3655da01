"""Protobuf wire format without a schema, strict enough that random bytes fail.

`parse_message(data)` returns `{field number: value or [values]}` (numbers as
strings, so they become key paths: `1.3.2`) or None. Rules that random bytes
rarely pass: every byte is consumed; field numbers are 1..`MAX_FIELD`; wire
types are 0 (varint), 1 (64-bit), 2 (length-delimited) or 5 (32-bit), never
the deprecated groups; a varint has at most 10 bytes; a length never runs past
the end. A length-delimited value becomes text when it is printable UTF-8,
else a nested message when it parses, else the bytes go to `inner` (the
caller's blob decoder: gzip inside a field) and, failing that, lowercase hex
(hashes sent as raw digests stay findable). Numbers are kept as their decimal
text (`JsonNumber`), 64/32-bit fields as unsigned integers.

Nesting is bounded by `max_depth`; a message deeper than that is kept as hex.
"""

from __future__ import annotations

from collections.abc import Callable

from .text import JsonNumber, printable_text

MAX_FIELD = 1 << 20  # real schemas stay far below 2**29; random tags often do not
_WIRE_TYPES = frozenset({0, 1, 2, 5})


class HexBytes(str):
    """Bytes of a length-delimited field that were neither text nor a message, as hex."""

    __slots__ = ()


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    result = shift = 0
    end = min(len(data), pos + 10)
    while pos < end:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    return None


def parse_message(
    data: bytes,
    max_depth: int = 8,
    inner: Callable[[bytes], object | None] | None = None,
) -> dict[str, object] | None:
    """The fields of a protobuf message, or None when `data` is not one."""
    if not data:
        return None
    out: dict[str, object] = {}
    pos, n = 0, len(data)
    while pos < n:
        got = _varint(data, pos)
        if got is None:
            return None
        tag, pos = got
        number, wire = tag >> 3, tag & 7
        if number == 0 or number > MAX_FIELD or wire not in _WIRE_TYPES:
            return None
        value: object
        if wire == 0:
            got = _varint(data, pos)
            if got is None:
                return None
            num, pos = got
            value = JsonNumber(num)
        elif wire == 1 or wire == 5:
            size = 8 if wire == 1 else 4
            if pos + size > n:
                return None
            value = JsonNumber(int.from_bytes(data[pos:pos + size], "little"))
            pos += size
        else:
            got = _varint(data, pos)
            if got is None:
                return None
            length, pos = got
            if pos + length > n:
                return None
            value = _bytes_value(data[pos:pos + length], max_depth, inner)
            pos += length
        key = str(number)
        old = out.get(key)
        if old is None:
            out[key] = value
        elif isinstance(old, list):
            old.append(value)
        else:
            out[key] = [old, value]
    return out


def _bytes_value(chunk: bytes, max_depth: int,
                 inner: Callable[[bytes], object | None] | None) -> object:
    if not chunk:
        return ""
    text = printable_text(chunk, min_len=1)
    if text is not None:
        return text
    if max_depth > 1:
        nested = parse_message(chunk, max_depth - 1, inner)
        if nested is not None:
            return nested
    if inner is not None:
        decoded = inner(chunk)
        if decoded is not None:
            return decoded
    return HexBytes(chunk.hex())


def has_text(node: object, min_len: int = 3) -> bool:
    """True when a parsed message holds a text value of at least `min_len` characters."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, HexBytes | JsonNumber):
            continue
        elif isinstance(item, str):
            if len(item) >= min_len:
                return True
        elif item is not None:
            return True  # an inner decoded structure (gzip in a field)
    return False
