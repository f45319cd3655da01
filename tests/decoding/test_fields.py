import gzip
import json
import logging
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trafficscope.decoding.fields import extract_fields
from trafficscope.decoding.limits import DEFAULT_LIMITS, Limits, MiB
from trafficscope.model import Field, Flow, Message

FLOW_DEFAULTS: dict[str, Any] = {
    "flow_id": "f1",
    "ts": 1_700_000_000.0,
    "ts_end": 1_700_000_000.25,
    "source": "har",
    "kind": "http",
    "host": "api.example.com",
    "method": "POST",
    "url": "https://api.example.com/",
    "http_version": "HTTP/1.1",
}

Row = tuple[str | None, str, tuple[str, ...]]  # key, value, encoding


def make_flow(**overrides: Any) -> Flow:
    """A request flow from FLOW_DEFAULTS; `body`/`ctype`/`cenc` are shortcuts."""
    headers = list(overrides.pop("request_headers", ()))
    if "ctype" in overrides:
        headers.append(("Content-Type", overrides.pop("ctype")))
    if "cenc" in overrides:
        headers.append(("Content-Encoding", overrides.pop("cenc")))
    if "body" in overrides:
        overrides["request_body"] = overrides.pop("body")
    return Flow(**{**FLOW_DEFAULTS, "request_headers": tuple(headers), **overrides})


def rows(flow: Flow, location: str, limits: Limits = DEFAULT_LIMITS) -> list[Row]:
    return [(f.key, f.value, f.encoding) for f in extract_fields(flow, limits)
            if f.location == location]


def body_fields(flow: Flow, limits: Limits = DEFAULT_LIMITS) -> list[Field]:
    return [f for f in extract_fields(flow, limits) if f.location == "body"]


# --- URL -------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("https://h.example/a/b%20c//d/", [("0", "a", ()), ("1", "b c", ("percent",)), ("2", "d", ())]),
    ("/v1/users/42?x=1", [("0", "v1", ()), ("1", "users", ()), ("2", "42", ())]),  # origin form
    ("https://h.example", []),                                   # no path at all
    ("h.example:443", []),                                       # CONNECT authority form
    ("/a+b/%E6%9D%8E/%zz", [("0", "a+b", ()),                    # '+' is no space in a path
                            ("1", "李", ("percent",)),
                            ("2", "%zz", ())]),                  # a bad escape stays
    ("/p/%C0%C4", [("0", "p", ()), ("1", "\xc0\xc4", ("percent",))]),  # not UTF-8: latin-1
    ("/dev/imei=4901", [("0", "dev", ()), ("1.imei", "4901", ("form",))]),  # form in a segment
])
def test_path_fields(url: str, expected: list[Row]) -> None:
    assert rows(make_flow(url=url), "path") == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("imei=4901&os=android", [("imei", "4901", ()), ("os", "android", ())]),
    ("empty=&flag", [("empty", "", ()), ("flag", "", ())]),      # blank values are kept
    ("a=1;b=2", [("a", "1;b=2", ())]),                           # ';' does not separate
    ("name=Li+Lei&n=%E6%9D%8E", [("name", "Li Lei", ("percent",)), ("n", "李", ("percent",))]),
    ("a=1&&b=2&", [("a", "1", ()), ("b", "2", ())]),             # empty pieces skipped
    ("x=1#frag=2", [("x", "1", ())]),                            # the fragment is not sent
    ("d=%7B%22imei%22%3A%224901%22%2C%22l%22%3A%5B1%2C2%5D%7D",  # JSON in a parameter
     [("d.imei", "4901", ("percent", "json")),
      ("d.l.0", "1", ("percent", "json")),
      ("d.l.1", "2", ("percent", "json"))]),
    ("k=QUJDRA==", [("k", "QUJDRA==", ())]),                     # base64 padding is no form
    ("u=https://x.example/?a=1", [("u", "https://x.example/?a=1", ())]),  # a URL is no form
])
def test_query_fields(query: str, expected: list[Row]) -> None:
    assert rows(make_flow(url=f"https://h.example/?{query}"), "query") == expected


# --- headers and cookies ------------------------------------------------------

def test_header_fields() -> None:
    flow = make_flow(request_headers=(
        (":authority", "h.example"),                             # pseudo-headers skipped
        ("User-Agent", "okhttp/4.9"),
        ("X-Device-Info", '{"imei": "4901", "model": "Pixel"}'),  # JSON in a header
        ("Cookie", "sid=1"),                                     # goes to `cookie`
        ("x-dup", "1"), ("X-Dup", "2"),                          # repeated: one field each
    ))
    assert rows(flow, "header") == [
        ("user-agent", "okhttp/4.9", ()),
        ("x-device-info.imei", "4901", ("json",)),
        ("x-device-info.model", "Pixel", ("json",)),
        ("x-dup", "1", ()),
        ("x-dup", "2", ()),
    ]


@pytest.mark.parametrize(("cookie", "expected"), [
    ("a=1; b=2", [("a", "1", ()), ("b", "2", ())]),
    ("email=jane%40example.org", [("email", "jane@example.org", ("percent",))]),
    ("uid=a+b%", [("uid", "a+b%", ())]),                         # no %XX: left as sent
    ("bare", [(None, "bare", ())]),                              # a value without a name
    (" ; ;x= ", [("x", "", ())]),
    ("d=imei=4901&os=a", [("d.imei", "4901", ("form",)), ("d.os", "a", ("form",))]),
])
def test_cookie_fields(cookie: str, expected: list[Row]) -> None:
    assert rows(make_flow(request_headers=(("Cookie", cookie),)), "cookie") == expected


def test_every_cookie_header_is_read() -> None:
    flow = make_flow(request_headers=(("cookie", "a=1"), ("Cookie", "b=2")))
    assert rows(flow, "cookie") == [("a", "1", ()), ("b", "2", ())]


# --- bodies -------------------------------------------------------------------

INNER = json.dumps({"imei": "4901", "deeper": json.dumps({"aid": "x"})})  # JSON in JSON in JSON
NESTED_JSON = b"""{"data": {
    "contacts": [{"phone": "+8613900001111"}, {"phone": "+8613900002222"}],
    "apps": ["com.tencent.mm", "com.eg.android.AlipayGphone"],
    "ok": true, "none": null, "lat": 39.90420, "big": 123456789012345678901234567890,
    "inner": %s,
    "form": "imei=4901&name=Li%%20Lei"}}""" % json.dumps(INNER).encode()
NESTED_ROWS: list[Row] = [
    ("data.contacts.0.phone", "+8613900001111", ("json",)),
    ("data.contacts.1.phone", "+8613900002222", ("json",)),
    ("data.apps.0", "com.tencent.mm", ("json",)),
    ("data.apps.1", "com.eg.android.AlipayGphone", ("json",)),
    ("data.lat", "39.90420", ("json",)),                         # numbers keep their text
    ("data.big", "123456789012345678901234567890", ("json",)),
    ("data.inner.imei", "4901", ("json", "json")),               # JSON in a string
    ("data.inner.deeper.aid", "x", ("json", "json", "json")),    # ... in a string in a string
    ("data.form.imei", "4901", ("json", "form")),                # a form in a string
    ("data.form.name", "Li Lei", ("json", "form", "percent")),
]


def _multipart(boundary: str, *parts: tuple[str, bytes]) -> bytes:
    out = b"preamble\r\n"
    for head, content in parts:
        out += f"--{boundary}\r\n{head}\r\n\r\n".encode() + content + b"\r\n"
    return out + f"--{boundary}--\r\nepilogue".encode()


MULTIPART = _multipart(
    "XyZ",
    ('Content-Disposition: form-data; name="meta"\r\nContent-Type: application/json',
     b'{"imei": "4901", "ids": ["a"]}'),
    ('Content-Disposition: form-data; name="note"', b"hello\r\nworld"),
    ('Content-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain',
     b"file text"),
    ('Content-Disposition: form-data; name="q"\r\nContent-Type: application/x-www-form-urlencoded',
     b"a=1&b=2"),
    ('Content-Disposition: form-data; name="z"\r\nContent-Encoding: gzip\r\n'
     'Content-Type: application/json', gzip.compress(b'{"aid": "38400000"}')),
    ("Content-Type: text/plain", b"no name"),                  # keyed by its index
)
MULTIPART_ROWS: list[Row] = [
    ("meta.imei", "4901", ("multipart", "json")),
    ("meta.ids.0", "a", ("multipart", "json")),
    ("note", "hello\r\nworld", ("multipart",)),
    ("f", "file text", ("multipart",)),
    ("q.a", "1", ("multipart", "form")),
    ("q.b", "2", ("multipart", "form")),
    ("z.aid", "38400000", ("multipart", "gzip", "json")),
    ("5", "no name", ("multipart",)),
]


@pytest.mark.parametrize(("ctype", "body", "expected"), [
    ("application/json", NESTED_JSON, NESTED_ROWS),
    ("application/json; charset=utf-8", b'[1, "a", [true]]',
     [("0", "1", ("json",)), ("1", "a", ("json",))]),
    ("application/vnd.api+json", b'{"k": "v"}', [("k", "v", ("json",))]),
    ("text/json", b'"{\\"k\\": 1}"', [("k", "1", ("json", "json"))]),  # a string holding JSON
    ("application/json", b'{"a": ', [(None, '{"a": ', ())]),        # broken: kept as text
    ("application/json", b"\xef\xbb\xbf{\"k\": \"v\"}", [("k", "v", ("json",))]),  # BOM
    (None, b'{"k": "v"}', [("k", "v", ("json",))]),                # sniffed without a type
    ("text/plain", b' [{"k": "v"}] ', [("0.k", "v", ("json",))]),   # sniffed in text
    ("application/octet-stream", b'{"k": "v"}', [("k", "v", ("json",))]),
    ("application/x-www-form-urlencoded", b"imei=4901&name=Li+Lei&e=",
     [("imei", "4901", ("form",)), ("name", "Li Lei", ("form", "percent")), ("e", "", ("form",))]),
    ("application/x-www-form-urlencoded", b"d=%7B%22k%22%3A%22v%22%7D",
     [("d.k", "v", ("form", "percent", "json"))]),
    ("application/x-www-form-urlencoded", b'{"k": "v"}', [("k", "v", ("json",))]),  # misdeclared
    ("text/html", b"<p>Jane Doe</p>", [(None, "<p>Jane Doe</p>", ())]),
    ("text/plain; charset=gbk", "你好".encode("gbk"), [(None, "你好", ())]),
    ("text/plain; charset=nonsense", b"abc", [(None, "abc", ())]),
    ("image/png", b"\x89PNG\r\n\x1a\n\xff", [(None, "\x89PNG\r\n\x1a\n\xff", ())]),  # latin-1
    ('multipart/form-data; boundary="XyZ"', MULTIPART, MULTIPART_ROWS),
    ("multipart/form-data", MULTIPART, [(None, MULTIPART.decode("latin-1"), ())]),  # no boundary
])
def test_body_fields(ctype: str | None, body: bytes, expected: list[Row]) -> None:
    flow = make_flow(body=body) if ctype is None else make_flow(body=body, ctype=ctype)
    assert rows(flow, "body") == expected


def test_nested_multipart() -> None:
    inner = _multipart("in", ('Content-Disposition: form-data; name="b"', b"x=1"))
    outer = _multipart("out", ('Content-Disposition: form-data; name="a"\r\n'
                               "Content-Type: multipart/mixed; boundary=in", inner))
    flow = make_flow(body=outer, ctype="multipart/form-data; boundary=out")
    assert rows(flow, "body") == [("a.b.x", "1", ("multipart", "multipart", "form"))]


def test_multipart_delimiter_only_at_line_start() -> None:
    body = _multipart("b", ('Content-Disposition: form-data; name="t"', b"a--b c\r\nd --b"))
    flow = make_flow(body=body, ctype="multipart/form-data; boundary=b")
    assert rows(flow, "body") == [("t", "a--b c\r\nd --b", ("multipart",))]


def test_multipart_parts_share_one_decompression_budget() -> None:
    bomb = gzip.compress(bytes(4 * MiB))
    parts = [(f'Content-Disposition: form-data; name="p{i}"\r\nContent-Encoding: gzip', bomb)
             for i in range(20)]
    flow = make_flow(body=_multipart("b", *parts), ctype="multipart/form-data; boundary=b")
    fields = body_fields(flow, Limits(max_decoded_body=10 * MiB))
    assert [f.encoding for f in fields[:3]] == [("multipart", "gzip")] * 3
    assert sum(len(f.value) for f in fields if "gzip" in f.encoding) == 10 * MiB
    assert all(f.truncated for f in fields[2:])  # cut at, then past, the budget


def test_binary_body_keeps_bytes() -> None:
    body = bytes(range(256))
    [field] = body_fields(make_flow(body=body, ctype="application/octet-stream"))
    assert field.value.encode("latin-1") == body


@pytest.mark.parametrize(("cenc", "encode", "steps"), [
    ("gzip", gzip.compress, ("gzip",)),
    ("br", brotli.compress, ("br",)),
    ("zstd", zstandard.ZstdCompressor().compress, ("zstd",)),
    ("deflate", zlib.compress, ("deflate",)),
    ("gzip, br", lambda d: brotli.compress(gzip.compress(d)), ("br", "gzip")),
])
def test_compressed_json_body(cenc: str, encode: Any, steps: tuple[str, ...]) -> None:
    flow = make_flow(body=encode(NESTED_JSON), ctype="application/json", cenc=cenc)
    assert rows(flow, "body") == [(k, v, (*steps, *enc)) for k, v, enc in NESTED_ROWS]


def test_corrupt_compressed_body_is_kept_as_text() -> None:
    flow = make_flow(body=b'{"k": "v"}', ctype="application/json", cenc="gzip")
    assert rows(flow, "body") == [("k", "v", ("json",))]  # the header lied: parsed as sent


def test_body_cut_at_the_cap_is_truncated() -> None:
    body = gzip.compress(b'{"k": "' + b"v" * 5000 + b'"}')
    limits = Limits(max_decoded_body=100, ratio_floor=100)
    [field] = body_fields(make_flow(body=body, cenc="gzip"), limits)
    assert field == Field("body", None, '{"k": "' + "v" * 93, ("gzip",), truncated=True)


def test_body_truncated_by_the_reader() -> None:
    body = "名字".encode()[:-1]  # cut inside the last character
    [field] = extract_fields(make_flow(body=body, notes=("body-truncated",)))
    assert field.truncated and field.value.startswith("名")
    assert field.value.encode("utf-8")[:3] + field.value[1:].encode("latin-1") == body


# --- websocket ---------------------------------------------------------------

def test_websocket_messages() -> None:
    flow = make_flow(kind="websocket", messages=(
        Message(from_client=True, content=b'{"lat": 39.9, "ids": ["x"]}'),
        Message(from_client=False, content=b'{"server": "not scanned"}'),
        Message(from_client=True, content=b"imei=4901"),
        Message(from_client=True, content=b"plain hello"),
        Message(from_client=True, content=b"\xff\x00", is_text=False),
        Message(from_client=True, content=b""),
    ))
    assert rows(flow, "websocket") == [
        ("0.lat", "39.9", ("json",)),
        ("0.ids.0", "x", ("json",)),
        ("2.imei", "4901", ("form",)),
        ("3", "plain hello", ()),
        ("4", "\xff\x00", ()),
    ]


# --- limits -------------------------------------------------------------------

def test_json_nested_100000_deep_does_not_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    assert rows(make_flow(body=body, ctype="application/json"), "body") == [
        (None, body.decode(), ()),  # too deep for the parser: kept as text
    ]


def test_json_deeper_than_max_json_depth_is_kept_as_json_text() -> None:
    body = "[" * 100 + '"x"' + "]" * 100
    [field] = body_fields(make_flow(body=body.encode(), ctype="application/json"))
    assert field.key == ".".join(["0"] * 64) and field.truncated
    assert field.value == "[" * 36 + '"x"' + "]" * 36


def test_json_in_string_nesting_stops_at_max_depth() -> None:
    value: object = {"imei": "4901"}
    for _ in range(12):
        value = {"s": json.dumps(value)}
    [field] = body_fields(make_flow(body=json.dumps(value).encode(), ctype="application/json"))
    assert field.truncated and field.key == ".".join(["s"] * 9)
    assert field.encoding == ("json",) * 9


@pytest.mark.parametrize(("items", "fields", "last_truncated"), [
    (100, 10, True),    # cut: the last field says more remained
    (10, 10, False),    # exactly the cap: nothing was lost
    (5, 10, False),
])
def test_max_fields(items: int, fields: int, last_truncated: bool) -> None:
    body = json.dumps(list(range(items))).encode()
    got = list(extract_fields(make_flow(body=body), Limits(max_fields=fields)))  # body only
    assert len(got) == min(items, fields)
    assert [f.truncated for f in got] == [False] * (len(got) - 1) + [last_truncated]


def test_key_paths_feed_last_key() -> None:
    flow = make_flow(body=NESTED_JSON, ctype="application/json")
    assert [f.last_key for f in body_fields(flow)][:3] == ["phone", "phone", "apps"]


# --- hostile input ------------------------------------------------------------

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from([
        "application/json", "application/x-www-form-urlencoded", "text/plain",
        "application/octet-stream", "multipart/form-data; boundary=b", "text/plain; charset=gbk",
        "multipart/mixed; boundary=", "application/x+json; charset=utf-16",
    ]),
    st.text(max_size=60),
)
ENCODINGS = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["gzip", "br", "zstd", "deflate", "identity", "x"]),
             max_size=3).map(", ".join),
    st.text(max_size=30),
)
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=80),  # lone surrogates too
    st.text("%=&;/?#{}[]\":,+ aZ09\u00e9", max_size=80),          # the punctuation that matters
)
BODIES = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=512).map(gzip.compress),
    st.recursive(st.text(max_size=20) | st.integers() | st.booleans() | st.none(),
                 lambda kids: st.lists(kids, max_size=4)
                 | st.dictionaries(st.text(max_size=8), kids, max_size=4)
                 | kids.map(json.dumps),
                 max_leaves=30).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda parts: b"--b\r\n" + b"\r\n--b\r\n".join(parts) + b"\r\n--b--",
              st.lists(st.binary(max_size=100), max_size=4)),
)


class _Records(logging.Handler):
    """Collects what `extract_fields` logs: a section that failed logs a warning."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def warnings_logged() -> Iterator[list[logging.LogRecord]]:
    handler = _Records()
    logger = logging.getLogger("trafficscope.decoding")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_lone_surrogates_from_a_reader(warnings_logged: list[logging.LogRecord]) -> None:
    flow = make_flow(url="/a\ud800%41?q=\udcff%41", request_headers=(
        ("Cookie", "a=\ud800%41"), ("X-J", '{"a": "\ud800"}')))
    assert [f.location for f in extract_fields(flow)] == ["path", "query", "cookie", "header"]
    assert not warnings_logged


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, ctype=CONTENT_TYPES, cenc=ENCODINGS, url=ANY_TEXT, header=ANY_TEXT,
       message=st.binary(max_size=300))
def test_extract_fields_never_raises(warnings_logged: list[logging.LogRecord],
                                     body: bytes, ctype: str | None, cenc: str | None,
                                     url: str, header: str, message: bytes) -> None:
    headers = [("Cookie", header), ("X-Any", header)]
    if ctype is not None:
        headers.append(("Content-Type", ctype))
    if cenc is not None:
        headers.append(("Content-Encoding", cenc))
    flow = make_flow(url=url, request_headers=headers, body=body,
                     messages=(Message(from_client=True, content=message),))
    for f in extract_fields(flow, Limits(max_decoded_body=1 << 20)):
        assert isinstance(f.value, str) and f.location in {
            "path", "query", "header", "cookie", "body", "websocket"}
    assert not warnings_logged  # no section fell back on an unexpected error


@pytest.mark.parametrize(("kind", "headers", "location"), [
    ("dns", (("qname", "jane-pixel.example.com"),), "dns"),
    ("tls", (("sni", "t.example.net"),), "sni"),
    ("quic", (("sni", "q.example.net"),), "sni"),
    ("dhcp", (("hostname", "Janes-Pixel"), ("vendor_class", "android-dhcp-14")), "dhcp"),
])
def test_names_of_wire_kinds_have_their_own_location(kind: str, headers: tuple,
                                                      location: str) -> None:
    flow = make_flow(kind=kind, method=None, url=None, request_headers=headers)
    got = [(f.location, f.key, f.value) for f in extract_fields(flow)]
    assert got == [(location, k, v) for k, v in headers]


def test_raw_payload_of_tcp_and_udp_flows_is_searched() -> None:
    flow = make_flow(kind="udp", method=None, url=None,
                     messages=(Message(True, b"imei=490154203237518", None, False),
                               Message(False, b"reply", None, False)))
    got = [(f.location, f.key) for f in extract_fields(flow)]
    assert got == [("payload", "0.imei")]  # the reply (from the server) is not searched
