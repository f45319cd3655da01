"""Encodings hidden inside values: each row is a query value and what must come out."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from urllib.parse import quote

import brotli
import msgpack
import pytest
import zstandard

from tests.fixtures.work import lines_run
from trafficscope.decoding import protobuf
from trafficscope.decoding.blobs import decode_bytes
from trafficscope.decoding.fields import extract_fields
from trafficscope.decoding.limits import Budget, Limits
from trafficscope.decoding.protobuf import parse_message
from trafficscope.eval.corpus import varint
from trafficscope.model import Flow

EMAIL = "jane.doe.test@example.org"
LIMITS = Limits()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _pb_string(field: int, text: bytes) -> bytes:
    return bytes([field << 3 | 2, len(text)]) + text


def query_rows(value: str) -> set[tuple[str | None, str, tuple[str, ...]]]:
    flow = Flow("f", 0.0, "har", "http", "h.example", "GET",
                f"https://h.example/p?x={quote(value, safe='')}")
    return {(f.key, f.value, f.encoding) for f in extract_fields(flow) if f.location == "query"}


CASES = [
    # (value sent, key path, expected value, expected encoding, why)
    (_b64(EMAIL.encode()), "x", EMAIL, ("base64",), "std base64"),
    (_b64(EMAIL.encode()).rstrip("="), "x", EMAIL, ("base64",), "unpadded"),
    (base64.urlsafe_b64encode(b"\xfb\xff" + EMAIL.encode()).decode().rstrip("=")[:0]
     + base64.urlsafe_b64encode(json.dumps({"e": EMAIL}).encode()).decode().rstrip("="),
     "x.e", EMAIL, ("base64", "json"), "URL-safe base64 of JSON"),
    (EMAIL.encode().hex(), "x", EMAIL, ("hex",), "hex text"),
    (quote(quote(EMAIL, safe=""), safe=""), "x", EMAIL, ("percent", "percent"),
     "triple percent-encoding"),
    (_b64(gzip.compress(json.dumps({"imei": "490154203237518"}).encode())), "x.imei",
     "490154203237518", ("base64", "gzip", "json"), "gzip JSON in base64"),
    (_b64(zlib.compress(EMAIL.encode())), "x", EMAIL, ("base64", "zlib"), "zlib"),
    (_b64(zlib.compress(EMAIL.encode())[2:-4]), "x", EMAIL, ("base64", "deflate"),
     "raw deflate"),
    (_b64(brotli.compress(EMAIL.encode())), "x", EMAIL, ("base64", "br"), "brotli"),
    (_b64(zstandard.ZstdCompressor().compress(EMAIL.encode())), "x", EMAIL,
     ("base64", "zstd"), "zstd"),
    (_b64(msgpack.packb({"em": EMAIL, "n": 3})), "x.em", EMAIL,
     ("base64", "msgpack"), "MessagePack map"),
    (_b64(_pb_string(1, b"\x08\x96\x01" + _pb_string(2, EMAIL.encode()))), "x.1.2", EMAIL,
     ("base64", "protobuf"), "protobuf, nested message, field numbers as keys"),
    (_b64("李雷 手机".encode("gb18030")), "x", "李雷 手机", ("base64", "gb18030"), "GBK"),
    (_b64(EMAIL.encode("utf-16")), "x", EMAIL, ("base64", "utf-16"), "UTF-16 BOM"),
    ("eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(
        json.dumps({"sub": EMAIL}).encode()).decode().rstrip("=") + ".c2ln", "x.sub", EMAIL,
     ("jwt", "json"), "JWT payload"),
]


@pytest.mark.parametrize(("sent", "key", "value", "encoding", "why"), CASES,
                         ids=[c[-1] for c in CASES])
def test_value_decoded(sent: str, key: str, value: str, encoding: tuple[str, ...],
                       why: str) -> None:
    url_layer = ("percent",) if quote(sent, safe="") != sent else ()  # the query's own escapes
    assert (key, value, (*url_layer, *encoding)) in query_rows(sent)


@pytest.mark.parametrize(("sent", "why"), [
    ("1fb9c7a5eafc0bbf912082bee95a9a47", "an MD5 in hex: random bytes"),
    ("H7nHper8C7+RIIK+6VqaRw", "an MD5 digest in base64: random bytes"),
    ("1623721575695", "a millisecond time"),
    ("android", "a word"),
    ("f94b8c55e06514ea89cdc32baf7847b6-1621472073365", "a token"),
])
def test_tokens_are_not_decoded(sent: str, why: str) -> None:
    url_layer = ("percent",) if quote(sent, safe="") != sent else ()
    assert query_rows(sent) == {("x", sent, url_layer)}


def test_guessed_decoding_keeps_the_raw_value() -> None:
    sent = _b64(EMAIL.encode()).rstrip("=")
    assert {("x", sent, ()), ("x", EMAIL, ("base64",))} <= query_rows(sent)


@pytest.mark.parametrize(("data", "why"), [
    (bytes(range(256)), "every byte once"),
    (b"\x00" * 8, "field number 0"),
    (b"\x0b\x01", "a group (wire type 3)"),
    (b"\x0a\x05ab", "length past the end"),
    (b"\x08" + b"\xff" * 11, "varint longer than 10 bytes"),
])
def test_protobuf_is_strict(data: bytes, why: str) -> None:
    assert parse_message(data) is None


def test_protobuf_repeated_fields_become_lists() -> None:
    data = _pb_string(3, b"a") + _pb_string(3, b"b") + b"\x10\x05"
    assert parse_message(data) == {"3": ["a", "b"], "2": "5"}


def test_flow_budget_stops_decompression() -> None:
    blob = gzip.compress(bytes(1000))
    budget = Budget(1500)
    first = decode_bytes(blob, LIMITS, budget)
    assert first is not None and first.steps == ("gzip",) and not first.truncated
    second = decode_bytes(blob, LIMITS, budget)
    assert second is not None and second.truncated  # only 500 bytes were left
    third = decode_bytes(blob, LIMITS, budget)
    assert third is not None and third.node is None and third.truncated


def test_binary_body_whatever_its_type() -> None:
    body = gzip.compress(json.dumps({"imei": "490154203237518"}).encode())
    flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                request_headers=(("Content-Type", "application/octet-stream"),),
                request_body=body)
    assert [(f.key, f.value, f.encoding) for f in extract_fields(flow)
            if f.location == "body"] == [
        ("imei", "490154203237518", ("gzip", "json"))]


def test_xml_body_fields() -> None:
    body = (b'<?xml version="1.0"?><req xmlns="urn:x"><dev imei="490154203237518">'
            b"<mac>02:1a:11:f0:c3:7e</mac><mac>02:1a:11:f0:c3:7f</mac></dev></req>")
    flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                request_headers=(("Content-Type", "text/xml"),), request_body=body)
    got = {(f.key, f.value, f.encoding) for f in extract_fields(flow) if f.location == "body"}
    assert got == {("req.dev.@imei", "490154203237518", ("xml",)),
                   ("req.dev.mac.0", "02:1a:11:f0:c3:7e", ("xml",)),
                   ("req.dev.mac.1", "02:1a:11:f0:c3:7f", ("xml",))}


def test_xml_entity_bomb_stays_text() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>')
    rows = query_rows(bomb)
    assert all("xml" not in enc for _, _, enc in rows)
    assert max(len(v) for _, v, _ in rows) <= len(bomb)


def _failing_nest(levels: int, width: int) -> bytes:
    """Length-delimited fields `width` times over, `levels` deep, each level ending in
    a byte that is no field: no level parses as a message."""
    chunk = b"\x80"
    for _ in range(levels):
        chunk = (b"\x0a" + varint(len(chunk)) + chunk) * width + b"\x00"
    return chunk


def test_fields_that_are_no_message_are_parsed_once() -> None:
    """A field that fails as a nested message went to the blob decoder, which parsed
    it as a message again, and so at every level below: the work grew with the
    nesting (a 89 KB body took 19 s CPU, past the 5 s time cap, never read)."""
    body = _failing_nest(6, 3)
    assert parse_message(body) is None
    flow = Flow("f", 0.0, "har", "http", "h.example", "POST", "https://h.example/",
                request_headers=(("Content-Type", "application/x-protobuf"),),
                request_body=body)
    fields, lines = lines_run(protobuf, lambda: list(extract_fields(flow)))
    assert [f.location for f in fields if f.location != "header"] == ["body"]
    assert lines < 20 * LIMITS.max_depth * len(body)
