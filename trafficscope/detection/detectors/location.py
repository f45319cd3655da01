"""LOCATION: coordinates, as a lat/lon pair of sibling keys or one "lat,lon" string.

Sibling keys: two fields of one flow in the same location and parent key path
(`data.loc.lat` + `data.loc.lng`, query `lat` + `lon`) whose last keys name a
latitude and a longitude, with decimal values of at least `MIN_DECIMALS`
decimals, in range and not both zero. A string pair (`39.9042,116.4074`)
counts only under a location key (`ll`, `loc`, `location`, `coords`,
`latlng`, ...); when the first number cannot be a latitude but the second
can, the pair is read as lon,lat (Amap's `location=116.4074,39.9042`).
Values are normalised to `lat,lon` with 5 decimals. The scanner marks a
coordinate within the profile's radius as known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from ...model import Field
from ..keys import split_key
from .base import Detector, FlowCandidate, Pattern, whole_number

MIN_DECIMALS = 2
SIBLING_SCORE = 0.7
LAT_KEYS = frozenset({"lat", "latitude"})
LON_KEYS = frozenset({"lon", "lng", "long", "longitude"})
_LAT_OR_LON = LAT_KEYS | LON_KEYS
_NUM = re.compile(r"-?[0-9]{1,3}\.([0-9]+)", re.ASCII)
_SPLIT = re.compile(r"\s*[,;|/ ]\s*")
_EARTH_M = 6_371_008.8


def coordinate(text: str) -> float | None:
    """A decimal number with at least MIN_DECIMALS decimals, else None."""
    m = _NUM.fullmatch(text.strip())
    if m is None or len(m.group(1)) < MIN_DECIMALS:
        return None
    return float(m.group(0))


def valid_pair(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0)


def format_pair(lat: float, lon: float) -> str:
    return f"{round(lat, 5) + 0.0:.5f},{round(lon, 5) + 0.0:.5f}"


def parse_pair(text: str) -> tuple[float, float] | None:
    """`"lat,lon"` (or `"lon,lat"` when only that order is in range) -> (lat, lon)."""
    parts = _SPLIT.split(text.strip())
    if len(parts) != 2:
        return None
    a, b = coordinate(parts[0]), coordinate(parts[1])
    if a is None or b is None:
        return None
    if valid_pair(a, b):
        return a, b
    if valid_pair(b, a):
        return b, a
    return None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(h)))


class LocationDetector(Detector):
    ENTITY = "LOCATION"
    _N = r"-?[0-9]{1,3}\.[0-9]{2,15}"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        whole_number("pair", rf"{_N}\s{{0,3}}[,;|/ ]\s{{0,3}}{_N}", 0.3, needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        return None if parse_pair(text) else False

    @staticmethod
    def normalize(text: str) -> str:
        pair = parse_pair(text)
        return format_pair(*pair) if pair else text

    @staticmethod
    def wants_key(key: str) -> bool:
        return split_key(key)[1] in _LAT_OR_LON

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        lats: dict[tuple[str, str, tuple[str, ...]], tuple[Field, float]] = {}
        lons: dict[tuple[str, str, tuple[str, ...]], float] = {}
        for f in fields:
            if not f.key or len(f.value) > 32:
                continue
            parent, last = split_key(f.key)
            if last in LAT_KEYS:
                table_is_lat = True
            elif last in LON_KEYS:
                table_is_lat = False
            else:
                continue
            v = coordinate(f.value)
            if v is None:
                continue
            group = (f.location, parent, f.encoding)
            if table_is_lat:
                lats.setdefault(group, (f, v))
            else:
                lons.setdefault(group, v)
        for group, (f, lat) in lats.items():
            lon = lons.get(group)
            if lon is not None and valid_pair(lat, lon):
                yield FlowCandidate(f, format_pair(lat, lon), SIBLING_SCORE, ("keys:lat+lon",))
