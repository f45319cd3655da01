"""Tables for the identifier, key-named and list detectors, each row with why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fixtures.work import lines_run
from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.detection.detectors import DETECTORS, keyed
from trafficscope.detection.detectors.base import Detector
from trafficscope.model import Field, Flow
from trafficscope.sources.har import read_har

from .conftest import scan_one


def entities(scanner: Scanner, value: str, key: str | None) -> set[str]:
    return {d.pii_type for d in scan_one(scanner, value, key)}


ROWS = [
    ("IMSI", "460001234567890", None, True, "China Mobile IMSI, no key needed"),
    ("IMSI", "460991234567890", None, False, "460 with an unknown MNC"),
    ("IMSI", "310260123456789", "imsi", True, "US IMSI under its key"),
    ("IMSI", "310260123456789", None, False, "any 15 digits without a key"),
    ("IMSI", "999001234567890", "imsi", False, "no such MCC"),
    ("IMSI", "REGISTER sip:310410010001002@ims.mnc410.mcc310.3gppnetwork.org SIP/2.0", None,
     True, "IMS private identity in a SIP REGISTER (VoLTE, Wi-Fi calling)"),
    ("IMSI", "0234150999999999@wlan.mnc015.mcc234.3gppnetwork.org", None, True,
     "EAP-AKA identity on Wi-Fi: a leading 0, a two-digit MNC"),
    ("IMSI", "310410010001002@ims.mnc260.mcc310.3gppnetwork.org", None, False,
     "the domain names another network"),
    ("IMSI", "2310410010001002@ims.mnc410.mcc310.3gppnetwork.org", None, False,
     "a leading 2: an EAP pseudonym, no IMSI"),
    ("ICCID", "89860012345678901232", None, False, "8986 without a Luhn digit: base score"),
    ("ICCID", "8986001234567890127", None, True, "19 digits, Luhn valid"),
    ("ICCID", "8944001234567890121", "iccid", False, "not 8986 and a bad check digit"),
    ("ANDROID_ID", "a1b2c3d4e5f60718", "android_id", True, "16 hex under its key"),
    ("ANDROID_ID", "a1b2c3d4e5f60718", "trace", False, "16 hex under another key"),
    ("ANDROID_ID", "9774d56d682e549c", "androidId", False, "the id shared by many devices"),
    ("MEID", "A0000000002329", "meid", True, "valid MEID under its key"),
    ("MEID", "A0000000002329", None, False, "no key"),
    ("NATIONAL_ID", "11010519491231002X", None, True, "valid CN resident id"),
    ("NATIONAL_ID", "110105194912310021", None, False, "bad check character"),
    ("NATIONAL_ID", "330106198001011235", None, True, "Hangzhou: absent from stdnum's table"),
    ("NATIONAL_ID", "990106198001011238", None, False, "no such province"),
    ("NATIONAL_ID", "110105198002301237", None, False, "30 February"),
    ("WIFI_SSID", "HomeWiFi-5G", "ssid", True, "a network name under ssid"),
    ("WIFI_SSID", '"Cafe Net"', "wifi_ssid", True, "quoted, as Android returns it"),
    ("WIFI_SSID", "<unknown ssid>", "ssid", False, "placeholder"),
    ("DEVICE_NAME", "Jane's Pixel", "device_name", True, "a device name under its key"),
    ("DEVICE_NAME", "Jane's Pixel", "title", False, "same text, another key"),
    ("AD_ID", "38400000-8cf0-11bd-b23e-10b96e40000d", "gps_adid", True, "Adjust's key"),
    ("AD_ID", "38400000-8cf0-11bd-b23e-10b96e40000d", "upload_id", False,
     "a UUID under upload_id (load + id, no adid)"),
    ("WIFI_SSID", "Acme Trading", "business_id", False, "busine + ssid is no SSID key"),
    ("SERIAL", "R58M12ABCDE", "serial", True, "Build.SERIAL under its key"),
    ("SERIAL", "R58M12ABCDE", "ro.serialno", True, "the system property's name"),
    ("SERIAL", "R58M12ABCDE", "sn", False, "sn says too little"),
    ("SERIAL", "unknown", "serial", False, "Android 8+ without the permission"),
    ("SERIAL", "0123456789ABCDEF", "serialNo", False, "shared by many cheap devices"),
    ("SERIAL", "89860012345678901232", "simSerial", False, "digits only: a SIM's ICCID"),
    ("SERIAL", "R58M12ABCDE", "device.serialNumber", True, "nested, camelCase"),
    ("PERSON_NAME", "张伟", "realname", True, "a Chinese name under realname"),
    ("PERSON_NAME", "Jean-Luc O'Brien", "fullName", True, "hyphen and apostrophe"),
    ("PERSON_NAME", "user123", "fullname", False, "digits: an account handle"),
    ("PERSON_NAME", "Guest", "fullname", False, "a placeholder"),
    ("PERSON_NAME", "Jane Doe", "title", False, "same text, another key"),
]


@pytest.mark.parametrize(("entity", "value", "key", "flag", "why"), ROWS,
                         ids=[r[-1] for r in ROWS])
def test_detector_rows(bare: Scanner, entity: str, value: str, key: str | None, flag: bool,
                       why: str) -> None:
    if entity == "ICCID" and why.startswith("8986 without"):
        dets = [d for d in scan_one(bare, value, key) if d.pii_type == "ICCID"]
        assert dets and dets[0].confidence < 0.95
        return
    assert (entity in entities(bare, value, key)) is flag


def test_imsi_of_a_3gpp_identity_is_the_imsi(bare: Scanner) -> None:
    text = 'username="6310410010001002@nai.epc.MNC410.MCC310.3gppnetwork.org"'
    got = [(d.pii_type, d.value, d.confidence) for d in scan_one(bare, text, None)]
    assert got == [("IMSI", "310410010001002", 0.95)]  # no EMAIL, no IMEI


def _dhcp(scanner: Scanner, *options: tuple[str, str]) -> set[tuple[str, str]]:
    flow = Flow("d", 0.0, "pcap", "dhcp", "dhcp",
                request_headers=(("client_mac", "c4:61:8b:35:82:a9"), *options))
    return {(d.pii_type, d.value) for d in scanner.scan(list(extract_fields(flow)))
            if d.pii_type != "MAC"}


def test_dhcp_host_names_are_device_names(bare: Scanner) -> None:
    # (`iPhonediMonica` is also valid base64: what it decodes to is no name)
    assert _dhcp(bare, ("hostname", "iPhonediMonica")) == {("DEVICE_NAME", "iPhonediMonica")}
    assert _dhcp(bare, ("hostname", "Lucas-iPhone"), ("fqdn", "Lucas-iPhone.home.")) == {
        ("DEVICE_NAME", "Lucas-iPhone"), ("DEVICE_NAME", "Lucas-iPhone.home")}
    assert _dhcp(bare, ("hostname", "localhost")) == set()
    # Android 2.2-7: `android-` and the ANDROID_ID
    assert _dhcp(bare, ("hostname", "android-1A2b3c4d5e6f7081")) == {
        ("ANDROID_ID", "1a2b3c4d5e6f7081")}
    # the same key elsewhere names a server
    assert "DEVICE_NAME" not in _body_entities(bare, {"hostname": "api.example.com"})
    assert "ANDROID_ID" not in _body_entities(bare, {"hostname": "android-1a2b3c4d5e6f7081"})


def test_a_name_is_not_also_reported_as_what_it_decodes_to(bare: Scanner) -> None:
    def named(body: object) -> set[tuple[str, str]]:
        flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                    request_headers=(("Content-Type", "application/json"),),
                    request_body=json.dumps(body).encode())
        return {(d.pii_type, d.value) for d in bare.scan(list(extract_fields(flow)))}

    assert named({"device_name": "iPhonediMonica"}) == {("DEVICE_NAME", "iPhonediMonica")}
    assert named({"ssid": "iPhonediMonica"}) == {("WIFI_SSID", "iPhonediMonica")}
    # base64 that reads as no name: what it decodes to is kept
    assert ("WIFI_SSID", "HomeWiFi") in named({"ssid": "SG9tZVdpRmk="})


def test_key_named_work_grows_with_the_fields_not_their_square(bare: Scanner) -> None:
    def work(n: int) -> int:
        body = {"networks": [{"ssid": f"Net{i}", "device_name": f"Phone{i}"} for i in range(n)]}
        flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                    request_headers=(("Content-Type", "application/json"),),
                    request_body=json.dumps(body).encode())
        fields = list(extract_fields(flow))
        found, lines = lines_run(keyed, lambda: bare.scan(fields))
        assert len(found) == 2 * n
        return lines

    assert work(2000) < 2.5 * work(1000)  # (each field against all: 4x)


def _body_entities(scanner: Scanner, body: object) -> set[str]:
    flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                request_headers=(("Content-Type", "application/json"),),
                request_body=json.dumps(body).encode())
    return {d.pii_type for d in scanner.scan(list(extract_fields(flow)))}


LIST_ROWS = [
    ({"contacts": [{"name": "Li Lei", "phone": "13900001111"},
                   {"name": "Han Meimei", "phone": "13900002222"}]}, "CONTACTS", True),
    ({"data": [{"name": "Li Lei", "email": "li@example.cn"}]}, "CONTACTS", False),  # one, no key
    ({"calls": [{"number": "13900001111", "duration": "35", "date": "1700000000"}]},
     "CALL_LOG", True),
    ({"list": [{"address": "10086", "body": "验证码 1234", "date": "1700000000"},
               {"address": "13900001111", "body": "hi", "date": "1700000001"}]}, "SMS", True),
    ({"apps": ["com.tencent.mm", "com.eg.android.AlipayGphone", "com.ss.android.ugc.aweme"]},
     "APP_LIST", True),
    ({"hosts": ["api.example.com", "cdn.example.com", "img.example.com"]}, "APP_LIST", False),
    ({"cell": {"mcc": "460", "mnc": "0", "lac": "4301", "cid": "20986"}}, "CELL_ID", True),
    ({"cell": {"mcc": "460", "cid": "20986"}}, "CELL_ID", False),  # too little to be a cell
]


@pytest.mark.parametrize(("body", "entity", "flag"), LIST_ROWS)
def test_list_detectors(bare: Scanner, body: object, entity: str, flag: bool) -> None:
    assert (entity in _body_entities(bare, body)) is flag


def test_list_items_worked_out_once_per_flow_are_not_reused_for_another() -> None:
    # The four list detectors share what they work out for one flow's fields (kept
    # by identity): a list changed in place between calls is worked out again.
    from trafficscope.detection.detectors import lists

    contact = [Field("body", "contacts[0].name", "Li Lei"),
               Field("body", "contacts[0].phone", "13812345678")]
    fields = list(contact)
    assert list(lists.records(fields, "CONTACTS"))  # one contact under `contacts`
    fields.clear()
    assert list(lists.records(fields, "CONTACTS")) == []
    same = tuple(contact)
    first = list(lists.records(same, "CONTACTS"))
    assert first and list(lists.records(same, "CONTACTS")) == first


_KEY_PARTS = ["contacts", "data", "0", "1", "2", "name", "phone", "duration", "date", "type",
              "body", "pkg", "lat", "lng", "location", "mcc", "mnc", "lac", "cid", "ssid",
              "wifi_name", "device_name", "apps", "installed_apps", "x", "[0]", "Cell-ID"]
_VALUES = ["Jane Doe", "13812345678", "39.9042", "116.4074", "460", "0", "4112", "28321",
           "com.tencent.mm", "com.a.b,com.c.d,com.e.f", "com.eg.android.AlipayGphone",
           "HomeWiFi", "hello", "60", "1700000000", "2", "jane@example.org"]


@settings(max_examples=300, deadline=None)
@example([("body", "loc.lat", "39.9042"), ("body", "loc.lng", "116.4074")])
@example([("query", "mcc", "460"), ("query", "mnc", "0"), ("query", "lac", "4112"),
          ("query", "cid", "28321")])
@example([("body", "apps", "com.a.b,com.c.d,com.e.f")])
@example([("body", "data.0.name", "Jane Doe"), ("body", "data.0.phone", "13812345678"),
          ("body", "data.1.name", "Jane Doe"), ("body", "data.1.phone", "13812345678")])
@example([("body", "ssid", "HomeWiFi"), ("body", "device_name", "Jane Doe")])
@given(st.lists(st.tuples(
    st.sampled_from(["query", "body", "header", "path"]),
    st.one_of(st.none(), st.lists(st.sampled_from(_KEY_PARTS), min_size=1, max_size=4).map(
        lambda parts: ".".join(parts).replace(".[", "["))),
    st.sampled_from(_VALUES)), max_size=12))
def test_a_flow_detector_finds_nothing_without_a_key_it_wants(
        fields: list[tuple[str, str | None, str]]) -> None:
    # The Scanner skips a flow detector for flows where no key is one it wants
    # (`wants_key`): that must never hide a finding. The keys are built to make
    # lists, lat/lon pairs, cell ids and key-named values.
    flow = tuple(Field(loc, key, value) for loc, key, value in fields)
    for det in DETECTORS:
        if det.from_flow is Detector.from_flow:
            continue
        if not any(f.key and det.wants_key(f.key) for f in flow):
            assert list(det.from_flow(flow)) == [], det.__name__


def test_flow_detectors_skipped_by_key_change_nothing() -> None:
    # Over every payload style of the generated corpus, a Scanner that asks every
    # flow detector about every flow finds the same as one that skips by key.
    from trafficscope.eval import corpus

    phone, samples = corpus.generate(4, 120)
    flows = [tuple(extract_fields(s.flow)) for s in samples]
    skipping = Scanner(phone.profile())
    asking = Scanner(phone.profile())
    asking._uses = lambda key: (-1, Scanner._uses(asking, key)[1])  # type: ignore[method-assign]
    assert asking.scan_many(flows) == skipping.scan_many(flows)
    assert any(d.pii_type in ("CONTACTS", "APP_LIST", "LOCATION", "CALL_LOG", "SMS")
               for dets in skipping.scan_many(flows) for d in dets)


def _cookie_entities(scanner: Scanner, cookie: str, query: str = "") -> set[str]:
    flow = Flow("f", 0.0, "har", "http", "www.google.com", "GET",
                f"https://www.google.com/images/logo.png{query}",
                request_headers=(("Cookie", cookie),))
    return {d.pii_type for d in scanner.scan(list(extract_fields(flow)))}


GOOGLE = "SID=g.a000dQ; HSID=AL2xYz3b; SSID=AJQ2-Ox9gN_3Pv6Ka; APISID=x/AbC; SAPISID=y/DeF"


@pytest.mark.parametrize(("cookie", "query", "flag", "why"), [
    (GOOGLE, "", False, "Google's session cookies: SSID beside SID, HSID, ..."),
    ("HSID=AL2xYz3b; SSID=AJQ2-Ox9gN_3Pv6Ka", "", False, "two of the family are enough"),
    ("SSID=HomeWiFi-5G; session=abc", "", True, "SSID alone in a cookie: a network name"),
    ("sid=abc; wifi_ssid=HomeWiFi-5G", "", True, "wifi_ssid is no member of the family"),
    (GOOGLE, "?ssid=HomeWiFi-5G", True, "the family excuses cookies only, not the query"),
])
def test_session_token_cookies_are_not_network_names(bare: Scanner, cookie: str, query: str,
                                                     flag: bool, why: str) -> None:
    assert ("WIFI_SSID" in _cookie_entities(bare, cookie, query)) is flag, why


def test_a_browsers_google_cookies_hold_no_network_name(bare: Scanner, corpus_dir: Path) -> None:
    """Real traffic: Chrome's requests to google.com carry SSID among Google's cookies."""
    flows = list(read_har(corpus_dir / "mitmproxy" / "har_files__chrome.har"))
    fields = [list(extract_fields(f)) for f in flows]
    with_ssid = [fs for fs in fields if any(f.location == "cookie" and f.key == "SSID"
                                            for f in fs)]
    assert with_ssid  # the capture still holds what this test is about
    assert not any(d.pii_type == "WIFI_SSID" for fs in with_ssid for d in bare.scan(fs))
