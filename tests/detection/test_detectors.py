"""Per-detector tables: (value, key, should_flag), each row saying why.

Scanned without a profile, so every hit is a pattern match.
"""

from __future__ import annotations

import pytest

from trafficscope.detection import Scanner
from trafficscope.detection.detectors import (
    DETECTORS,
    AdIdDetector,
    Detector,
    EmailDetector,
    ImeiDetector,
    LocationDetector,
    MacDetector,
    PhoneDetector,
)
from trafficscope.model import ENTITIES

from .conftest import scan_one


def flagged(scanner: Scanner, entity: str, value: str, key: str | None) -> list[str]:
    return [d.value for d in scan_one(scanner, value, key) if d.pii_type == entity]


EMAIL_ROWS = [
    ("jane.doe@example.org", None, True),  # plain address
    ("contact: Jane.Doe+tag@Mail.Example.CO.uk.", None, True),  # subdomains, tag, trailing dot
    ('{"u":"li_lei@qq.com"}', None, True),  # inside JSON
    ("x@corp.internal", "email", True),  # uncommon TLD, base score + key
    ("zhang.wei@163.com", None, True),  # NetEase mail: a digits-only domain label
    ("image@2x.png", None, False),  # retina asset name, not an address
    ("icon@3x.webp", None, False),  # same, another extension
    ("version@1.2.3", None, False),  # numeric TLD
    ("lib@1.5x.js", None, False),  # scale suffix and a file extension
    ("a..b@example.com", None, False),  # consecutive dots in the local part
    ("user@-bad-.com", None, False),  # label starting with a dash
    ("@example.com", None, False),  # no local part
    ("310410010001002@ims.mnc410.mcc310.3gppnetwork.org", None, False),  # 3GPP identity
]


@pytest.mark.parametrize(("value", "key", "should_flag"), EMAIL_ROWS)
def test_email(bare: Scanner, value: str, key: str | None, should_flag: bool) -> None:
    assert bool(flagged(bare, "EMAIL", value, key)) is should_flag


def test_email_normalised_lowercase(bare: Scanner) -> None:
    assert flagged(bare, "EMAIL", "Jane.Doe@Example.ORG", None) == ["jane.doe@example.org"]


PHONE_ROWS = [
    ("+8613812345678", None, "+8613812345678"),  # E.164
    ("+86 138 1234 5678", None, "+8613812345678"),  # international grouping
    ("call +1 650-253-0000 now", None, "+16502530000"),  # a US number in text
    ("13812345678", None, "+8613812345678"),  # CN mobile shape, no key needed
    ("008613812345678", None, "+8613812345678"),  # 00 international prefix
    ("138-1234-5678", None, "+8613812345678"),  # dashed national grouping
    ("9437a7b2-c177-4782-9095-e2e442cce5a8", None, None),  # digits inside a UUID
    ("af15719605953f59068f90df1ea252be", None, None),  # ... inside a hex token (a cookie)
    ("010-12345678", "phone", "+861012345678"),  # landline: digits need a phone key
    ("+86 138 1234 5678 2023-01-01", None, "+8613812345678"),  # trailing date trimmed
    ("010-12345678", None, None),  # same landline without key: could be anything
    ("1712345678901", "ts", None),  # 13-digit epoch millis under a time key
    ("17123456789", "ts", None),  # 11 digits that look mobile, but the key says time
    ("1712345678", None, None),  # 10-digit epoch seconds: not a mobile shape
    ("213812345678", None, None),  # mobile digits inside a longer run
    ("v=1.13812345678", None, None),  # decimal fraction digits
    ("12345", "phone", None),  # fewer than 7 digits
    ("+1234", None, None),  # too short to be a number
    ("+86 100 0000 0000", None, None),  # parses but is not a valid number
    # a shop's hotline (JSON-LD in a web page): the digits after "+1-" are not a
    # Chinese number of their own, and a free-phone number is no one's personal data
    ("+1-650-253-0000", "telephone", "+16502530000"),
    ("+1 1-650-253-0000", "telephone", "+16502530000"),
    ("+1-800-672-4399", "telephone", None),  # US toll-free
    ("4008123123", "phone", None),  # China's shared-cost 400 numbers
    ("+44 871 234 5678", None, None),  # UK premium rate
]


@pytest.mark.parametrize(("value", "key", "expected"), PHONE_ROWS)
def test_phone(bare: Scanner, value: str, key: str | None, expected: str | None) -> None:
    assert flagged(bare, "PHONE", value, key) == ([expected] if expected else [])


IMEI_ROWS = [
    ("490154203237518", None, "490154203237518"),  # valid check digit, known RBI
    ("imei=352099001761481&x", None, "352099001761481"),  # in a query string
    ("49015420323751", "imei", "490154203237518"),  # 14 digits under an IMEI key
    ("490154203237518", "ts", "490154203237518"),  # validated (0.95), halved by "ts": kept
    ("49015420323751", None, None),  # 14 digits without key evidence
    ("490154203237517", None, None),  # bad check digit
    ("000000000000000", "imei", None),  # all-zero placeholder
    ("4901542032375180", None, None),  # inside a 16-digit run
    ("1490154203237518", None, None),  # inside a longer run, other side
    ("123456789012347", None, None),  # Luhn-valid but no known reporting body
    ("123456789012347", "imei", "123456789012347"),  # ... which an IMEI key makes plausible
]


@pytest.mark.parametrize(("value", "key", "expected"), IMEI_ROWS)
def test_imei(bare: Scanner, value: str, key: str | None, expected: str | None) -> None:
    assert flagged(bare, "IMEI", value, key) == ([expected] if expected else [])


MAC_ROWS = [
    ("02:1A:11:F0:C3:7E", None, "MAC"),  # colon form, upper case
    ("mac=02-1a-11-f0-c3-7e;", None, "MAC"),  # dash form
    ("021a11f0c37e", "wifi_mac", "MAC"),  # bare hex under a MAC key
    ("02:1a:11:f0:c3:7e", "bssid", "WIFI_BSSID"),  # a MAC under a BSSID key
    ("a42bb05e119c", None, None),  # bare hex without key: a hash prefix, a token...
    ("02:00:00:00:00:00", None, None),  # Android's placeholder when the MAC is hidden
    ("00:00:00:00:00:00", None, None),  # all zeros
    ("ff:ff:ff:ff:ff:ff", None, None),  # broadcast
    ("01:00:5e:00:00:fb", None, None),  # multicast (mDNS)
    ("fe80::1:2:3:4:5:6", None, None),  # IPv6, not a MAC
    ("aa:02:1a:11:f0:c3:7e", None, None),  # seven octets
    ("12:34:56", None, None),  # a time of day
]


@pytest.mark.parametrize(("value", "key", "entity"), MAC_ROWS)
def test_mac(bare: Scanner, value: str, key: str | None, entity: str | None) -> None:
    dets = [d for d in scan_one(bare, value, key) if d.pii_type in ("MAC", "WIFI_BSSID")]
    assert [(d.pii_type, d.value) for d in dets] == (
        [(entity, "02:1a:11:f0:c3:7e")] if entity else [])


AD_ID_ROWS = [
    ("6d92078a-8246-4ba4-ae5b-76104861e7dc", "gaid", True),  # UUID under a GAID key
    ("6D92078A-8246-4BA4-AE5B-76104861E7DC", "idfa", True),  # IDFA, upper case
    ("6d92078a82464ba4ae5b76104861e7dc", "oaid", True),  # without dashes
    ("6d92078a-8246-4ba4-ae5b-76104861e7dc", "request_id", False),  # UUIDs are everywhere
    ("6d92078a-8246-4ba4-ae5b-76104861e7dc", None, False),  # no key at all
    ("00000000-0000-0000-0000-000000000000", "idfa", False),  # limited ad tracking
    ("d41d8cd98f00b204e9800998ecf8427e", None, False),  # an MD5 digest
    ("6d92078a-8246-4ba4-ae5b-76104861e7dc0", "gaid", False),  # one hex digit too many
]


@pytest.mark.parametrize(("value", "key", "should_flag"), AD_ID_ROWS)
def test_ad_id(bare: Scanner, value: str, key: str | None, should_flag: bool) -> None:
    got = flagged(bare, "AD_ID", value, key)
    assert got == (["6d92078a-8246-4ba4-ae5b-76104861e7dc"] if should_flag else [])


LOCATION_ROWS = [
    ("31.2304,121.4737", "ll", "31.23040,121.47370"),  # lat,lon under a location key
    ("31.2304, 121.4737", "location", "31.23040,121.47370"),  # space after the comma
    ("121.4737,31.2304", "location", "31.23040,121.47370"),  # Amap's lon,lat order
    ("-33.8688|151.2093", "coords", "-33.86880,151.20930"),  # southern hemisphere, pipe
    ("31.2304,121.4737", None, None),  # a pair of decimals with no location key
    ("31.2304,121.4737", "size", None),  # key says something else
    ("0.00,0.00", "ll", None),  # null island: a default, not a position
    ("95.12,200.55", "ll", None),  # out of range either way
    ("31.2,121.4", "ll", None),  # one decimal: too coarse to count
]


@pytest.mark.parametrize(("value", "key", "expected"), LOCATION_ROWS)
def test_location_string(bare: Scanner, value: str, key: str | None,
                         expected: str | None) -> None:
    assert flagged(bare, "LOCATION", value, key) == ([expected] if expected else [])


def test_registry_shape() -> None:
    first = (EmailDetector, PhoneDetector, ImeiDetector, MacDetector, AdIdDetector,
             LocationDetector)
    assert first == DETECTORS[:6]
    assert len({d.ENTITY for d in DETECTORS}) == len(DETECTORS) == 20
    # every entity is found without a profile (WIFI_BSSID as a MAC under its key)
    assert {d.ENTITY for d in DETECTORS} | {e for d in DETECTORS for e in d.KEY_ENTITIES} == set(
        ENTITIES)
    for det in DETECTORS:
        assert issubclass(det, Detector)
        assert det.ENTITY in ENTITIES
        assert all(e in ENTITIES for e in det.KEY_ENTITIES)
        assert "__init__" not in vars(det)  # class constants, no constructor of their own
        names = [p.name for p in det.PATTERNS]
        assert len(names) == len(set(names))
        assert all(0 < p.score < 1 and p.regex.isascii() for p in det.PATTERNS)


@pytest.mark.parametrize(("det", "text", "result"), [
    (EmailDetector, "a@b.com", True),
    (EmailDetector, "a@corp.internal", None),  # private use: maybe real
    (EmailDetector, "a@b.zzz", False),  # no such TLD
    (EmailDetector, "a@startup.ai", True),  # any delegated TLD, not a list of common ones
    (EmailDetector, "j@vnu.watka", False),  # out of a binary cookie (Fukuda set)
    (EmailDetector, "a@2x.png", False),
    (PhoneDetector, "+8613812345678", True),
    (PhoneDetector, "13812345678", None),
    (PhoneDetector, "12345678901", False),
    (ImeiDetector, "490154203237518", True),
    (ImeiDetector, "123456789012347", None),
    (ImeiDetector, "490154203237517", False),
    (MacDetector, "02:1a:11:f0:c3:7e", None),
    (MacDetector, "ff:ff:ff:ff:ff:ff", False),
    (AdIdDetector, "00000000-0000-0000-0000-000000000000", False),
    (LocationDetector, "1.00,2.00", None),
    (LocationDetector, "0.00,0.00", False),
])
def test_validators(det: type[Detector], text: str, result: bool | None) -> None:
    assert det.validate(text) is result
