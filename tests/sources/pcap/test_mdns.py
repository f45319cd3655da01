"""mDNS announcements: the names a device gives itself, read from hand-built messages."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from trafficscope.sources.pcap import mdns


def _name(*labels: str) -> bytes:
    return b"".join(bytes([len(lb.encode())]) + lb.encode() for lb in labels) + b"\x00"


def _record(owner: bytes, rtype: int, rdata: bytes) -> bytes:
    return owner + struct.pack(">HHIH", rtype, 0x8001, 120, len(rdata)) + rdata


def _message(*records: bytes, questions: int = 0) -> bytes:
    return struct.pack(">6H", 0, 0x8400, questions, len(records), 0, 0) + b"".join(records)


SERVICE = _name("_companion-link", "_tcp", "local")
INSTANCE = _name("Luca’s iPhone", "_companion-link", "_tcp", "local")
HOST = _name("Lucas-iPhone", "local")


def test_an_announcement_gives_host_instance_and_txt() -> None:
    txt = b"".join(bytes([len(s)]) + s for s in (b"waMA=C4:2C:03:06:49:FE", b"model=iPhone14,2",
                                                  b"novalue"))
    msg = _message(
        _record(SERVICE, 12, INSTANCE),
        _record(INSTANCE, 33, struct.pack(">HHH", 0, 0, 49152) + HOST),
        _record(INSTANCE, 16, txt),
        _record(HOST, 1, bytes([192, 168, 2, 7])))
    assert mdns.parse(msg) == (
        ("instance", "Luca’s iPhone"), ("hostname", "Lucas-iPhone"),
        ("txt.waMA", "C4:2C:03:06:49:FE"), ("txt.model", "iPhone14,2"))


def test_compressed_names_and_what_is_no_instance() -> None:
    # the PTR's target points back at the service type's labels (offset 12 + owner)
    owner = SERVICE
    target = bytes([len(b"Living Room")]) + b"Living Room" + b"\xc0\x0c"
    sub = _name("8fb207de", "_sub", "_apple-mobdev2", "_tcp", "local")  # a subtype: no name
    msg = _message(_record(owner, 12, target), _record(sub, 12, SERVICE))
    assert mdns.parse(msg) == (("instance", "Living Room"),)


def test_queries_and_hostile_messages() -> None:
    query = struct.pack(">6H", 0, 0, 1, 0, 0, 0) + SERVICE + b"\x00\x0c\x00\x01"
    assert mdns.parse(query) is None  # a question names nothing of its sender
    assert mdns.parse(b"\x00" * 11) is None
    full = _message(_record(SERVICE, 12, INSTANCE), _record(HOST, 1, b"\x01\x02\x03\x04"))
    # cut inside the second record: the first is kept
    assert mdns.parse(full[:-6]) == (("instance", "Luca’s iPhone"),)
    # a compression loop ends without hanging or raising
    loop = _message(_record(b"\xc0\x0c", 12, b"\xc0\x0c"))
    assert mdns.parse(loop) is None
    # many records: the pairs returned are capped
    many = _message(*(_record(_name(f"host{i}", "local"), 1, b"\x01\x02\x03\x04")
                      for i in range(200)))
    got = mdns.parse(many)
    assert got is not None and len(got) == mdns.MAX_PAIRS


@given(st.binary(max_size=600), st.integers(0, 4))
def test_any_bytes_give_pairs_or_none(tail: bytes, records: int) -> None:
    # (a header that announces records, so the fuzzer gets to them)
    got = mdns.parse(struct.pack(">6H", 0, 0x8400, 0, records, 0, 0) + tail)
    assert got is None or (0 < len(got) <= mdns.MAX_PAIRS
                           and all(isinstance(k, str) and v for k, v in got))
