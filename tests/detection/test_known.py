"""The profile's values, in the forms apps write them, found in one pass."""

from __future__ import annotations

import pytest

from trafficscope.detection import Scanner
from trafficscope.detection.known import KnownIndex, forms, normalize_known
from trafficscope.model import Field
from trafficscope.profile import KnownValue, Profile

from .conftest import scan_one

KNOWN_ROWS = [
    # (text, entity, normalised profile value, why)
    ("490154203237518", "IMEI", "490154203237518"),  # exact
    ("imei=49015420323751&", "IMEI", "490154203237518"),  # 14 digits, no check digit
    ("49-015420-323751-8", "IMEI", "490154203237518"),  # grouped
    ("02:1a:11:f0:c3:7e", "MAC", "02:1a:11:f0:c3:7e"),  # exact
    ("02-1A-11-F0-C3-7E", "MAC", "02:1a:11:f0:c3:7e"),  # dashes, upper case
    ("x=021A11F0C37E&", "MAC", "02:1a:11:f0:c3:7e"),  # bare hex, no key needed
    ("021a.11f0.c37e", "MAC", "02:1a:11:f0:c3:7e"),  # Cisco dotted
    ("A4:2B:B0:5E:11:9C", "WIFI_BSSID", "a4:2b:b0:5e:11:9c"),  # the home AP
    ("38400000-8CF0-11BD-B23E-10B96E40000D", "AD_ID", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("id=384000008cf011bdb23e10b96e40000d", "AD_ID",
     "38400000-8cf0-11bd-b23e-10b96e40000d"),  # without dashes, any key
    ("+8613812345678", "PHONE", "+8613812345678"),  # E.164
    ("u=8613812345678", "PHONE", "+8613812345678"),  # without +
    ("008613812345678", "PHONE", "+8613812345678"),  # 00 prefix
    ("tel:13812345678", "PHONE", "+8613812345678"),  # national
    ("138 1234 5678", "PHONE", "+8613812345678"),  # national grouping
    ("+86-138-1234-5678", "PHONE", "+8613812345678"),  # international, dashes
    ("Jane.Doe.Test@Example.org", "EMAIL", "jane.doe.test@example.org"),  # any case
    ("hi JANE DOE", "PERSON_NAME", "Jane Doe"),  # names any case
    ("460001234567890", "IMSI", "460001234567890"),  # generic value, exact
    ("A1B2C3D4E5F60718", "ANDROID_ID", "a1b2c3d4e5f60718"),  # hex id any case
    ("ssid=HomeWiFi-5G", "WIFI_SSID", "HomeWiFi-5G"),  # SSIDs are case-sensitive
    ("来自李雷的消息", "CONTACTS", "李雷"),  # a contact's name, no word boundaries in CJK
    ("13900001111", "CONTACTS", "+8613900001111"),  # a contact's phone, national form
]


@pytest.mark.parametrize(("text", "entity", "value"), KNOWN_ROWS)
def test_known_forms_found(known: Scanner, text: str, entity: str, value: str) -> None:
    hits = [(d.pii_type, d.value, d.match) for d in scan_one(known, text)]
    assert (entity, value, "known") in hits
    assert all(m == "known" for _t, v, m in hits if v == value)  # no pattern duplicate


NOT_KNOWN_ROWS = [
    ("213812345678", "national phone inside a longer digit run"),
    ("138123456789", "national phone followed by a digit"),
    ("4901542032375189", "IMEI inside a 16-digit run"),
    ("1.13812345678", "decimal fraction digits"),
    ("x021a11f0c37e", "bare MAC glued to a letter"),
    ("homewifi-5g", "SSID in another case"),
    ("Jane Doer", "name as the prefix of a longer word"),
    ("jane.doe.test@example.org.cn", "email as the prefix of another domain"),
    ("xjane.doe.test@example.org", "email as the suffix of another address"),
]


@pytest.mark.parametrize(("text", "why"), NOT_KNOWN_ROWS)
def test_known_forms_not_found(known: Scanner, text: str, why: str) -> None:
    assert [d for d in scan_one(known, text) if d.match == "known"] == [], why


def test_pattern_hit_of_profile_value_becomes_known(known: Scanner) -> None:
    # "+86 (138) 1234-5678" is not one of the literal forms; the PHONE pattern
    # normalises it to the profile's E.164, so it is reported as known
    dets = scan_one(known, "+86 (138) 1234-5678")
    assert [(d.pii_type, d.value, d.match, d.confidence) for d in dets] == [
        ("PHONE", "+8613812345678", "known", 1.0)]


def test_contact_phone_is_contacts_not_phone(known: Scanner) -> None:
    dets = scan_one(known, "+86 139 0000 1111")
    assert [(d.pii_type, d.match) for d in dets] == [("CONTACTS", "known")]


def test_app_list(known: Scanner) -> None:
    one = [Field("body", "apps", "com.tencent.mm")]
    assert [d for d in known.scan(one) if d.pii_type == "APP_LIST"] == []
    two = [Field("body", "a", "com.tencent.mm;com.tencent.mm.plugin"),
           Field("body", "b", "x=COM.EG.ANDROID.ALIPAYGPHONE")]
    dets = [d for d in known.scan(two) if d.pii_type == "APP_LIST"]
    assert [(d.value, d.match, d.confidence) for d in dets] == [
        ("com.eg.android.AlipayGphone,com.tencent.mm", "known", 1.0)]
    prefix_only = [Field("body", "a", "com.tencent.mmx,com.tencent.mm.plugin"),
                   Field("body", "b", "com.eg.android.AlipayGphone")]
    assert [d for d in known.scan(prefix_only) if d.pii_type == "APP_LIST"] == []


def test_short_values_lower_confidence_and_tiny_skipped(backend: str) -> None:
    prof = Profile(values=(KnownValue("PERSON_NAME", "owner.name", "Bob"),
                           KnownValue("PERSON_NAME", "owner.name", "L")))
    s = Scanner(prof, backend=backend)
    dets = s.scan([Field("body", None, "Bob and L")])
    assert [(d.value, d.confidence) for d in dets] == [("Bob", 0.9)]


@pytest.mark.parametrize(("kind", "value", "norm"), [
    ("IMEI", "49015420323751", "490154203237518"),  # completed with its check digit
    ("IMEI", "49-015420-323751-8", "490154203237518"),
    ("PHONE", "138 1234 5678", "+8613812345678"),  # national, read in CN
    ("PHONE", "not a phone", "not a phone"),
    ("MAC", "02-1A-11-F0-C3-7E", "02:1a:11:f0:c3:7e"),
    ("AD_ID", "384000008CF011BDB23E10B96E40000D", "38400000-8cf0-11bd-b23e-10b96e40000d"),
    ("EMAIL", " Jane@Example.ORG ", "jane@example.org"),
    ("NATIONAL_ID", "11010519491231002x", "11010519491231002X"),
])
def test_normalize_known(kind: str, value: str, norm: str) -> None:
    assert normalize_known(kind, value) == norm


def test_phone_forms() -> None:
    assert set(forms("PHONE", "+8613812345678")) >= {
        "+8613812345678", "8613812345678", "008613812345678", "13812345678", "138 1234 5678",
        "138-1234-5678", "+86 138 1234 5678", "+86-138-1234-5678"}


def test_known_index_lookup(profile: Profile) -> None:
    idx = KnownIndex(profile)
    assert idx.lookup("PHONE", "+8613900001111") == "CONTACTS"
    assert idx.lookup("IMEI", "490154203237518") == "IMEI"
    assert idx.lookup("IMEI", "352099001761481") is None
    assert idx.lookup("LOCATION", "39.90500,116.40800") == "LOCATION"  # ~100 m away
    assert idx.lookup("LOCATION", "31.23040,121.47370") is None  # Shanghai
    assert KnownIndex(None).lookup("LOCATION", "39.90420,116.40740") is None
