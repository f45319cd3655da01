"""IPv4 and IPv6: addresses, transport protocol and payload; fragments put back together.

`IPDecoder.decode(buf, off)` returns `(src, dst, proto, payload)` with raw
address bytes, or None for a packet that is not whole yet (a fragment),
damaged or not IP. IPv6 extension headers (hop-by-hop, routing, destination
options, fragment, AH) are skipped. Fragment reassembly is bounded:
`MAX_PENDING` datagrams in progress (oldest dropped first), 64 KiB each.
"""

from __future__ import annotations

from collections import OrderedDict
from heapq import heappop, heappush

Packet = tuple[bytes, bytes, int, bytes]

#: Datagrams whose fragments are waiting for the rest, at most.
MAX_PENDING = 1024
_MAX_DATAGRAM = 65535
_V6_EXT = frozenset({0, 43, 60, 51})


class _Datagram:
    """The fragments of one datagram. Whether it is whole is kept up to date as each
    fragment comes (the bytes without a hole from offset 0, the end of the furthest
    piece), so it is put together once, not tried again for every fragment."""

    __slots__ = ("end", "filled", "pieces", "total", "waiting")

    def __init__(self) -> None:
        self.pieces: dict[int, bytes] = {}
        self.total = -1  # known once the last fragment arrived
        self.filled = 0  # bytes from offset 0 without a hole
        self.end = 0  # where the furthest piece ends
        self.waiting: list[int] = []  # offsets of pieces past `filled` (a heap)

    def add(self, offset: int, data: bytes, more: bool) -> bytes | None:
        if offset + len(data) > _MAX_DATAGRAM:
            return None
        if offset not in self.pieces:  # first copy wins
            self.pieces[offset] = data
            self.end = max(self.end, offset + len(data))
            heappush(self.waiting, offset)
            while self.waiting and self.waiting[0] <= self.filled:
                off = heappop(self.waiting)
                self.filled = max(self.filled, off + len(self.pieces[off]))
        if not more:
            self.total = offset + len(data)
        if self.total < 0 or self.filled < self.end or self.filled < self.total:
            return None  # the last piece is missing, or a hole remains
        out = bytearray()
        for off in sorted(self.pieces):
            out += self.pieces[off][len(out) - off :]
        return bytes(out[: self.total])


class IPDecoder:
    """Stateful only for fragments; one per capture."""

    def __init__(self) -> None:
        self._frags: OrderedDict[tuple[bytes, bytes, int, int], _Datagram] = OrderedDict()
        self.fragments_dropped = 0

    def decode(self, buf: bytes, off: int) -> Packet | None:
        if len(buf) <= off:
            return None
        version = buf[off] >> 4
        if version == 4:
            return self._v4(buf, off)
        if version == 6:
            return self._v6(buf, off)
        return None

    def _v4(self, buf: bytes, off: int) -> Packet | None:
        ihl = (buf[off] & 15) * 4
        if ihl < 20 or len(buf) < off + ihl:
            return None
        total = (buf[off + 2] << 8) | buf[off + 3]
        end = off + total if ihl <= total and off + total <= len(buf) else len(buf)
        src, dst, proto = buf[off + 12 : off + 16], buf[off + 16 : off + 20], buf[off + 9]
        flags = (buf[off + 6] << 8) | buf[off + 7]
        more, frag_off = bool(flags & 0x2000), (flags & 0x1FFF) * 8
        payload = buf[off + ihl : end]
        if more or frag_off:
            ident = (buf[off + 4] << 8) | buf[off + 5]
            whole = self._fragment((src, dst, proto, ident), frag_off, payload, more)
            if whole is None:
                return None
            payload = whole
        return src, dst, proto, payload

    def _v6(self, buf: bytes, off: int) -> Packet | None:
        if len(buf) < off + 40:
            return None
        plen = (buf[off + 4] << 8) | buf[off + 5]
        end = off + 40 + plen if plen and off + 40 + plen <= len(buf) else len(buf)
        src, dst = buf[off + 8 : off + 24], buf[off + 24 : off + 40]
        nxt, pos = buf[off + 6], off + 40
        frag: tuple[int, int, bool] | None = None
        while nxt in _V6_EXT or nxt == 44:
            if pos + 8 > end:
                return None
            if nxt == 44:
                fo = (buf[pos + 2] << 8) | buf[pos + 3]
                ident = int.from_bytes(buf[pos + 4 : pos + 8], "big")
                frag = (ident, fo & 0xFFF8, bool(fo & 1))
                nxt, pos = buf[pos], pos + 8
            elif nxt == 51:
                nxt, pos = buf[pos], pos + (buf[pos + 1] + 2) * 4
            else:
                nxt, pos = buf[pos], pos + (buf[pos + 1] + 1) * 8
        payload = buf[pos:end]
        if frag is not None and (frag[1] or frag[2]):
            whole = self._fragment((src, dst, nxt, frag[0]), frag[1], payload, frag[2])
            if whole is None:
                return None
            payload = whole
        return src, dst, nxt, payload

    def _fragment(self, key: tuple[bytes, bytes, int, int], offset: int, data: bytes,
                  more: bool) -> bytes | None:
        dgram = self._frags.get(key)
        if dgram is None:
            if len(self._frags) >= MAX_PENDING:
                self._frags.popitem(last=False)
                self.fragments_dropped += 1
            dgram = self._frags[key] = _Datagram()
        whole = dgram.add(offset, data, more)
        if whole is not None:
            del self._frags[key]
        return whole
