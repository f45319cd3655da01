from __future__ import annotations

import pytest

from trafficscope.detection.keys import (
    KEY_EVIDENCE,
    is_negative_key,
    key_priors,
    last_name,
    names_an_id,
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
    # names that end ordinary words count where a word of the key begins
    ("gps_adid", "AD_ID", 0.45),  # Adjust's name
    ("deviceAdid", "AD_ID", 0.45),  # camelCase
    ("GPS_ADID", "AD_ID", 0.45),
    ("wifiSsid", "WIFI_SSID", 0.4),
    ("x-ssid", "WIFI_SSID", 0.4),
    ("deviceMEID", "MEID", 0.4),
    ("device_gaid", "AD_ID", 0.45),
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
    # ... and not where they end another word
    "upload_id", "thread_id", "payload_id", "downloadId",  # load/read + id: not "adid"
    "process_id", "business_id", "classId", "access_id",  # ss + id: not "ssid"
    "game_id", "themeId",  # me + id: not "meid"
    "map_name",  # m + apname
    "saga_id",  # ga + id
    "UPLOADID", "gpsadid",  # no word to tell: not matched either
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


@pytest.mark.parametrize(("key", "expected"), [
    ("id", True), ("app_id", True), ("pixelId", True), ("data.deviceIDs", True),
    ("ID", True), ("items[0].product_id", True),
    ("android", False), ("paid", False), ("uuid", False), ("valid", False),
    ("appid", False),  # no word to tell
    (None, False), ("0", False),
])
def test_names_an_id(key: str | None, expected: bool) -> None:
    assert names_an_id(key) is expected
