import contextlib
import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from trafficscope.decoding.content import DECODERS, DecodedBody, decode, decode_body
from trafficscope.decoding.limits import Limits, MiB
from trafficscope.errors import DecodeError

PLAIN = b'{"imei": "490154203237518", "name": "Li Lei \xe6\x9d\x8e"}' * 50


def _deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _gzip_zeros(size: int) -> bytes:
    """`size` zero bytes gzipped, built in chunks so the test never holds them all."""
    c = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MiB)
    parts = [c.compress(chunk) for _ in range(size // MiB)]
    return b"".join([*parts, c.flush()])


@pytest.mark.parametrize(("header", "encode", "steps"), [
    ("gzip", gzip.compress, ("gzip",)),
    ("x-gzip", gzip.compress, ("gzip",)),                       # old alias, same step name
    ("GZIP", gzip.compress, ("gzip",)),                         # tokens are case-insensitive
    ("deflate", zlib.compress, ("deflate",)),                   # RFC: zlib-wrapped
    ("deflate", _deflate_raw, ("deflate",)),                    # what many clients send
    ("br", brotli.compress, ("br",)),
    ("zstd", zstandard.ZstdCompressor().compress, ("zstd",)),
    ("gzip, br", lambda d: brotli.compress(gzip.compress(d)), ("br", "gzip")),  # undone last first
    ("deflate,zstd", lambda d: zstandard.ZstdCompressor().compress(zlib.compress(d)),
     ("zstd", "deflate")),
    ("identity", lambda d: d, ()),                              # nothing to undo
    ("gzip, identity", gzip.compress, ("gzip",)),
    ("", lambda d: d, ()),
    (None, lambda d: d, ()),
])
def test_round_trip(header: str | None, encode: Callable[[bytes], bytes],
                    steps: tuple[str, ...]) -> None:
    assert decode_body(encode(PLAIN), header) == DecodedBody(PLAIN, steps)


def test_gzip_members_are_concatenated() -> None:
    assert decode(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip", MiB) == b"abcd"


@pytest.mark.parametrize(("header", "data"), [
    ("gzip", b"\x1f\x8b\x08\x00garbage-not-deflate"),        # corrupt stream
    ("gzip", b"plain text, never compressed"),               # header lies
    ("br", b"\xff\xff\xff\xff not brotli"),
    ("zstd", b"\x28\xb5\x2f\xfd garbage"),                   # zstd magic, junk frame
    ("deflate", b"\xff\xfe\xfd"),
    ("compress", b"whatever"),                               # a coding we do not know
    ("gzip, bogus", b"whatever"),
    ("br, gzip", gzip.compress(b"x")),                       # br is undone first and fails
    ("gzip," * 20, b"whatever"),                             # more codings than max_depth
])
def test_undecodable_keeps_raw_bytes(header: str, data: bytes) -> None:
    result = decode_body(data, header)
    assert (result.data, result.steps, result.truncated) == (data, (), False)
    assert result.error


@pytest.mark.parametrize(("header", "data"), [
    ("gzip", gzip.compress(PLAIN)[:-30]),                     # body cut in transit
    ("deflate", zlib.compress(PLAIN)[:-30]),
    ("br", brotli.compress(PLAIN)[:-5]),
])
def test_stream_cut_short_keeps_prefix(header: str, data: bytes) -> None:
    result = decode_body(data, header)
    assert result.truncated and result.steps == (header,) and result.error
    assert result.data and PLAIN.startswith(result.data)


@pytest.mark.parametrize(("header", "encode"), [
    ("gzip", gzip.compress),
    ("deflate", _deflate_raw),
    ("br", lambda d: brotli.compress(d, quality=1)),
    ("zstd", zstandard.ZstdCompressor().compress),
])
def test_size_cap_keeps_prefix(header: str, encode: Callable[[bytes], bytes]) -> None:
    data = bytes(range(256)) * 16 * 1024  # 4 MiB, barely compressible
    limits = Limits(max_decoded_body=MiB)
    result = decode_body(encode(data), header, limits)
    assert result.truncated and result.steps == (header,) and result.error is None
    assert result.data == data[:MiB]


def test_gzip_bomb_is_cut_at_the_cap() -> None:
    bomb = _gzip_zeros(100 * MiB)  # ~100 KB on the wire
    result = decode_body(bomb, "gzip")
    assert result.truncated and result.steps == ("gzip",)
    assert len(result.data) == Limits().max_decoded_body


def test_brotli_bomb_is_cut_at_the_cap() -> None:
    bomb = brotli.compress(bytes(64 * MiB), quality=0)  # ~50 KB on the wire
    result = decode_body(bomb, "br")
    assert result.truncated and len(result.data) == Limits().max_decoded_body


@pytest.mark.parametrize(("wire", "cap"), [
    (10, MiB),                 # small bodies may always reach the ratio floor
    (2000, 2000 * 1000),       # past the floor: wire size times max_ratio
    (10 * MiB, 16 * MiB),      # never past max_decoded_body
])
def test_decoded_cap(wire: int, cap: int) -> None:
    assert Limits().decoded_cap(wire) == cap


def test_ratio_cap_cuts_a_small_bomb() -> None:
    bomb = zstandard.ZstdCompressor().compress(bytes(8 * MiB))  # a few hundred bytes
    result = decode_body(bomb, "zstd")
    assert result.truncated and len(result.data) == max(MiB, len(bomb) * 1000)


def test_chained_bomb_is_cut() -> None:
    inner = _gzip_zeros(64 * MiB)
    result = decode_body(brotli.compress(inner, quality=1), "gzip, br", Limits(max_ratio=10**9))
    assert result.truncated and result.steps == ("br", "gzip")
    assert len(result.data) == Limits().max_decoded_body


def test_decode_unknown_coding_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode(b"x", "compress", MiB)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=512), name=st.sampled_from(sorted(DECODERS)))
def test_decoders_raise_only_decode_error(data: bytes, name: str) -> None:
    with contextlib.suppress(DecodeError):
        decode(data, name, 4096)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=512), st.binary(max_size=512).map(gzip.compress)),
    header=st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from([*DECODERS, "bogus"]), max_size=3).map(", ".join),
    ),
)
def test_decode_body_never_raises(data: bytes, header: str) -> None:
    assert isinstance(decode_body(data, header), DecodedBody)
