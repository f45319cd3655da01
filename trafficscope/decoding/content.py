"""HTTP Content-Encoding decoders, bounded against decompression bombs.

Each decoder is a small function `(data, max_size) -> bytes` registered in
`DECODERS` (the shape of mitmproxy's `net/encoding.py`). A decoder raises only
`DecodeError`; when it stops early it raises one of the two subclasses below,
which carry the output decoded so far. `decode_body` applies a whole
`Content-Encoding` header and never raises.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import brotli
import zstandard

from ..errors import DecodeError, LimitExceeded
from .limits import DEFAULT_LIMITS, Limits

Decoder = Callable[[bytes, int], bytes]

#: brotli >= 1.2 caps the output of one `process` call; older releases are fed
#: in small chunks so that one call cannot produce more than a few MiB.
_BROTLI_OUTPUT_LIMIT = hasattr(brotli.Decompressor, "can_accept_more_data")
_BROTLI_CHUNK = 16
_ZSTD_READ = 256 * 1024
_ZSTD_MAX_WINDOW = 8 * 1024 * 1024  # RFC 9659: HTTP zstd windows are at most 8 MiB
_GZIP_MAGIC = b"\x1f\x8b"


class OutputCapped(LimitExceeded):
    """The output reached the size cap; `partial` holds the first `max_size` bytes."""

    def __init__(self, encoding: str, partial: bytes) -> None:
        super().__init__(f"{encoding}: output capped at {len(partial)} bytes")
        self.partial = partial


class StreamEnded(DecodeError):
    """The input ended inside the compressed stream; `partial` holds what it gave."""

    def __init__(self, encoding: str, partial: bytes) -> None:
        super().__init__(f"{encoding}: stream ends early after {len(partial)} bytes")
        self.partial = partial


def _identity(data: bytes, max_size: int) -> bytes:
    if len(data) > max_size:
        raise OutputCapped("identity", data[:max_size])
    return data


def _zlib_stream(data: bytes, max_size: int, wbits: int, name: str) -> bytes:
    """Inflate one or more concatenated streams, stopping at `max_size`."""
    parts: list[bytes] = []
    size = 0
    while True:
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(data, max_size + 1 - size)
        except zlib.error as e:
            if not parts:
                raise DecodeError(f"{name}: {e}") from None
            break  # trailing garbage after a complete member: keep what came before
        parts.append(out)
        size += len(out)
        if size > max_size:
            raise OutputCapped(name, b"".join(parts)[:max_size])
        if not d.eof:
            raise StreamEnded(name, b"".join(parts))
        data = d.unused_data
        if wbits < 16 or not data.startswith(_GZIP_MAGIC):  # gzip alone has members
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _gzip(data: bytes, max_size: int) -> bytes:
    return _zlib_stream(data, max_size, 16 + zlib.MAX_WBITS, "gzip")


def _deflate(data: bytes, max_size: int) -> bytes:
    """`deflate` is zlib-wrapped by the RFC but raw in many clients: accept both."""
    zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    if zlib_header:
        try:
            return _zlib_stream(data, max_size, zlib.MAX_WBITS, "deflate")
        except (OutputCapped, StreamEnded):
            raise
        except DecodeError:
            pass  # a raw stream whose first bytes happen to look like a zlib header
    return _zlib_stream(data, max_size, -zlib.MAX_WBITS, "deflate")


def _brotli(data: bytes, max_size: int) -> bytes:
    d = brotli.Decompressor()
    try:
        if _BROTLI_OUTPUT_LIMIT:
            out = d.process(data, output_buffer_limit=max_size + 1)
        else:
            buf = bytearray()
            view = memoryview(data)
            for pos in range(0, len(data), _BROTLI_CHUNK):
                buf += d.process(view[pos : pos + _BROTLI_CHUNK])
                if len(buf) > max_size:
                    break
            out = bytes(buf)
    except brotli.error as e:
        raise DecodeError(f"br: {e}") from None
    if len(out) > max_size:
        raise OutputCapped("br", out[:max_size])
    if not d.is_finished():
        raise StreamEnded("br", out)
    return out


def _zstd(data: bytes, max_size: int) -> bytes:
    dctx = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
    reader = dctx.stream_reader(data, read_across_frames=True)
    parts: list[bytes] = []
    size = 0
    try:
        while size <= max_size:
            chunk = reader.read(min(_ZSTD_READ, max_size + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except zstandard.ZstdError as e:
        if not parts:
            raise DecodeError(f"zstd: {e}") from None
        raise StreamEnded("zstd", b"".join(parts)) from None
    out = b"".join(parts)
    if size > max_size:
        raise OutputCapped("zstd", out[:max_size])
    if not out and data:
        raise DecodeError("zstd: no complete block")
    return out


#: Content-coding token (lowercase) -> (step name recorded in `encoding`, decoder).
DECODERS: dict[str, tuple[str, Decoder]] = {
    "identity": ("identity", _identity),
    "gzip": ("gzip", _gzip),
    "x-gzip": ("gzip", _gzip),
    "deflate": ("deflate", _deflate),
    "br": ("br", _brotli),
    "zstd": ("zstd", _zstd),
}


def decode(data: bytes, encoding: str, max_size: int) -> bytes:
    """Decode one content coding. Raises `DecodeError` (or a subclass above) only."""
    entry = DECODERS.get(encoding.strip().lower())
    if entry is None:
        raise DecodeError(f"unknown content-encoding {encoding[:40]!r}")
    return entry[1](data, max_size)


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A body after content decoding.

    `steps` names the codings undone, in decoding order (`("br", "gzip")` for
    `Content-Encoding: gzip, br`). `truncated` is set when a cap was hit or the
    stream ended early: `data` is then the prefix decoded so far. On a corrupt or
    unknown coding `data` is the raw body, `steps` is empty and `error` says why.
    """

    data: bytes
    steps: tuple[str, ...] = ()
    truncated: bool = False
    error: str | None = None


def decode_body(
    data: bytes, content_encoding: str | None, limits: Limits = DEFAULT_LIMITS
) -> DecodedBody:
    """Undo a `Content-Encoding` header (comma-separated, applied in order)."""
    if not content_encoding or not data:
        return DecodedBody(data)
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return DecodedBody(data)
    if len(codings) > limits.max_depth:
        return DecodedBody(data, error=f"more than {limits.max_depth} content codings")
    max_size = limits.decoded_cap(len(data))
    out = data
    steps: list[str] = []
    truncated = False
    error: str | None = None
    for coding in reversed(codings):
        entry = DECODERS.get(coding)
        if entry is None:
            return DecodedBody(data, error=f"unknown content-encoding {coding[:40]!r}")
        name, decoder = entry
        try:
            out = decoder(out, max_size)
        except (OutputCapped, StreamEnded) as e:
            if not e.partial:
                return DecodedBody(data, error=str(e))
            out = e.partial
            truncated = True
            if isinstance(e, StreamEnded):
                error = str(e)
        except DecodeError as e:
            return DecodedBody(data, error=str(e))
        steps.append(name)
    return DecodedBody(out, tuple(steps), truncated, error)
