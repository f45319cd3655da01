"""10 GiB of zeros, compressed four ways, in a body and inside base64 in a query.

The streams are made without compressing 10 GiB each time: deflate blocks
after a full flush are independent, so one compressed MiB of zeros is
repeated (gzip and zlib need no valid trailer: decoding stops at the cap long
before it); zstd frames concatenate; brotli is compressed once per session at
quality 0 (about 3 s). Decoding must stay within the documented caps, keep the
flow and mark what was cut.
"""

from __future__ import annotations

import base64
import zlib

import brotli
import pytest
import zstandard

from trafficscope.decoding.fields import extract_fields
from trafficscope.decoding.limits import DEFAULT_LIMITS, MiB
from trafficscope.model import Flow

GiB = 1024 * MiB
TOTAL = 10 * GiB


def _deflate_zeros(total: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * (total // MiB) + c.flush()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    raw = _deflate_zeros(TOTAL)
    frame = zstandard.ZstdCompressor(level=1).compress(bytes(256 * MiB))
    comp = brotli.Compressor(quality=0)
    zeros = bytes(64 * MiB)
    br = b"".join(comp.process(zeros) for _ in range(TOTAL // len(zeros))) + comp.finish()
    return {
        "gzip": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + raw,
        "deflate": b"\x78\x9c" + raw,
        "zstd": frame * (TOTAL // (256 * MiB)),
        "br": br,
    }


def _flow(**kw: object) -> Flow:
    return Flow(**{"flow_id": "bomb", "ts": 0.0, "source": "har", "kind": "http",
                   "host": "h.example", "method": "POST", "url": "https://h.example/", **kw})


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_bomb_in_body(bombs: dict[str, bytes], coding: str) -> None:
    flow = _flow(request_headers=(("Content-Encoding", coding),), request_body=bombs[coding])
    fields = [f for f in extract_fields(flow) if f.location == "body"]
    assert fields, "the flow is kept"
    assert sum(len(f.value) for f in fields) <= DEFAULT_LIMITS.max_decoded_body
    assert all(f.truncated for f in fields)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "zstd"])
def test_bomb_in_base64_in_query(bombs: dict[str, bytes], coding: str) -> None:
    # The query holds the bomb twice and a small value: all within the flow's budget.
    blob = base64.urlsafe_b64encode(bombs[coding]).decode()
    flow = _flow(url=f"https://h.example/p?a={blob}&b={blob}&imei=490154203237518")
    fields = list(extract_fields(flow))
    decoded = [f for f in fields if coding.replace("deflate", "zlib") in f.encoding]
    assert decoded and all(f.truncated for f in decoded)
    assert all(len(f.value) <= DEFAULT_LIMITS.max_value_decoded for f in decoded)
    assert sum(len(f.value) for f in decoded) <= DEFAULT_LIMITS.max_flow_decoded
    assert ("imei", "490154203237518") in {(f.key, f.value) for f in fields}


def test_bomb_in_base64_brotli(bombs: dict[str, bytes]) -> None:
    # brotli has no magic: tried after the rest; still capped, and the flow kept.
    blob = base64.urlsafe_b64encode(bombs["br"][:4 * MiB]).decode()
    flow = _flow(url=f"https://h.example/p?a={blob}&imei=490154203237518")
    fields = list(extract_fields(flow))
    assert all(len(f.value) <= max(DEFAULT_LIMITS.max_value_decoded, len(blob)) for f in fields)
    assert ("imei", "490154203237518") in {(f.key, f.value) for f in fields}
