"""Encode-then-detect: a random value of each entity, through a random chain of
supported encodings, in a random place of a request, is reported with the right
entity and the right `encoding` path (the profile holds the value)."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Callable
from urllib.parse import quote

import msgpack
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.detection.checksums import luhn_digit
from trafficscope.model import Flow
from trafficscope.profile import KnownValue, Profile

HEX = "0123456789abcdef"
DIGITS = "0123456789"

# entity -> strategy of a value in the profile's normal form
VALUES: dict[str, st.SearchStrategy[str]] = {
    "IMEI": st.text(DIGITS, min_size=14, max_size=14).filter(lambda d: d[:8] != "0" * 8)
    .map(lambda d: "35" + d[2:] + luhn_digit("35" + d[2:])),
    "EMAIL": st.from_regex(r"[a-z]{3,8}\.[a-z0-9]{3,8}@(qq|example|mail)\.(com|org|cn)",
                           fullmatch=True),
    "PHONE": st.text(DIGITS, min_size=8, max_size=8).map(lambda d: "+86138" + d),
    "MAC": st.text(HEX, min_size=10, max_size=10).map(
        lambda h: ":".join(("0a" + h)[i:i + 2] for i in range(0, 12, 2))),
    "AD_ID": st.uuids(version=4).map(str),
    "ANDROID_ID": st.text(HEX, min_size=16, max_size=16).filter(lambda h: len(set(h)) > 3),
    "IMSI": st.text(DIGITS, min_size=10, max_size=10).map(lambda d: "46000" + d),
}
PROFILE_KEYS = {"IMEI": "device.imei", "EMAIL": "owner.email", "PHONE": "owner.phone",
                "MAC": "device.wifi_mac", "AD_ID": "device.ad_id",
                "ANDROID_ID": "device.android_id", "IMSI": "device.imsi"}

Step = tuple[str, tuple[str, ...], Callable[[str], str]]
# (name, steps a decoder records, text -> text)
STEPS: tuple[Step, ...] = (
    ("base64", ("base64",), lambda t: base64.b64encode(t.encode()).decode()),
    ("base64url", ("base64",),
     lambda t: base64.urlsafe_b64encode(t.encode()).decode().rstrip("=")),
    ("hex", ("hex",), lambda t: t.encode().hex()),
    ("gzip", ("base64", "gzip"), lambda t: base64.b64encode(gzip.compress(t.encode())).decode()),
    ("zlib", ("base64", "zlib"), lambda t: base64.b64encode(zlib.compress(t.encode())).decode()),
    ("zstd", ("base64", "zstd"), lambda t: base64.b64encode(
        zstandard.ZstdCompressor().compress(t.encode())).decode()),
    ("json", ("json",), lambda t: json.dumps({"v": t})),
    ("msgpack", ("base64", "msgpack"),
     lambda t: base64.b64encode(msgpack.packb({"v": t})).decode()),
    ("percent", ("percent",), lambda t: quote(t, safe="")),
)


def _place(where: str, text: str) -> tuple[Flow, tuple[str, ...]]:
    """A request carrying `text` at `where`, and the steps the carrier adds in front."""
    base = {"flow_id": "f", "ts": 0.0, "source": "har", "kind": "http", "host": "h.example",
            "method": "POST"}
    if where == "query":
        q = quote(text, safe="")
        return (Flow(**base, url=f"https://h.example/p?k={q}"),
                ("percent",) if q != text else ())
    if where == "header":
        return Flow(**base, url="https://h.example/", request_headers=(("X-K", text),)), ()
    if where == "cookie":
        c = quote(text, safe="")
        return (Flow(**base, url="https://h.example/", request_headers=(("Cookie", f"k={c}"),)),
                ("percent",) if c != text else ())
    body = json.dumps({"data": {"k": text}}).encode()
    return (Flow(**base, url="https://h.example/", request_body=body,
                 request_headers=(("Content-Type", "application/json"),)), ("json",))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), entity=st.sampled_from(sorted(VALUES)),
       chain=st.lists(st.sampled_from(STEPS), min_size=1, max_size=3),
       where=st.sampled_from(("query", "header", "cookie", "body")))
def test_encoded_value_found_with_its_path(data: st.DataObject, entity: str,
                                           chain: list[Step], where: str) -> None:
    value = data.draw(VALUES[entity])
    text = value
    applied: list[tuple[str, ...]] = []
    for _, steps, encode in chain:
        encoded = encode(text)
        if encoded != text:  # percent-encoding a UUID changes nothing: no step to see
            applied.append(steps)
        text = encoded
    expected: tuple[str, ...] = ()
    for steps in reversed(applied):
        expected += steps
    flow, carrier = _place(where, text)
    # The `re` backend compiles in ~0.1 s (Hyperscan ~1 s); both find the same spans
    # (tests/detection/test_engine.py), and this test is about decoding paths.
    scanner = Scanner(Profile(values=(KnownValue(entity, PROFILE_KEYS[entity], value),)),
                      backend="re")
    found = scanner.scan(list(extract_fields(flow)))
    paths = {d.field.encoding + d.extra_encoding for d in found
             if d.pii_type == entity and d.match == "known"}
    # The outermost layer may be one the carrier already undid (a cookie's %XX).
    assert (carrier + expected) in paths or (
        carrier == ("percent",) and expected[:1] == ("percent",) and expected in paths), (
        [c[0] for c in chain], where, paths)
