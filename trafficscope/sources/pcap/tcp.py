"""TCP reassembly for one direction of a connection.

`Stream.add(seq, data)` takes segments in any order and hands the bytes, in
order and once, to `on_data`; a hole that is never filled is skipped with
`on_gap(nbytes)` and counted, and the stream goes on after it.

- Retransmissions and overlaps: the first copy wins; an overlap whose bytes
  differ from the first copy is counted in `overlaps_differ` (same bytes:
  `retransmitted`). Bytes already delivered are compared against the last
  `TAIL` bytes kept.
- Start: a SYN anchors the stream at ISN + 1. Without one (a capture that
  starts mid-stream) segments are held until the stream ends or `HOLD` bytes
  wait, then delivery starts at the lowest sequence number seen, so the
  arrival order does not change the result.
- Memory: at most `depth` bytes in `MAX_WAITING` segments wait out of order per
  stream; past that the stream skips to the lowest waiting segment (a gap). The
  segments waiting are kept sorted and found by bisection, so a segment costs
  the same however many wait. Streams whose reader is done (`finish()`) only
  count bytes and hold nothing.
Sequence numbers wrap at 2**32; offsets are kept as unbounded ints.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable

#: Out-of-order bytes one stream may hold before it gives up on a hole.
DEPTH = 256 * 1024
#: Bytes held before a stream that started mid-way (no SYN) starts delivering.
HOLD = 64 * 1024
#: Segments one stream may hold out of order (tiny segments would make thousands
#: within `depth` bytes); past it, as past `depth`, the stream skips a hole.
MAX_WAITING = 4096
#: Delivered bytes kept to compare retransmitted copies with.
TAIL = 16 * 1024

_MASK = 0xFFFFFFFF


def _offset(piece: tuple[int, bytes]) -> int:
    return piece[0]


def _signed(delta: int) -> int:
    delta &= _MASK
    return delta - (1 << 32) if delta >= 1 << 31 else delta


class Stream:
    __slots__ = (
        "bytes",
        "delivered",
        "depth",
        "done",
        "gap_bytes",
        "gaps",
        "on_data",
        "on_gap",
        "overlaps_differ",
        "pending",
        "pending_bytes",
        "ref",
        "retransmitted",
        "tail",
    )

    def __init__(self, on_data: Callable[[bytes], None], on_gap: Callable[[int], None],
                 depth: int = DEPTH) -> None:
        self.on_data = on_data
        self.on_gap = on_gap
        self.depth = depth
        self.ref: int | None = None  # sequence number at offset 0
        self.delivered: int | None = None  # offset of the next byte to deliver
        self.pending: list[tuple[int, bytes]] = []
        self.pending_bytes = 0
        self.tail = bytearray()
        self.done = False
        self.gaps = self.gap_bytes = self.overlaps_differ = self.retransmitted = 0
        self.bytes = 0

    def finish(self) -> None:
        """The reader wants no more bytes: from now on they are only counted, and what the
        stream held (segments waiting, the retransmission tail) is let go."""
        self.done = True
        self.pending.clear()  # in place: `_drain` may be iterating it
        self.pending_bytes = 0
        self.tail = bytearray()

    def syn(self, isn: int) -> None:
        """The SYN's sequence number: data starts at `isn + 1`."""
        if self.delivered is not None:
            return
        if self.ref is None:
            self.ref = (isn + 1) & _MASK
            self.delivered = 0
        else:
            start = _signed(isn + 1 - self.ref)
            kept = [(o, d) for o, d in self.pending if o + len(d) > start]
            self.pending = [(max(o, start), d[max(0, start - o):]) for o, d in kept]
            self.pending_bytes = sum(len(d) for _, d in self.pending)
            self.delivered = start
            self._drain()

    def add(self, seq: int, data: bytes) -> None:
        self.bytes += len(data)
        if self.done or not data:
            return
        if self.ref is None:
            self.ref = seq
        delivered = self.delivered
        if delivered is None:
            off = _signed(seq - self.ref)
        else:
            off = delivered + _signed(seq - self.ref - delivered)
            if off == delivered and not self.pending:  # the common case: in order
                self._deliver(data)
                return
            if off < delivered:
                self._compare_delivered(off, data)
                if off + len(data) <= delivered:
                    return
                data = data[delivered - off :]
                off = delivered
        self._insert(off, data)
        if delivered is None:
            if self.pending_bytes >= HOLD or len(self.pending) >= MAX_WAITING:
                self.flush(final=False)
            return
        self._drain()
        if self.pending_bytes > self.depth or len(self.pending) > MAX_WAITING:
            self._skip_gap()

    def flush(self, final: bool = True) -> None:
        """Deliver what waits, skipping holes (at the end, or to start a mid-stream capture)."""
        if self.delivered is None:
            if not self.pending:
                return
            self.delivered = self.pending[0][0]
        self._drain()
        while self.pending and not self.done and final:
            self._skip_gap()

    def _deliver(self, data: bytes) -> None:
        assert self.delivered is not None
        self.delivered += len(data)
        tail = self.tail
        tail += data
        if len(tail) > 2 * TAIL:
            del tail[:-TAIL]
        if not self.done:
            self.on_data(data)

    def _compare_delivered(self, off: int, data: bytes) -> None:
        assert self.delivered is not None
        start = self.delivered - len(self.tail)
        lo, hi = max(off, start), min(off + len(data), self.delivered)
        if lo >= hi:
            self.retransmitted += 1
            return
        if data[lo - off : hi - off] == self.tail[lo - start : hi - start]:
            self.retransmitted += 1
        else:
            self.overlaps_differ += 1

    def _insert(self, off: int, data: bytes) -> None:
        # The pieces waiting do not overlap: only the one starting at or before `off`
        # and those after it, up to the end of `data`, can meet it.
        pending = self.pending
        first = bisect_right(pending, off, key=_offset)
        if first and pending[first - 1][0] + len(pending[first - 1][1]) > off:
            first -= 1
        pieces: list[tuple[int, bytes]] = []
        for i in range(first, len(pending)):
            po, pd = pending[i]
            pe = po + len(pd)
            if pe <= off:
                continue
            if po >= off + len(data):
                break
            if po > off:
                pieces.append((off, data[: po - off]))
            lo, hi = max(po, off), min(pe, off + len(data))
            if data[lo - off : hi - off] == pd[lo - po : hi - po]:
                self.retransmitted += 1
            else:
                self.overlaps_differ += 1
            if pe >= off + len(data):
                data = b""
                break
            data, off = data[pe - off :], pe
        if data:
            pieces.append((off, data))
        for piece in pieces:
            insort(pending, piece, key=_offset)
            self.pending_bytes += len(piece[1])

    def _drain(self) -> None:
        pending = self.pending
        while pending and pending[0][0] <= self.delivered:  # type: ignore[operator]
            off, data = pending.pop(0)
            self.pending_bytes -= len(data)
            skip = self.delivered - off  # type: ignore[operator]
            if skip < len(data):
                self._deliver(data[skip:])

    def _skip_gap(self) -> None:
        assert self.delivered is not None
        hole = self.pending[0][0] - self.delivered
        self.gaps += 1
        self.gap_bytes += hole
        self.delivered = self.pending[0][0]
        self.tail.clear()
        if not self.done:
            self.on_gap(hole)
        self._drain()
