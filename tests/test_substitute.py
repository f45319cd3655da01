"""Substitution: same shape, consistent, found inside reversible encodings."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from stdnum import imei as stdnum_imei

from trafficscope.detection.mask import value_sha256
from trafficscope.profile import parse_profile
from trafficscope.substitute import Substituter, fakes

IMEI, EMAIL, PHONE, MAC = "490154203237518", "jane.doe.test@example.org", "+8613812345678", \
    "02:1a:11:f0:c3:7e"
AD_ID = "38400000-8cf0-11bd-b23e-10b96e40000d"
PROFILE = parse_profile({"device": {"imei": IMEI, "wifi_mac": MAC, "ad_id": AD_ID,
                                    "device_name": "Jane's Pixel"},
                         "owner": {"email": EMAIL, "phone": PHONE}})


@pytest.fixture(scope="module")
def sub() -> Substituter:
    return Substituter(PROFILE, seed="s1")


def shape(text: str) -> str:
    """Character classes: digit, hex letter, other letter; case kept."""
    for pattern, cls in ((r"[0-9]", "9"), (r"[a-f]", "h"), (r"[A-F]", "H"), (r"[g-z]", "x"),
                         (r"[G-Z]", "X")):
        text = re.sub(pattern, cls, text)
    return text


def test_fakes_keep_shape_and_differ_everywhere(sub: Substituter) -> None:
    pairs = dict(fakes(sub))
    for real, fake in pairs.items():
        assert len(fake) == len(real) and fake != real
        if "@" not in real:
            assert shape(fake) == shape(real), (real, fake)
            # every letter and digit changes, except an IMEI's recomputed check digit
            body = real[:-1] if sum(c.isdigit() for c in real) == 15 else real
            assert all(a != b for a, b in zip(body, fake, strict=False) if a.isalnum())
    assert stdnum_imei.is_valid(pairs[IMEI])  # a valid check digit, as apps may verify
    assert pairs[EMAIL].endswith("@example.org")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        pairs[AD_ID])


def test_one_fake_per_value_across_its_forms(sub: Substituter) -> None:
    pairs = dict(fakes(sub))
    fake_phone = pairs[PHONE]
    assert pairs[PHONE[1:]] == fake_phone[1:]
    assert pairs["13812345678"] == fake_phone[3:]
    assert pairs[IMEI[:14]] == pairs[IMEI][:14]
    assert pairs[MAC.replace(":", "")] == pairs[MAC].replace(":", "")
    again = dict(fakes(Substituter(PROFILE, seed="s1")))
    other = dict(fakes(Substituter(PROFILE, seed="s2")))
    assert again == pairs and other[IMEI] != pairs[IMEI]


def b64(text: str) -> str:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_").decode()


@pytest.mark.parametrize(
    ("text", "encoding", "unwrap"),
    [
        (f"imei={IMEI}&x=1", (), str),
        (f"e={quote(EMAIL, safe='')}", ("percent",), unquote_plus),
        (f"e={quote_plus(json.dumps({'imei': IMEI}))}", ("percent",), unquote_plus),
        (base64.b64encode(json.dumps({"mail": EMAIL}).encode()).decode(), ("base64",), b64),
        (base64.urlsafe_b64encode(f"id={IMEI}&zz=?>?".encode()).decode().rstrip("="),
         ("base64",), b64),
        ("d=" + quote(base64.b64encode(json.dumps({"id": IMEI}).encode()).decode(), safe=""),
         ("percent", "base64"), lambda t: b64(unquote_plus(t[2:]))),
        (MAC.upper().replace(":", "-"), (), str),
        ("phone: 138 1234 5678", (), str),
    ],
)
def test_values_replaced_inside_encodings(sub: Substituter, text: str,
                                          encoding: tuple[str, ...],
                                          unwrap: Callable[[str], str]) -> None:
    new, hits = sub.rewrite(text, "body")
    assert len(hits) == 1 and hits[0].encoding == encoding and hits[0].location == "body"
    before, after = unwrap(text), unwrap(new)
    pairs = dict(fakes(sub))
    real = next(r for r in (IMEI, EMAIL, MAC.upper().replace(":", "-"), "138 1234 5678")
                if r in before)
    assert real not in after
    assert after == before.replace(real, pairs.get(real) or pairs[real.lower()].upper())
    assert hits[0].value_sha256 in {value_sha256(IMEI), value_sha256(EMAIL),
                                    value_sha256(MAC), value_sha256(PHONE)}


@pytest.mark.parametrize(
    "text",
    [
        f"n=9{IMEI}",            # inside a longer digit run: another number
        f"id=x{IMEI}y",          # glued to letters
        "plain text, nothing to replace",
        "QUJDREVGR0hJSktMTU5PUA==",  # base64 without any value
    ],
)
def test_leaves_other_data_alone(sub: Substituter, text: str) -> None:
    assert sub.rewrite(text, "body") == (text, [])


def test_substitutions_never_hold_the_real_value(sub: Substituter) -> None:
    _, hits = sub.rewrite(f"{EMAIL} {IMEI}", "header", "x-id")
    assert {(h.pii_type, h.key) for h in hits} == {("EMAIL", "x-id"), ("IMEI", "x-id")}
    for h in hits:
        assert IMEI not in repr(h) and EMAIL not in repr(h)
