from __future__ import annotations

import pytest

from trafficscope.detection import Scanner
from trafficscope.detection.detectors.location import (
    coordinate,
    format_pair,
    haversine_m,
    parse_pair,
)
from trafficscope.model import Field

from .conftest import scan_one


def loc(dets: list) -> list[tuple[str, str, str | None]]:
    return [(d.value, d.match, d.field.key) for d in dets if d.pii_type == "LOCATION"]


SIBLING_ROWS = [
    # (fields as (location, key, value), expected (value, key) or None, why)
    ([("query", "lat", "31.2304"), ("query", "lng", "121.4737")],
     ("31.23040,121.47370", "lat"), "query parameters lat + lng"),
    ([("body", "data.loc.latitude", "-33.8688"), ("body", "data.loc.longitude", "151.2093")],
     ("-33.86880,151.20930", "data.loc.latitude"), "JSON siblings, long names"),
    ([("body", "pois[1].Lat", "31.2304"), ("body", "pois[1].Lon", "121.4737")],
     ("31.23040,121.47370", "pois[1].Lat"), "array element, key case ignored"),
    ([("body", "a.lat", "31.2304"), ("body", "b.lng", "121.4737")],
     None, "different parents: two unrelated numbers"),
    ([("query", "lat", "31.2304"), ("body", "lng", "121.4737")],
     None, "different places in the request"),
    ([("query", "lat", "31"), ("query", "lng", "121")],
     None, "integers: too coarse (or not coordinates at all)"),
    ([("query", "lat", "31.2"), ("query", "lng", "121.4")],
     None, "one decimal: about 10 km"),
    ([("query", "lat", "0.00"), ("query", "lng", "0.00")],
     None, "null island: the default of an unset location"),
    ([("query", "lat", "121.4737"), ("query", "lng", "31.2304")],
     None, "latitude out of range"),
    ([("query", "lat", "31.2304")], None, "no longitude"),
    ([("query", "lat", "abc.def"), ("query", "lng", "121.4737")], None, "not a number"),
]


@pytest.mark.parametrize(("fields", "expected", "why"), SIBLING_ROWS)
def test_sibling_keys(bare: Scanner, fields: list[tuple[str, str, str]],
                      expected: tuple[str, str] | None, why: str) -> None:
    dets = bare.scan([Field(*f) for f in fields])
    assert loc(dets) == ([(expected[0], "pattern", expected[1])] if expected else []), why


def test_known_within_radius_pattern_outside(known: Scanner) -> None:
    near = known.scan([Field("query", "lat", "39.9050"), Field("query", "lon", "116.4080")])
    assert [(d.value, d.match, d.confidence) for d in near if d.pii_type == "LOCATION"] == [
        ("39.90500,116.40800", "known", 1.0)]  # ~100 m from the profile location
    far = known.scan([Field("query", "lat", "39.9200"), Field("query", "lon", "116.4074")])
    assert [(d.value, d.match) for d in far if d.pii_type == "LOCATION"] == [
        ("39.92000,116.40740", "pattern")]  # ~1.8 km away
    pair = known.scan([Field("query", "location", "116.4080,39.9050")])  # Amap lon,lat
    assert [(d.value, d.match) for d in pair if d.pii_type == "LOCATION"] == [
        ("39.90500,116.40800", "known")]


def test_helpers() -> None:
    assert coordinate("39.9042") == 39.9042
    assert coordinate(" -0.55 ") == -0.55
    assert coordinate("39.9") is None and coordinate("1e5") is None
    assert parse_pair("39.9042,116.4074") == (39.9042, 116.4074)
    assert parse_pair("116.4074 , 39.9042") == (39.9042, 116.4074)
    assert parse_pair("1.00,2.00,3.00") is None
    assert format_pair(-0.000001, 116.407449) == "0.00000,116.40745"
    assert haversine_m(39.9042, 116.4074, 39.9042, 116.4074) == 0
    assert 1_060_000 < haversine_m(39.9042, 116.4074, 31.2304, 121.4737) < 1_080_000


# --- the profile's home location in its written forms -------------------------

NEAR_ROWS = [
    # (text, found, why); home is 39.9042,116.4074 with radius 500 m
    ("39.9042,116.4074", True, "exact pair, no key needed"),
    ("pos=39.90|116.41", False, "2 decimals rounds 600 m away: outside the radius"),
    ("39.905,116.409", True, "another precision, 150 m away"),
    ("116.40741;39.90419", True, "swapped lon;lat"),
    ("39904200,116407400", True, "integer micro-degrees"),
    ("wx4g0b", True, "geohash, 6 characters"),
    ("39.95,116.41", False, "5 km away"),
    ("139.9042,116.4074", False, "digits glued in front"),
]


@pytest.mark.parametrize(("text", "found", "why"), NEAR_ROWS, ids=[r[-1] for r in NEAR_ROWS])
def test_home_location_forms(known: Scanner, text: str, found: bool, why: str) -> None:
    hits = [d for d in scan_one(known, text) if d.pii_type == "LOCATION" and d.match == "known"]
    assert bool(hits) is found


def test_geohash_step_recorded(known: Scanner) -> None:
    [det] = [d for d in scan_one(known, "gh=wx4g0bm") if d.pii_type == "LOCATION"]
    assert det.extra_encoding == ("geohash",)
