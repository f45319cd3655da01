"""Capture records: pcap and pcapng packets read off a memory map with `struct`.

`iter_records(path)` yields `(ts, linktype, frame)` tuples, one per packet, in
file order; `iter_offsets(path, mm)` yields `(ts, linktype, start, length)` into
the memory map `open_map(path)` returns, for callers that read headers in place
without copying frames. pcap: both byte orders, microsecond and nanosecond stamps. pcapng:
every section (byte order per section), several interfaces with their own link
type, `if_tsresol` and `if_tsoffset`, Enhanced, Simple and obsolete Packet
blocks; other blocks are skipped by their length.

Nothing is copied but each frame's bytes. A damaged or truncated file yields
every complete record before the damage, then raises `ReadError` naming the
offset and the reason.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator

from trafficscope.errors import ReadError
from trafficscope.sources.files import os_reason

Record = tuple[float, int, bytes]
Offsets = tuple[float, int, int, int]

#: Pages of the map already read are dropped every this many bytes, so resident memory
#: stays flat however large the file (mapped pages count towards RSS).
RELEASE_EVERY = 32 * 1024 * 1024

#: A frame larger than this is taken for damage (the largest snaplen in use is 256 KiB).
MAX_FRAME = 1 << 20

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_SHB = 0x0A0D0D0A
_IDB, _SPB, _EPB, _OPB = 1, 3, 6, 2


def open_map(path: str | os.PathLike[str]) -> mmap.mmap:
    """The file mapped read-only; `ReadError` if it cannot be opened or is empty."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise ReadError(path, "empty file")
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e


def iter_offsets(path: str | os.PathLike[str], mm: mmap.mmap) -> Iterator[Offsets]:
    """Every packet as (ts, link type, offset, length) in `mm`; `ReadError` after the last
    good one."""
    if mm[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng(path, mm)
    return _pcap(path, mm)


def iter_records(path: str | os.PathLike[str]) -> Iterator[Record]:
    """Every packet of a pcap or pcapng file; `ReadError` after the last good one."""
    mm = open_map(path)
    try:
        for ts, link, start, length in iter_offsets(path, mm):
            yield ts, link, mm[start : start + length]
    finally:
        mm.close()


def _pcap(path: str | os.PathLike[str], mm: mmap.mmap) -> Iterator[Offsets]:
    if len(mm) < 24 or mm[:4] not in _PCAP_MAGIC:
        raise ReadError(path, "truncated pcap header" if len(mm) < 24 else "not a pcap file")
    endian, unit = _PCAP_MAGIC[mm[:4]]
    linktype = struct.unpack_from(endian + "I", mm, 20)[0] & 0x0FFFFFFF
    rec = struct.Struct(endian + "IIII")
    unpack = rec.unpack_from
    pos, end, n, released = 24, len(mm), 0, 0
    while pos + 16 <= end:
        sec, frac, incl, _orig = unpack(mm, pos)
        if incl > MAX_FRAME:
            raise ReadError(path, f"damaged record {n + 1} at offset {pos}: length {incl}")
        start = pos + 16
        if start + incl > end:
            break
        yield sec + frac * unit, linktype, start, incl
        pos = start + incl
        n += 1
        if pos >= released + RELEASE_EVERY:
            released = _release(mm, released, pos)
    if pos != end:
        raise ReadError(path, f"truncated after record {n} (offset {pos} of {end})")


def _pcapng(path: str | os.PathLike[str], mm: mmap.mmap) -> Iterator[Offsets]:
    pos, end, n, released = 0, len(mm), 0, 0
    e = "<"
    ifaces: list[tuple[int, float, float, int]] = []  # linktype, unit, offset, snaplen
    while pos + 12 <= end:
        btype = struct.unpack_from(e + "I", mm, pos)[0]
        if btype == _SHB:
            bom = mm[pos + 8 : pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise ReadError(path, f"damaged section header at offset {pos}")
            ifaces = []
        blen = struct.unpack_from(e + "I", mm, pos + 4)[0]
        if blen < 12 or blen % 4 or blen > MAX_FRAME + 4096:
            raise ReadError(path, f"damaged block after record {n} at offset {pos}")
        if pos + blen > end:
            break
        body = pos + 8
        if btype == _IDB:
            ifaces.append(_interface(mm, e, body, pos + blen - 4))
        elif btype in (_EPB, _OPB):
            if btype == _EPB:
                iid, hi, lo, cap, _orig = struct.unpack_from(e + "IIIII", mm, body)
            else:
                iid, _drops, hi, lo, cap, _orig = struct.unpack_from(e + "HHIIII", mm, body)
            if iid >= len(ifaces) or body + 20 + cap > pos + blen - 4:
                raise ReadError(path, f"damaged packet block after record {n} at offset {pos}")
            link, unit, offset, _snap = ifaces[iid]
            yield ((hi << 32) | lo) * unit + offset, link, body + 20, cap
            n += 1
        elif btype == _SPB:
            if not ifaces:
                raise ReadError(path, f"simple packet block before any interface at {pos}")
            link, _unit, _offset, snap = ifaces[0]
            orig = struct.unpack_from(e + "I", mm, body)[0]
            cap = min(orig, blen - 16, snap or orig)
            yield 0.0, link, body + 4, cap
            n += 1
        pos += blen
        if pos >= released + RELEASE_EVERY:
            released = _release(mm, released, pos)
    if pos != end:
        raise ReadError(path, f"truncated after record {n} (offset {pos} of {end})")


def _release(mm: mmap.mmap, start: int, pos: int) -> int:
    """Drop the mapped pages in [start, pos) (page-aligned) from memory; returns the new start."""
    end = pos - pos % mmap.PAGESIZE
    if end > start and hasattr(mmap, "MADV_DONTNEED"):
        mm.madvise(mmap.MADV_DONTNEED, start, end - start)
    return end


def _interface(mm: mmap.mmap, e: str, body: int, end: int) -> tuple[int, float, float, int]:
    """(link type, seconds per tick, ts offset, snaplen) of an Interface Description Block."""
    link, _res, snap = struct.unpack_from(e + "HHI", mm, body)
    unit, offset = 1e-6, 0.0
    pos = body + 8
    while pos + 4 <= end:
        code, length = struct.unpack_from(e + "HH", mm, pos)
        if code == 0:
            break
        value = mm[pos + 4 : pos + 4 + length]
        if code == 9 and length >= 1:
            r = value[0]
            unit = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
        elif code == 14 and length == 8:
            offset = float(struct.unpack(e + "q", value)[0])
        pos += 4 + ((length + 3) & ~3)
    return link, unit, offset, snap
