from __future__ import annotations

import pytest

from trafficscope.detection.keys import (
    KEY_EVIDENCE,
    is_negative_key,
    key_priors,
    last_name,
    normalize_key,
)
from trafficscope.model import ENTITIES, Field


@pytest.mark.parametrize(("key", "entity", "prior"), [
    ("imei", "IMEI", 0.4),  # exact name
    ("IMEI1", "IMEI", 0.4),  # dual SIM suffix digit is dropped
    ("data.device.imei", "IMEI", 0.4),  # only the last name counts
    ("X-Device-IMEI", "IMEI", 0.4),  # header: separators dropped, suffix match
    ("deviceImei", "IMEI", 0.4),  # camelCase
    ("device_id", "IMEI", 0.2),  # ambiguous name: lower prior
    ("device_id", "ANDROID_ID", 0.2),  # ... for each entity it may hold
    ("gaid", "AD_ID", 0.45),
    ("wifi_mac", "MAC", 0.4),
    ("items[0].lat", "LOCATION", 0.4),  # array index skipped
    ("user.mobile", "PHONE", 0.4),
])
def test_key_priors(key: str, entity: str, prior: float) -> None:
    assert key_priors(key)[entity] == prior


@pytest.mark.parametrize("key", [
    None,  # no key at all
    "",  # empty key
    "name",  # too generic to mean a person's name
    "lac",  # suffix matches need 4+ characters: not "lat"... nor anything
    "imeimd5",  # hashed values are a later detector's business
    "0",  # only an index
])
def test_no_key_evidence(key: str | None) -> None:
    assert dict(key_priors(key)) == {}


@pytest.mark.parametrize(("key", "negative"), [
    ("ts", True),  # the usual timestamp name
    ("client_time", True),  # suffix "time"
    ("data.timestamp", True),
    ("seq", True),  # a counter
    ("phone", False),
    (None, False),
])
def test_negative_keys(key: str | None, negative: bool) -> None:
    assert is_negative_key(key) is negative


def test_table_is_consistent() -> None:
    for name, entity, prior in KEY_EVIDENCE:
        assert entity in ENTITIES
        assert 0 < prior < 1
        assert name == normalize_key(name)


@pytest.mark.parametrize(("key", "name"), [
    ("a.b.c", "c"), ("a[0]", "a"), ("a.0.b", "b"), ("0", None), ("x[1][lat]", "lat"),
    ("data.list[3]", "list"), ("a..", "a"), (None, None), ("", None),
])
def test_last_name_of_a_key_path(key: str | None, name: str | None) -> None:
    assert last_name(key) == name == Field("body", key, "").last_key
