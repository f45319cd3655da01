"""The profile's home location as engine patterns: any coordinate within its radius.

A place is written in many ways; these are matched in the same single pass
as the other profile variants, then checked by distance (`near`):

- a decimal pair at any precision, `lat,lon` or swapped `lon,lat`, with
  `,`, `;`, `|`, `/`, `_` or spaces between (`39.9042,116.4074`,
  `116.40|39.90`);
- integer micro-degrees, also as a pair (`39904200,116407400`);
- a geohash of the home point at 6 to 9 characters (a 1.2 km to 5 m cell),
  recorded with the step `geohash`.

A pattern fixes the integer degrees of the home point, so a coordinate
across an integer boundary from home is not matched by text; sibling keys
(`lat` + `lng`) are still matched by the location detector and the scanner's
distance lookup.
"""

from __future__ import annotations

import re

from ..profile import Location
from .detectors.base import ALNUM, DIGITS, NOT_AFTER_DIGIT_DOT, NOT_BEFORE_DOT_DIGIT
from .detectors.location import format_pair, haversine_m
from .engine import EnginePattern

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
GEOHASH_LENGTHS = (6, 7, 8, 9)
_SEP = r"\s{0,3}[,;|/_ ]\s{0,3}"
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def geohash(lat: float, lon: float, length: int) -> str:
    """Standard geohash of a point (base 32, longitude bit first)."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    out: list[str] = []
    bits, ch, even = 0, 0, True
    while len(out) < length:
        if even:
            mid = (lon_lo + lon_hi) / 2
            ch = ch << 1 | (lon >= mid)
            lon_lo, lon_hi = (mid, lon_hi) if lon >= mid else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            ch = ch << 1 | (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bits += 1
        if bits == 5:
            out.append(_BASE32[ch])
            bits, ch = 0, 0
    return "".join(out)


def _deg(x: float) -> str:
    """Integer degrees as written, with the sign (`-33`, `116`, `-0`)."""
    whole = int(abs(x))
    return f"-{whole}" if x < 0 else str(whole)


def patterns(loc: Location) -> list[tuple[EnginePattern, str, tuple[str, ...]]]:
    """(pattern, form name, steps) for the home location."""
    la, lo = re.escape(_deg(loc.lat)), re.escape(_deg(loc.lon))
    dec = r"\.[0-9]{1,12}"
    micro = "[0-9]{6}"

    def digits(regex: str) -> EnginePattern:
        return EnginePattern(regex, False, DIGITS, DIGITS, NOT_AFTER_DIGIT_DOT,
                             NOT_BEFORE_DOT_DIGIT)

    out: list[tuple[EnginePattern, str, tuple[str, ...]]] = [
        (digits(f"{la}{dec}{_SEP}{lo}{dec}"), "pair", ()),
        (digits(f"{lo}{dec}{_SEP}{la}{dec}"), "swapped", ()),
        (digits(f"{la}{micro}{_SEP}{lo}{micro}"), "micro-degrees", ()),
        (digits(f"{lo}{micro}{_SEP}{la}{micro}"), "micro-degrees", ()),
    ]
    for n in GEOHASH_LENGTHS:
        out.append((EnginePattern(geohash(loc.lat, loc.lon, n), True, ALNUM, ALNUM),
                    f"geohash-{n}", ("geohash",)))
    return out


def near(loc: Location, text: str, form: str) -> str | None:
    """The matched text as a normalised `lat,lon` when within the radius, else None."""
    if form.startswith("geohash"):
        return format_pair(loc.lat, loc.lon)
    nums = [float(m) for m in _NUMBER.findall(text)]
    if len(nums) != 2:
        return None
    a, b = nums
    if form == "micro-degrees":
        a, b = a / 1e6, b / 1e6
    lat, lon = (b, a) if form == "swapped" or (form == "micro-degrees" and abs(a) > 90) else (a, b)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return format_pair(lat, lon) if haversine_m(lat, lon, loc.lat, loc.lon) <= loc.radius_m \
        else None
