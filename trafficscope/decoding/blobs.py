"""Bytes found inside a value or a body: what are they? Compression, text, MessagePack, protobuf.

`decode_bytes(data, limits, budget)` returns a `Decoded` (the steps taken,
the node to walk, whether a cap cut it) or None when the bytes are none of:

1. compressed, recognised by magic: gzip (`1f 8b`), zstd (`28 b5 2f fd`),
   zlib (`78 xx` with a valid header check); the output is decoded again;
2. MessagePack: a map or array that unpacks exactly, holding some text;
3. printable text in UTF-8, UTF-16 or GB18030 (`text.sniff_text`);
4. compressed without magic: raw deflate, brotli, accepted only when the
   output is itself one of the above;
5. protobuf (`protobuf.parse_message`) holding some text.

Decompression is capped by `Limits.max_value_decoded` and the decoded/wire
ratio, and draws from the flow's `Budget` (`Limits.max_flow_decoded`); a cut
output is kept and marked truncated, and once the budget is spent compressed
values are left as they are, marked truncated. Nesting is bounded by
`MAX_BLOB_DEPTH`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import msgpack

from ..errors import DecodeError
from .content import OutputCapped, StreamEnded, _brotli, _zlib_stream, _zstd
from .limits import Budget, Limits
from .protobuf import HexBytes, has_text, parse_message
from .text import JsonNumber, sniff_text

MAX_BLOB_DEPTH = 4
_MSGPACK_START = frozenset([*range(0x80, 0xA0), 0xDC, 0xDD, 0xDE, 0xDF])


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a decoder made of a value: steps to record, a node to walk, a cut flag.

    `node` is None when decoding had to stop before producing anything (the
    flow's budget was spent): the value is then kept as sent, marked truncated.
    """

    steps: tuple[str, ...]
    node: object
    truncated: bool = False
    keep_raw: bool = False  # also report the value as it was (a guessed decoding)


def _zlib(data: bytes, max_size: int) -> bytes:
    return _zlib_stream(data, max_size, zlib.MAX_WBITS, "zlib")


def _gzip(data: bytes, max_size: int) -> bytes:
    return _zlib_stream(data, max_size, 16 + zlib.MAX_WBITS, "gzip")


def _raw_deflate(data: bytes, max_size: int) -> bytes:
    return _zlib_stream(data, max_size, -zlib.MAX_WBITS, "deflate")


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == 0x78 and (data[0] << 8 | data[1]) % 31 == 0


Decompressor = Callable[[bytes, int], bytes]
#: (step, recognises the bytes by magic, decompressor), tried in order.
MAGIC: tuple[tuple[str, Callable[[bytes], bool], Decompressor], ...] = (
    ("gzip", lambda d: d[:2] == b"\x1f\x8b", _gzip),
    ("zstd", lambda d: d[:4] == b"\x28\xb5\x2f\xfd", _zstd),
    ("zlib", _zlib_header, _zlib),
)
#: Compressions without a magic number: accepted only when the output is recognised.
NO_MAGIC: tuple[tuple[str, Decompressor], ...] = (
    ("deflate", _raw_deflate),
    ("br", _brotli),
)


def _decompress(name: str, fn: Decompressor, data: bytes, limits: Limits,
                budget: Budget) -> tuple[bytes, bool] | None:
    """(output, cut) or None when `data` is not this compression."""
    cap = min(limits.max_value_decoded, budget.left,
              max(limits.ratio_floor, len(data) * limits.max_ratio))
    try:
        out, cut = fn(data, cap), False
    except (OutputCapped, StreamEnded) as e:
        out, cut = e.partial, True
    except DecodeError:
        return None
    except Exception:  # a decompressor library bug on hostile input: not this format
        return None
    if not out:
        return None
    budget.left -= len(out)
    return out, cut


def decode_bytes(data: bytes, limits: Limits, budget: Budget, depth: int = 0,
                 *, strict: bool = True, message: bool = True) -> Decoded | None:
    """What `data` holds (see the module docstring), or None.

    `strict` (bytes from a guessed base64/hex decoding) also requires
    MessagePack and protobuf results to hold text. `message=False` skips step 5,
    for a protobuf field that `parse_message` has already tried as a message (or
    kept whole at its depth cap): trying it again at every level multiplied the
    work by the nesting.
    """
    if not data or depth >= MAX_BLOB_DEPTH:
        return None
    for name, is_it, fn in MAGIC:
        if is_it(data):
            if budget.left <= 0 or budget.expired():
                return Decoded((name,), None, True)
            got = _decompress(name, fn, data, limits, budget)
            if got is None:
                continue
            out, cut = got
            return _after(name, out, cut, limits, budget, depth)
    # MessagePack before text: its map/array markers are GBK lead bytes too.
    if data[0] in _MSGPACK_START:
        packed = _msgpack(data, limits, budget, depth)
        if packed is not None and (not strict or has_text(packed)):
            return Decoded(("msgpack",), packed)
    text = sniff_text(data)
    if text is not None:
        return Decoded((text[1],) if text[1] else (), text[0])
    if budget.left > 0 and not budget.expired():
        for name, fn in NO_MAGIC:
            got = _decompress(name, fn, data, limits, budget)
            if got is None:
                continue
            inner = decode_bytes(got[0], limits, budget, depth + 1)
            if inner is not None and inner.node is not None:
                return Decoded((name, *inner.steps), inner.node, got[1] or inner.truncated)

    if not message:
        return None

    def _inner(chunk: bytes) -> object | None:
        return decode_bytes(chunk, limits, budget, depth + 1, message=False)

    parsed = parse_message(data, limits.max_depth, _inner)
    if parsed is not None and (not strict or has_text(parsed)):
        return Decoded(("protobuf",), parsed)
    return None


def decode_declared(data: bytes, mime: str, limits: Limits, budget: Budget) -> Decoded | None:
    """A body whose Content-Type names protobuf or MessagePack, parsed as that."""
    if "protobuf" in mime or mime.startswith("application/grpc"):
        if mime.startswith("application/grpc") and len(data) >= 5:
            data = data[5:]  # gRPC frame: compressed flag and length
        message = parse_message(data, limits.max_depth,
                                lambda chunk: decode_bytes(chunk, limits, budget, 1,
                                                           message=False))
        return Decoded(("protobuf",), message) if message is not None else None
    if "msgpack" in mime:
        packed = _msgpack(data, limits, budget, 0)
        return Decoded(("msgpack",), packed) if packed is not None else None
    return None


def _after(name: str, out: bytes, cut: bool, limits: Limits, budget: Budget,
           depth: int) -> Decoded:
    inner = decode_bytes(out, limits, budget, depth + 1, strict=False)
    if inner is None or inner.node is None:
        return Decoded((name,), out.decode("latin-1") if not _utf8(out) else out.decode(), cut)
    return Decoded((name, *inner.steps), inner.node, cut or inner.truncated)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _msgpack(data: bytes, limits: Limits, budget: Budget, depth: int) -> object | None:
    try:
        obj = msgpack.unpackb(data, raw=True, strict_map_key=False, use_list=True)
    except Exception:  # msgpack raises many types on bad input: not MessagePack
        return None
    if not isinstance(obj, dict | list):
        return None
    return _jsonish(obj, limits, budget, depth, 0)


def _jsonish(obj: object, limits: Limits, budget: Budget, depth: int, level: int) -> object:
    """MessagePack values as the walker's nodes: str keys, text or decoded bytes, numbers."""
    if level > limits.max_json_depth:
        return None
    if isinstance(obj, dict):
        return {_key(k): _jsonish(v, limits, budget, depth, level + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonish(v, limits, budget, depth, level + 1) for v in obj]
    if isinstance(obj, bytes):
        text = sniff_text(obj, min_len=0)
        if text is not None:
            return text[0]
        inner = decode_bytes(obj, limits, budget, depth + 1)
        return inner if inner is not None else HexBytes(obj.hex())
    if isinstance(obj, bool) or obj is None:
        return None
    if isinstance(obj, int | float):
        return JsonNumber(obj)
    return None


def _key(k: object) -> str:
    if isinstance(k, bytes):
        return k.decode("utf-8", "replace")
    return str(k)
