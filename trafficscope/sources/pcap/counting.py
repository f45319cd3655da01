"""Count-only packets: settled inside the record loop, without objects per packet.

Once a direction of a flow has nothing more to give its reader (TLS after the
ClientHello, QUIC after the Initial, server responses, a full payload
snippet), the reader registers it in `Counters` under its IPv4 flow key
(source and destination addresses and ports, 12 bytes as on the wire). Its
later packets only add to the byte counts and the last-seen time: most
packets, and most bytes, of a real capture.

`slow_packets` yields the packets that need the reader, as
`(ts, link type, offset, length, IPv4 offset)`, and settles the count-only
ones itself. The IPv4 offset is where an unfragmented IPv4 header without
options starts in the map, when the loop has seen one at the link's fixed
place (the reader then skips the link and IP layers), else -1.
A classic pcap with Ethernet or Linux cooked (SLL) framing takes the fast
shape: the record header and the link/IPv4/TCP-or-UDP header fields are read
with one `struct` unpack, and a count-only packet costs a dictionary lookup
and two additions. Other files go through `records.iter_offsets` with the
same test per packet. Only unfragmented IPv4 packets without IP options and,
for TCP, without SYN, FIN or RST, are counted this way; everything else goes
to the reader.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trafficscope.errors import ReadError

from .records import _PCAP_MAGIC, MAX_FRAME, RELEASE_EVERY, _release, iter_offsets

if TYPE_CHECKING:
    from .conns import TcpConn, UdpFlow
    from .tcp import Stream

#: Link types whose IPv4 header follows an EtherType at a fixed place: Ethernet (without
#: VLAN tags), Linux cooked capture v1. Value: offset of the IP header in the frame.
FIXED_LINKS = {1: 14, 113: 16}
#: Link, IPv4 and TCP/UDP header fields the test needs, from the EtherType on: EtherType,
#: version/IHL, total length, flags/fragment offset, protocol, addresses and ports (the
#: flow key), TCP data offset, TCP flags. Read in network byte order.
_FIELDS = "HBxH2xHxB2x12s8xBB"
#: Header bytes the fields span after the EtherType's offset (IPv4 20 + TCP 14 + 2).
_SPAN = 36
#: A packet for the reader: (ts, link type, offset, length, offset of a plain IPv4 header or -1).
Slow = tuple[float, int, int, int, int]


@dataclass
class Counters:
    """The directions that only count, by IPv4 flow key."""

    tcp: dict[bytes, tuple[TcpConn, Stream]] = field(default_factory=dict)
    #: the same for UDP: the flow, and whether the key is its client's direction
    udp: dict[bytes, tuple[UdpFlow, bool]] = field(default_factory=dict)


def slow_packets(path: str | os.PathLike[str], mm: mmap.mmap,
                 counters: Counters) -> Iterator[Slow]:
    """The packets of the capture in `mm` that the reader must see; the count-only ones
    are added to their flows on the way. `ReadError` after the last good record."""
    if mm[:4] in _PCAP_MAGIC and len(mm) >= 24:
        endian = _PCAP_MAGIC[mm[:4]][0]
        link = struct.unpack_from(endian + "I", mm, 20)[0] & 0x0FFFFFFF
        if link in FIXED_LINKS:
            return _pcap_fixed_link(path, mm, counters, link)
    return _any_file(path, mm, counters)


def _pcap_fixed_link(path: str | os.PathLike[str], mm: mmap.mmap, counters: Counters,
                     link: int) -> Iterator[Slow]:
    """A classic pcap file of one fixed link layer: record header and packet headers in
    one unpack. Same records and errors as `records.iter_offsets`."""
    endian, unit = _PCAP_MAGIC[mm[:4]]
    ip_at = FIXED_LINKS[link]
    swap = endian == "<"  # the struct reads the network fields in the file's byte order
    ipv4 = 0x0008 if swap else 0x0800
    frag_mask = 0xFF3F if swap else 0x3FFF
    rec = struct.Struct(endian + "IIII").unpack_from
    fused = struct.Struct(f"{endian}IIII{ip_at - 2}x{_FIELDS}")
    head = fused.unpack_from
    min_frame = ip_at + _SPAN - 2
    tcp_get, udp_get = counters.tcp.get, counters.udp.get
    pos, end, n, released = 24, len(mm), 0, 0
    release_at = RELEASE_EVERY
    fused_end = end - fused.size  # records starting up to here have all the fields
    while pos + 16 <= end:
        if pos <= fused_end:
            sec, frac, incl, _orig, etype, vihl, total, frag, proto, key, doff, tflags = head(
                mm, pos)
        else:
            sec, frac, incl, _orig = rec(mm, pos)
            etype = 0
        if incl > MAX_FRAME:
            raise ReadError(path, f"damaged record {n + 1} at offset {pos}: length {incl}")
        start = pos + 16
        if start + incl > end:
            break
        pos = start + incl
        n += 1
        if pos >= release_at:
            released = _release(mm, released, pos)
            release_at = released + RELEASE_EVERY
        if etype != ipv4 or vihl != 0x45 or frag & frag_mask or incl < min_frame:
            yield sec + frac * unit, link, start, incl, -1
            continue
        if proto == 6:
            if not tflags & 7:
                entry = tcp_get(key)
                if entry is not None:
                    if swap:
                        total = (total >> 8) | ((total & 0xFF) << 8)
                    size = total - 20 - (doff >> 4) * 4
                    if size > 0:
                        entry[1].bytes += size
                    entry[0].last = sec + frac * unit
                    continue
        elif proto == 17:
            uentry = udp_get(key)
            if uentry is not None:
                if swap:
                    total = (total >> 8) | ((total & 0xFF) << 8)
                _count_udp(uentry, total - 28, sec + frac * unit)
                continue
        yield sec + frac * unit, link, start, incl, start + ip_at
    if pos != end:
        raise ReadError(path, f"truncated after record {n} (offset {pos} of {end})")


def _count_udp(entry: tuple[UdpFlow, bool], size: int, ts: float) -> None:
    flow, outgoing = entry
    if size > 0:
        if outgoing:
            flow.bytes_out += size
        else:
            flow.bytes_in += size
    flow.last = ts
    flow.packets += 1


_ETHERNET = struct.Struct("!12x" + _FIELDS).unpack_from


def _any_file(path: str | os.PathLike[str], mm: mmap.mmap,
              counters: Counters) -> Iterator[Slow]:
    """pcapng, and pcap of other link types: records one by one, Ethernet tested in place."""
    tcp, udp = counters.tcp, counters.udp
    for ts, link, start, length in iter_offsets(path, mm):
        if link == 1 and length >= 14 + _SPAN - 2:
            etype, vihl, total, frag, proto, key, doff, tflags = _ETHERNET(mm, start)
            if etype == 0x0800 and vihl == 0x45 and not frag & 0x3FFF:
                if proto == 6 and not tflags & 7:
                    entry = tcp.get(key)
                    if entry is not None:
                        conn, stream = entry
                        size = total - 20 - (doff >> 4) * 4
                        if size > 0:
                            stream.bytes += size
                        conn.last = ts
                        continue
                elif proto == 17:
                    uentry = udp.get(key)
                    if uentry is not None:
                        _count_udp(uentry, total - 28, ts)
                        continue
                yield ts, link, start, length, start + 14
                continue
        yield ts, link, start, length, -1
