"""HelloReader: fed in any pieces, it reads what joining all the records at once reads."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures import pcaps
from trafficscope.sources.pcap.tls import Hello, HelloReader, client_hello


def joined(data: bytes) -> bytes:
    """The handshake bytes of the TLS records at the start of `data`, joined at once
    (what the reader did before HelloReader, on every segment)."""
    out = bytearray()
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x16:
        length = (data[pos + 3] << 8) | data[pos + 4]
        if pos + 5 + length > len(data):
            out += data[pos + 5 :]
            break
        out += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
    return bytes(out)


def records(hs: bytes, cuts: list[int]) -> bytes:
    bounds = sorted({0, len(hs), *(c % (len(hs) + 1) for c in cuts)})
    return b"".join(pcaps.tls_record(hs[a:b]) for a, b in itertools.pairwise(bounds))


HELLO = pcaps.client_hello("split.example.org")


@given(cuts=st.lists(st.integers(0, 2000), max_size=40),
       pieces=st.lists(st.integers(1, 50), min_size=1, max_size=40),
       tail=st.binary(max_size=20))
def test_feed_in_pieces_reads_what_joining_all_reads(cuts: list[int], pieces: list[int],
                                                     tail: bytes) -> None:
    data = records(HELLO, cuts) + tail
    reader, pos, got = HelloReader(), 0, []
    for i in range(len(data)):  # pieces of the drawn sizes, cycled
        if pos >= len(data):
            break
        end = pos + pieces[i % len(pieces)]
        got.append(reader.feed(data[pos:end]))
        assert got[-1] == client_hello(joined(data[:end]))
        pos = end
    assert Hello("split.example.org", ("h2", "http/1.1")) in got


@given(data=st.binary(max_size=300), step=st.integers(1, 30))
def test_feed_of_any_bytes_reads_what_joining_all_reads(data: bytes, step: int) -> None:
    reader = HelloReader()
    for end in range(step, len(data) + step, step):
        assert reader.feed(data[end - step : end]) == client_hello(joined(data[:end]))
