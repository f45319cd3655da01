"""Hashes, chained hashes and base64 of profile values: found, with the steps recorded."""

from __future__ import annotations

import base64
import hashlib

import pytest

from trafficscope.detection import Scanner

from .conftest import scan_one

EMAIL = "jane.doe.test@example.org"


def _h(name: str, text: str) -> str:
    return hashlib.new(name, text.encode()).hexdigest()


ROWS = [
    # (text sent, entity, extra_encoding, why)
    (_h("md5", EMAIL), "EMAIL", ("md5",), "MD5 hex"),
    (_h("sha1", EMAIL).upper(), "EMAIL", ("sha1",), "SHA-1 upper-case hex"),
    ("em=" + _h("sha256", EMAIL), "EMAIL", ("sha256",), "SHA-256 in a form"),
    ("%2522" + _h("sha256", EMAIL) + "%2522", "EMAIL", ("sha256",), "glued to %22 escapes"),
    (base64.b64encode(hashlib.sha256(EMAIL.encode()).digest()).decode(), "EMAIL",
     ("sha256", "base64"), "base64 of the digest"),
    (_h("sha256", _h("md5", EMAIL)), "EMAIL", ("md5", "sha256"), "SHA-256 of the MD5 hex"),
    ("~E" + base64.b64encode(EMAIL.encode()).decode().rstrip("=") + "~", "EMAIL", ("base64",),
     "base64 of the value behind a type tag"),
    (_h("md5", "8613812345678"), "PHONE", ("md5",), "MD5 of the phone without +"),
    (_h("md5", "02:1A:11:F0:C3:7E"), "MAC", ("md5",), "MD5 of the upper-case MAC"),
    (_h("sha1", "490154203237518"), "IMEI", ("sha1",), "SHA-1 of the IMEI"),
]


@pytest.mark.parametrize(("text", "entity", "steps", "why"), ROWS, ids=[r[-1] for r in ROWS])
def test_hash_variant_found(known: Scanner, text: str, entity: str, steps: tuple[str, ...],
                            why: str) -> None:
    hits = [(d.pii_type, d.match, d.extra_encoding) for d in scan_one(known, text)]
    assert (entity, "known", steps) in hits


@pytest.mark.parametrize(("text", "why"), [
    (_h("md5", "someone.else@example.org"), "another address's hash"),
    (_h("md5", EMAIL)[:-1], "a hash cut short"),
])
def test_other_hashes_not_found(known: Scanner, text: str, why: str) -> None:
    assert scan_one(known, text) == []


def test_type_tag_needs_an_email_key(known: Scanner) -> None:
    hits = [(d.pii_type, d.match, d.value) for d in scan_one(known, "s" + EMAIL, key="cp.email")]
    assert ("EMAIL", "known", EMAIL) in hits
    assert all(d.match != "known" for d in scan_one(known, "x" + EMAIL))
