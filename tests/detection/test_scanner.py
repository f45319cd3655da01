"""Scanner behaviour across detectors: confidence, dedupe, robustness."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.model import Field, Flow

from .conftest import scan_one


def test_no_profile_and_empty_input(bare: Scanner) -> None:
    assert bare.scan([]) == []
    assert bare.scan([Field("body", None, "")]) == []
    assert bare.scan(iter([Field("query", "q", "nothing here")])) == []


def test_detection_fields(bare: Scanner) -> None:
    f = Field("query", "imei", "490154203237518", ("base64",))
    (d,) = bare.scan([f])
    assert d.pii_type == "IMEI" and d.field is f and d.value == "490154203237518"
    assert d.match == "pattern" and d.extra_encoding == ()
    assert d.confidence == 0.99  # validated (0.95) + key prior, capped below known
    assert d.evidence == ("pattern:imei", "luhn", "key:imei")


def test_confidence_rules(bare: Scanner) -> None:
    def conf(value: str, key: str | None = None) -> list[float]:
        return [d.confidence for d in scan_one(bare, value, key)]

    assert conf("13812345678") == [0.4]  # base score: mobile shape, no country code
    assert conf("13812345678", "mobile") == [0.8]  # + key prior
    assert conf("+8613812345678") == [0.95]  # validated: written with its country code
    assert conf("x@corp.internal") == [0.6]  # uncommon TLD: base score
    assert conf("123456789012347") == []  # unknown reporting body: 0.3 < MIN_CONFIDENCE


def test_numbers_in_url_paths_are_likelier_object_ids(bare: Scanner) -> None:
    imei = "490154203237518"  # Luhn-valid, a real reporting body: as a Facebook app id
    flow = Flow("f", 0.0, "har", "http", "graph.facebook.com", "POST",
                f"https://graph.facebook.com/v16.0/{imei}/activities")
    found = [d for d in bare.scan(list(extract_fields(flow))) if d.pii_type == "IMEI"]
    assert [(d.field.location, d.confidence) for d in found] == [("path", 0.475)]
    assert "path:object-id" in found[0].evidence
    # ... or under a key naming another id: Facebook's pixel, `facebook.com/tr/?id=`
    assert [d.confidence for d in scan_one(bare, imei, "id")] == [0.475]
    assert [d.confidence for d in scan_one(bare, imei, "pixelId")] == [0.475]
    # the same number elsewhere, or under a key naming it, keeps its confidence
    assert [d.confidence for d in scan_one(bare, imei)] == [0.95]
    assert [d.confidence for d in scan_one(bare, imei, "note")] == [0.95]
    assert [d.confidence for d in bare.scan([Field("path", "imei", imei)])] == [0.99]
    assert [d.confidence for d in scan_one(bare, imei, "device_id")
            if d.pii_type == "IMEI"] == [0.99]
    # a phone number is no object id: as confident in a path
    phone = Flow("f", 0.0, "har", "http", "h.example", "GET",
                 "https://h.example/u/+8613812345678/profile")
    assert [d.confidence for d in bare.scan(list(extract_fields(phone)))
            if d.pii_type == "PHONE"] == [0.95]


def test_dedupe_per_place(known: Scanner, bare: Scanner) -> None:
    # the same value twice in a field, and as two forms: one detection
    dets = scan_one(known, "13812345678 and +8613812345678 and 138 1234 5678")
    assert [(d.pii_type, d.value, d.match) for d in dets] == [
        ("PHONE", "+8613812345678", "known")]
    # the same value in two places: one detection per place
    dets = bare.scan([Field("query", "e", "a@b.com"), Field("body", "e", "a@b.com"),
                      Field("body", "e", "A@B.COM")])
    assert [(d.field.location, d.value) for d in dets] == [("query", "a@b.com"),
                                                           ("body", "a@b.com")]


def test_known_suppresses_pattern(known: Scanner) -> None:
    dets = scan_one(known, "490154203237518", "imei")
    assert [(d.pii_type, d.match, d.confidence) for d in dets] == [("IMEI", "known", 1.0)]
    assert "profile" in dets[0].evidence


def test_many_fields_one_flow(known: Scanner) -> None:
    fields = [Field("query", f"k{i}", v) for i, v in enumerate(
        ["1712345678901", "d41d8cd98f00b204e9800998ecf8427e", "zh-CN", "a@b.com"] * 30)]
    dets = known.scan(fields)
    assert {d.field.key for d in dets} == {f"k{i}" for i in range(3, 120, 4)}


TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.text(
    alphabet=string.digits + string.hexdigits + ":-.@+, ", max_size=200)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["query", "body", "header"]),
                          st.none() | st.sampled_from(["imei", "lat", "lng", "gaid", "ts", "a.b"]),
                          TEXT), max_size=6))
def test_scanning_arbitrary_text_never_raises(known: Scanner,
                                              fields: list[tuple[str, str | None, str]]) -> None:
    for d in known.scan([Field(*f) for f in fields]):
        assert 0 < d.confidence <= 1 and d.match in ("known", "pattern")


SEPARATORS = st.sampled_from([" ", "&", "=", ",", ";", '"', "\n", "/", "|", ":"])
NOISE = st.text(alphabet=string.ascii_letters + " _", max_size=12)


def imei_from(body: str) -> str:
    return body + luhn.calc_check_digit(body)


@settings(max_examples=60, deadline=None)
@given(rbi=st.sampled_from(["35", "86", "01", "99", "49"]),
       rest=st.text(alphabet=string.digits, min_size=12, max_size=12),
       before=NOISE, after=NOISE, sep1=SEPARATORS, sep2=SEPARATORS)
def test_encode_then_detect_imei(bare: Scanner, rbi: str, rest: str, before: str, after: str,
                                 sep1: str, sep2: str) -> None:
    imei = imei_from(rbi + rest)
    if rest[:6] == "000000":
        return  # all-zero TACs are dropped on purpose
    dets = scan_one(bare, f"{before}{sep1}{imei}{sep2}{after}")
    assert ("IMEI", imei) in [(d.pii_type, d.value) for d in dets]


@settings(max_examples=60, deadline=None)
@given(local=st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?", fullmatch=True),
       domain=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
       tld=st.sampled_from(["com", "org", "cn", "net", "io"]),
       before=NOISE, after=NOISE, sep1=SEPARATORS, sep2=SEPARATORS)
def test_encode_then_detect_email(bare: Scanner, local: str, domain: str, tld: str,
                                  before: str, after: str, sep1: str, sep2: str) -> None:
    if ".." in local or (domain.endswith("x") and domain[:-1].isdigit()):
        return  # malformed local parts and scale suffixes (`@2x.png`) are rejected on purpose
    email = f"{local}@{domain}.{tld}"
    dets = scan_one(bare, f"{before}{sep1}{email.upper()}{sep2}{after}")
    assert ("EMAIL", email) in [(d.pii_type, d.value) for d in dets]


def test_many_flows_in_one_pass_give_what_each_flow_gives_alone(backend: str) -> None:
    # Flows of the generated corpus (every SDK payload style), scanned as `analyze`
    # does (many per engine pass) and one by one: the same detections, in order.
    from trafficscope.decoding.fields import extract_fields
    from trafficscope.eval import corpus

    phone, samples = corpus.generate(3, 90)
    flows = [tuple(extract_fields(s.flow)) for s in samples]
    for scanner in (Scanner(None, backend=backend), Scanner(phone.profile(), backend=backend)):
        alone = [scanner.scan(fields) for fields in flows]
        assert sum(map(len, alone)) > len(flows)  # the corpus leaks in every flow
        assert scanner.scan_many(flows) == alone
        assert scanner.scan_many(flows[::-1]) == alone[::-1]
        assert scanner.scan_many([]) == [] and scanner.scan_many([(), flows[0]]) == [[], alone[0]]
