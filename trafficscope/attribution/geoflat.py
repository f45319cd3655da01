"""The bundled GeoIP networks as flat sorted arrays in a mapped file: ~1 ms to open.

`geoip2fast` ships its MaxMind GeoLite2 Country networks as a gzipped pickle
of chunked lists (788,735 networks); loading it takes ~0.2 s of CPU, every
run. `build` turns those lists once into flat arrays, written to the user's
cache (`trafficscope.cache`, ~10 MB); `open_flat` maps that file and looks
addresses up by binary search over the mapped arrays, without reading the
rest. The answers are geoip2fast's: the network is the one with the greatest
first address not above the address, its size taken from its prefix length
(IPv4 sizes for addresses up to 2**32, as geoip2fast counts), and an address
past its end, or in one of geoip2fast's reserved ranges, has no country.

File layout (native byte order; the cache key names the machine's): magic,
a JSON header (source info, counts, country code of each index), then the
arrays, each starting at a multiple of 8: IPv4 first addresses (`I`), IPv6
first addresses as high and low 64 bits (`Q`, `Q`), prefix lengths (`B`),
country indexes (`H`).
"""

from __future__ import annotations

import gzip
import json
import logging
import mmap
import pickle
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Literal

from .. import cache

log = logging.getLogger(__name__)

MAGIC = b"TSGEO\x00\x01\n"
#: Country indexes below this are geoip2fast's reserved and private ranges.
_RESERVED = 16
_V4_END = 1 << 32  # geoip2fast's MAX_IPv4: addresses up to it get IPv4 network sizes
_LOW = (1 << 64) - 1


class FlatCountries:
    """Country lookups over the mapped arrays of one cache file."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        mm = self._mm
        if mm[: len(MAGIC)] != MAGIC:
            raise ValueError("not a trafficscope GeoIP cache file")
        (size,) = struct.unpack_from("<I", mm, len(MAGIC))
        start = len(MAGIC) + 4
        head = json.loads(mm[start : start + size])
        self.info: str = head["info"]
        self.version: str = head.get("version", "")
        self._codes: list[str | None] = [c or None for c in head["codes"]]
        n4, n6 = int(head["n4"]), int(head["n6"])
        view = memoryview(mm)
        pos = _align(start + size)

        def take(fmt: Literal["B", "H", "I", "Q"], count: int) -> memoryview:
            nonlocal pos
            nbytes = count * struct.calcsize(fmt)
            if pos + nbytes > len(mm):
                raise ValueError("truncated GeoIP cache file")
            part = view[pos : pos + nbytes].cast(fmt)
            pos = _align(pos + nbytes)
            return part

        self._v4, self._hi, self._lo = take("I", n4), take("Q", n6), take("Q", n6)
        self._netlen, self._cc = take("B", n4 + n6), take("H", n4 + n6)
        self._n4 = n4
        if not n4 or self._v4[0] != 0:
            raise ValueError("inconsistent GeoIP cache file")

    def country(self, ip: int) -> str | None:
        """Country code of the address `ip` (as an integer), None when none is known."""
        n4 = self._n4
        if ip < _V4_END:
            i = bisect_right(self._v4, ip) - 1
        else:
            hi, lo = ip >> 64, ip & _LOW
            end = bisect_right(self._hi, hi)
            start = bisect_left(self._hi, hi, 0, end)
            j = bisect_right(self._lo, lo, start, end) - 1
            i = n4 + (j if j >= start else start - 1)  # start - 1 == -1: the last IPv4 one
        first = self._v4[i] if i < n4 else (self._hi[i - n4] << 64) | self._lo[i - n4]
        bits = 32 if ip <= _V4_END else 128
        netlen = self._netlen[i]
        if netlen > bits or ip > first + (1 << (bits - netlen)) - 1:
            return None
        cc = self._cc[i]
        return self._codes[cc] if cc < len(self._codes) else None


def _align(pos: int) -> int:
    return (pos + 7) & ~7


def build(data_file: Path, version: str = "") -> bytes | None:
    """The cache file's bytes for a geoip2fast country data file (IPv4 and IPv6 without
    ASN or city) of geoip2fast `version`, or None when the file has another layout."""
    with gzip.open(data_file, "rb") as f:
        dat_version, source_info, _total, main = pickle.load(f)  # geoip2fast's own data
    if (dat_version not in (120, 121) or not isinstance(source_info, dict)
            or not source_info.get("country") or source_info.get("asn")
            or source_info.get("city") or len(main) != 5):
        return None
    index, names, firsts, country_ids, netlens = main
    if len(index) != len(firsts) or any(c[0] != i for i, c in zip(index, firsts, strict=True)):
        return None
    flat = [ip for chunk in firsts for ip in chunk]
    if not flat or flat[0] != 0 or any(a >= b for a, b in pairwise(flat)):
        return None
    n4 = bisect_left(flat, _V4_END)
    codes = ["" if i < _RESERVED else str(name).split(":")[0] for i, name in enumerate(names)]
    codes = ["" if c == "--" else c for c in codes]
    head = json.dumps({"info": str(source_info.get("info", "")), "version": version, "n4": n4,
                       "n6": len(flat) - n4, "codes": codes}).encode()
    parts = [
        array("I", flat[:n4]),
        array("Q", (ip >> 64 for ip in flat[n4:])),
        array("Q", (ip & _LOW for ip in flat[n4:])),
        array("B", (n for chunk in netlens for n in chunk)),
        array("H", (c for chunk in country_ids for c in chunk)),
    ]
    out = bytearray(MAGIC + struct.pack("<I", len(head)) + head)
    for part in parts:
        out += bytes(_align(len(out)) - len(out))
        out += part.tobytes()
    return bytes(out)


def open_flat(data_file: Path, version: Callable[[], str]) -> FlatCountries | None:
    """The flat form of `data_file` from the cache, built and written on first use (with
    geoip2fast's `version()`); None when caching is off or the data cannot be flattened
    (geoip2fast itself is used then)."""
    d = cache.directory("geoip")
    if d is None:
        return None
    try:
        key = cache.source_key(MAGIC, sys.byteorder, array("I").itemsize,
                               array("Q").itemsize, files=(data_file,))
    except OSError:
        return None
    path = d / f"{key}.geo"
    try:
        return FlatCountries(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a bad file: built again
        log.info("GeoIP cache %s unreadable (%s): rebuilding", path.name, exc)
    try:
        data = build(data_file, version())
    except Exception as exc:  # another geoip2fast format: its own loader is used
        log.debug("GeoIP data %s not flattened: %s", data_file, type(exc).__name__)
        return None
    if data is None:
        return None
    cache.write(path, data, keep=2)
    try:
        return FlatCountries(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None

