"""Structure-aware mutants: valid HAR, zhar and flow files whose values are hostile.

Byte flips rarely get a HAR past its JSON parser, so the body and value decoders
behind it saw few mutants. Here a seed is parsed, a few of its entries (or
mitmproxy flows, through mitmproxy's own io) get hostile values in their
headers, URL, query, cookies, request body (`postData` text, mimeType,
`encoding`), response content and WebSocket messages, and the result is
written back as valid JSON (zlib- or gzip-compressed for zhar) or as a flow
file. Hostile values: payloads holding the sample phone's identifiers (JSON,
protobuf, MessagePack, XML, forms, JWT, UTF-16 and GB18030 text) under chains
of encodings (base64 of gzip of JSON of protobuf...), cut or corrupted
compressed streams, declared types and Content-Encodings that lie, deep
nesting, huge repetitions, invalid UTF-8 and lone surrogates, values of the
wrong JSON type.
"""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
import random
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import brotli
import msgpack
import zstandard

#: The sample phone's values (captures/sample.profile.toml): found when decoded.
PII = {
    "imei": "490154203237518", "imsi": "460001234567890", "iccid": "89860012345678901234",
    "android_id": "a1b2c3d4e5f60718", "adid": "38400000-8cf0-11bd-b23e-10b96e40000d",
    "mac": "02:1a:11:f0:c3:7e", "email": "jane.doe.test@example.org",
    "phone": "+8613812345678", "ssid": "HomeWiFi-5G", "name": "Jane Doe",
}
CJK = "李雷 手机号码 一三九零零零零一一一一 韩梅梅"

Bytes = Callable[[random.Random], bytes]

#: Entries kept of a seed HAR (a window), flows of a seed flow file.
MAX_ENTRIES = 8
#: Bytes a mutant may have; a bigger one is made again. Decoding work comes from
#: what the bytes hold (bombs, nesting), not from their number; the byte mutants and
#: test_length_attacks cover long files.
MAX_MUTANT = 4 * 1024 * 1024
_TRIES = 20


# -- payloads: bytes that hold personal data in some format ---------------------------------


def _pii(rng: random.Random) -> dict[str, Any]:
    keys = rng.sample(sorted(PII), rng.randint(1, 4))
    out: dict[str, Any] = {k: PII[k] for k in keys}
    if rng.random() < 0.3:
        out["loc"] = {"lat": 39.9042, "lon": 116.4074}
    return out


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_field(number: int, data: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(data)) + data


def _protobuf(rng: random.Random) -> bytes:
    fields = [pb_field(i + 1, v.encode()) for i, v in enumerate(_pii(rng).values())
              if isinstance(v, str)]
    inner = b"".join(fields) + varint(9 << 3) + varint(rng.randrange(1 << 40))
    return pb_field(1, inner) + pb_field(2, b"ok") if rng.random() < 0.5 else inner


def _json(rng: random.Random) -> bytes:
    return json.dumps({"data": _pii(rng), "n": rng.randrange(100)}).encode()


def _msgpack(rng: random.Random) -> bytes:
    return msgpack.packb({"d": _pii(rng), "b": PII["imei"].encode()})


def _xml(rng: random.Random) -> bytes:
    return (f'<r xmlns:a="urn:x"><dev imei="{PII["imei"]}"><a:mac>{PII["mac"]}</a:mac>'
            f'<mail>{PII["email"]}</mail></dev></r>').encode()


def _form(rng: random.Random) -> bytes:
    return "&".join(f"{k}={quote(str(v))}" for k, v in _pii(rng).items()).encode()


def _jwt(rng: random.Random) -> bytes:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(_pii(rng))}.c2lnbmF0dXJl".encode()


def _utf16(rng: random.Random) -> bytes:
    codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be"])
    # without a BOM, only ASCII-range text is told to be UTF-16 (every other byte zero)
    text = f"imei={PII['imei']} {CJK if codec == 'utf-16' else PII['email']}"
    return text.encode(codec)


def _gbk(rng: random.Random) -> bytes:
    return CJK.encode(rng.choice(["gbk", "gb18030"]))


def _random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice([1, 7, 64, 1000]))


PAYLOADS: tuple[Bytes, ...] = (_json, _protobuf, _msgpack, _xml, _form, _jwt, _utf16, _gbk,
                               _random_bytes)


# -- hostile payloads: nesting, repetition, bad text ------------------------------------------


def _deep_json(rng: random.Random) -> bytes:
    n = rng.choice([70, 1000, 100_000])
    if rng.random() < 0.5:
        return b"[" * n + b'"' + PII["imei"].encode() + b'"' + b"]" * n
    return b'{"a":' * n + b"1" + b"}" * n


def _deep_xml(rng: random.Random) -> bytes:
    n = rng.choice([70, 2000, 50_000])
    return b"<a x='1'>" * n + PII["imei"].encode() + b"</a>" * n


def _repeated(rng: random.Random) -> bytes:
    n = rng.choice([10_000, 60_000, 200_000])
    kind = rng.randrange(4)
    if kind == 0:
        return b'{"l":[' + b'"490154203237518",' * n + b'"x"]}'
    if kind == 1:
        return b"&".join(b"k%d=%s" % (i, PII["imei"].encode()) for i in range(n))
    if kind == 2:  # one long key, many times
        key = b"k" * 4000
        return b'{"a":[' + b",".join(b'{"%s":1}' % key for _ in range(n // 100)) + b"]}"
    return b"".join(pb_field(1, pb_field(2, b"490154203237518")) for _ in range(n // 10))


def _bad_text(rng: random.Random) -> bytes:
    return rng.choice([
        b"\xed\xa0\x80imei=490154203237518\xed\xb0\x80",  # UTF-8 encoded surrogates
        b"\xff\xfe\x00\xd8a\x00",  # UTF-16 LE with a lone high surrogate
        b"\xfe\xff\xdc\x00\x00a",  # UTF-16 BE with a lone low surrogate
        b'{"a": "\\ud800\\udc00\\udbff", "imei": "490154203237518\\ud83d"}',
        b"\x80\x81\xfe\xff" * 200,
        b"\xc0\xaf\xe0\x80\xaf" + PII["email"].encode(),
        b"\x00" * 4096,
    ])


def _multipart(rng: random.Random) -> bytes:
    boundary = "b0und"
    parts = []
    for i in range(rng.randint(1, 4)):
        body, ctype, coding = hostile_body(rng, depth=1)
        head = f'Content-Disposition: form-data; name="p{i}"; filename="f{i}"\r\n'
        if ctype:
            head += f"Content-Type: {ctype}\r\n"
        if coding:
            head += f"Content-Encoding: {coding}\r\n"
        parts.append(f"--{boundary}\r\n{head}\r\n".encode() + body + b"\r\n")
    if rng.random() < 0.8:
        parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


HOSTILE: tuple[Bytes, ...] = (_deep_json, _deep_xml, _repeated, _bad_text, _multipart)


# -- encodings, applied one over another -----------------------------------------------------


def as_text(data: bytes, rng: random.Random) -> str:
    """`data` as a JSON string's text: UTF-8 when it is; else latin-1, or (rarely, as a
    HAR written by Python's json holds them, and which ends the read) lone surrogates."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        if rng.random() < 0.05:
            return data.decode("utf-8", "surrogateescape")
        return data.decode("latin-1")


def _text_of(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()


def _deflate_raw(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


#: (name, content coding it is, encoder); a content coding may be declared in a header.
ENCODINGS: tuple[tuple[str, str | None, Callable[[bytes, random.Random], bytes]], ...] = (
    ("gzip", "gzip", lambda d, r: gzip.compress(d, mtime=0)),
    ("zlib", "deflate", lambda d, r: zlib.compress(d)),
    ("deflate", "deflate", lambda d, r: _deflate_raw(d)),
    ("br", "br", lambda d, r: brotli.compress(d)),
    ("zstd", "zstd", lambda d, r: zstandard.ZstdCompressor().compress(d)),
    ("base64", None, lambda d, r: base64.b64encode(d)),
    ("base64url", None, lambda d, r: base64.urlsafe_b64encode(d).rstrip(b"=")),
    ("hex", None, lambda d, r: d.hex().encode()),
    ("json", None, lambda d, r: json.dumps({"payload": _text_of(d), "v": 1}).encode()),
    ("form", None, lambda d, r: b"a=1&data=" + quote(_text_of(d)).encode()),
    ("percent", None, lambda d, r: quote(quote(_text_of(d))).encode()),
    ("protobuf", None, lambda d, r: pb_field(3, d) + pb_field(4, b"tag")),
    ("msgpack", None, lambda d, r: msgpack.packb({"blob": d, "s": "text"})),
    ("xml", None, lambda d, r: b"<m><v k='1'>" + _xml_escape(_text_of(d)) + b"</v></m>"),
    ("gzip2", "gzip", lambda d, r: gzip.compress(d, mtime=0) * 2),  # two members
    ("cut", None, lambda d, r: d[: r.randrange(len(d) + 1)]),  # a stream that ends early
    ("junk", None, lambda d, r: d + r.randbytes(r.randint(1, 16))),  # trailing garbage
    ("flip", None, lambda d, r: _flip_one(d, r)),
    ("repeat", None, lambda d, r: d * r.choice([2, 100, 2000])),
)


def _xml_escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").encode()


def _flip_one(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


CONTENT_TYPES = (
    "application/json", "application/json; charset=utf-8", "text/json",
    "application/vnd.api+json", "application/x-protobuf", "application/grpc",
    "application/x-msgpack", "application/xml", "text/xml", "application/x-www-form-urlencoded",
    "text/plain; charset=utf-16", "text/plain; charset=gbk", "text/plain; charset=\"",
    "application/octet-stream", "multipart/form-data; boundary=b0und",
    "multipart/mixed; boundary=\"b0und\"", "multipart/form-data; boundary=", "", ";;;=",
    "text/html; charset=x-unknown",
)


def encoded(rng: random.Random, depth: int = 0) -> bytes:
    """A payload under 0-5 encodings."""
    pool = PAYLOADS + HOSTILE if depth == 0 and rng.random() < 0.25 else PAYLOADS
    data = rng.choice(pool)(rng)
    for _ in range(rng.choice([0, 1, 2, 2, 3, 3, 4, 5])):
        name, _, encode = rng.choice(ENCODINGS)
        if len(data) > 1_000_000 and name in ("repeat", "hex", "json", "percent"):
            continue  # keep mutants small on disk
        data = encode(data, rng)
    return data


def hostile_body(rng: random.Random, depth: int = 0) -> tuple[bytes, str, str | None]:
    """(body, Content-Type, Content-Encoding) for a request: declared right, or lying."""
    data = encoded(rng, depth)
    codings: list[str] = []
    if rng.random() < 0.5:  # declare a content coding on top
        name, coding, encode = rng.choice([e for e in ENCODINGS if e[1]])
        if rng.random() < 0.8:
            data = encode(data, rng)
        codings.append(coding or name)
        if rng.random() < 0.2:  # and lie about it
            codings = rng.choice([["br"], ["gzip", "br", "zstd"], ["gzip"] * 9, ["compress"],
                                  ["identity", "gzip"], [" GZIP "], [","]])
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data) + 1)]  # truncated compressed stream
    ctype = rng.choice(CONTENT_TYPES)
    return data, ctype, ", ".join(codings) or None


def hostile_string(rng: random.Random) -> str:
    """A header, query, cookie or URL value: printable encodings, or something worse."""
    roll = rng.random()
    if roll < 0.6:
        data = encoded(rng)
        if rng.random() < 0.7:  # values travel as text: end with a text encoding
            data = rng.choice([base64.b64encode, base64.urlsafe_b64encode,
                               lambda d: d.hex().encode()])(data)
        return as_text(data, rng)
    if roll < 0.7:
        return "%25" * rng.choice([10, 1000, 100_000]) + "32"
    if roll < 0.8:
        return rng.choice([chr(0xD800) if rng.random() < 0.1 else "\ufffd", "\x00\r\n", "\ufeff",
                           "\u2028", "\U0001f600"]) * rng.choice([1, 1000])
    if roll < 0.9:
        return _deep_json(rng).decode()[:200_000]
    return rng.choice(["x" * 300_000, "=" * 5000, "eyJ" * 3000, "a=" * 50_000,
                       "Bearer eyJhbGciOiJub25lIn0.eyJ.", "%", "%zz"])


# -- HAR -------------------------------------------------------------------------------------


def _wrong_type(rng: random.Random) -> object:
    return rng.choice([None, 0, -1, 1e308, 10**40, True, "", "x", [], {}, [[[[]]]],
                       {"name": 1}, [{"name": None, "value": []}]])


def _quote(text: str) -> str:
    """Percent-encoded UTF-8 of `text`, lone surrogates too (as a sloppy client sends)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _url(rng: random.Random, old: object) -> str:
    base = old if isinstance(old, str) and rng.random() < 0.6 else "https://api.example.com/v1"
    roll = rng.random()
    if roll < 0.6:
        sep = "&" if "?" in base else "?"
        pairs = "&".join(f"{k}={_quote(hostile_string(rng))}"
                         for k in rng.sample(["d", "imei", "data", "q", "t"], rng.randint(1, 3)))
        return f"{base}{sep}{pairs}"
    if roll < 0.8:
        segment = _quote(hostile_string(rng))
        return f"https://api.example.com/{segment}/x"
    return rng.choice(["http://[::1", "http://a:99999/x", "//x", "*", "http://" + "a." * 5000,
                       "https://h/" + "/".join(["s"] * 20_000), "data:,x", "http://\udcff/",
                       "http://user:pw@[fe80::1%25eth0]:80/?a=%ZZ"])


def mutate_har_entry(entry: dict[str, Any], rng: random.Random) -> None:
    """Give one HAR entry 1-4 hostile values, in place."""
    request = entry.get("request")
    if not isinstance(request, dict):
        request = entry["request"] = {"method": "POST", "url": "https://api.example.com/"}
    for _ in range(rng.randint(1, 4)):
        what = rng.randrange(10)
        headers = request.setdefault("headers", [])
        if not isinstance(headers, list):
            headers = request["headers"] = []
        if what <= 2:  # the request body
            body, ctype, coding = hostile_body(rng)
            post = request["postData"] = {"mimeType": ctype}
            if rng.random() < 0.5:
                post["text"], post["encoding"] = base64.b64encode(body).decode(), "base64"
            else:
                post["text"] = as_text(body, rng)
                if rng.random() < 0.1:
                    post["encoding"] = rng.choice(["base64", "BASE64", 7, None, "utf-16"])
            if coding:
                headers.append({"name": "Content-Encoding", "value": coding})
            if rng.random() < 0.5:
                headers.append({"name": "Content-Type", "value": ctype})
        elif what == 3:  # params instead of text (a form rebuilt, maybe multipart)
            request["postData"] = {
                "mimeType": rng.choice(["multipart/form-data; boundary=zz",
                                        "application/x-www-form-urlencoded", ""]),
                "params": [{"name": f"p{i}", "value": hostile_string(rng),
                            **({"fileName": "f.bin", "contentType": rng.choice(CONTENT_TYPES)}
                               if rng.random() < 0.5 else {})}
                           for i in range(rng.randint(1, 3))]}
        elif what == 4:  # a header
            name = rng.choice(["X-Data", "Authorization", "User-Agent", "X-Device", ":authority",
                               "Host", "Cookie", "x-" + "k" * 300])
            headers.append({"name": name, "value": hostile_string(rng)})
        elif what == 5:  # the URL and its query
            request["url"] = _url(rng, request.get("url"))
            request["queryString"] = [{"name": "d", "value": hostile_string(rng)}]
        elif what == 6:  # cookies
            request["cookies"] = [{"name": rng.choice(["sid", "d", ""]),
                                   "value": hostile_string(rng)}
                                  for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.5:
                headers.append({"name": "Cookie", "value": "; ".join(
                    f"c{i}={hostile_string(rng)}" for i in range(rng.randint(1, 3)))})
        elif what == 7:  # the response content (HAR `content.encoding: base64`)
            body, ctype, coding = hostile_body(rng)
            response = entry["response"] = entry.get("response") if isinstance(
                entry.get("response"), dict) else {"status": 200}
            response["content"] = {"mimeType": ctype, "size": len(body),
                                   "text": base64.b64encode(body).decode(), "encoding": "base64"}
            response["headers"] = [{"name": "Content-Encoding", "value": coding or "gzip"}]
        elif what == 8:  # WebSocket messages (Chrome), binary ones base64
            body, _, _ = hostile_body(rng)
            entry["_webSocketMessages"] = [
                {"type": "send", "time": 1.0, "opcode": 2, "data": base64.b64encode(body).decode()},
                {"type": "send", "time": 2.0, "opcode": 1, "data": hostile_string(rng)}]
        else:  # a value of the wrong type somewhere
            target = rng.choice([entry, request, request.get("postData") or request])
            if isinstance(target, dict) and target:
                target[rng.choice(sorted(target))] = _wrong_type(rng)


def mutate_har(seed: dict[str, Any], rng: random.Random) -> bytes:
    """A copy of a parsed HAR with hostile values in a few of its entries, as JSON bytes."""
    doc = copy.deepcopy(seed)
    log = doc.setdefault("log", {})
    if not isinstance(log, dict):
        doc = {"log": {"entries": []}}
        log = doc["log"]
    entries = log.get("entries")
    if not isinstance(entries, list) or not entries:
        entries = log["entries"] = [{"request": {"method": "POST",
                                                 "url": "https://api.example.com/"}}]
    if len(entries) > MAX_ENTRIES:  # a window of a long HAR: the reads stay short
        start = rng.randrange(len(entries) - MAX_ENTRIES + 1)
        entries = log["entries"] = entries[start:start + MAX_ENTRIES]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(entries))
        if not isinstance(entries[i], dict):
            entries[i] = {}
        mutate_har_entry(entries[i], rng)
    if rng.random() < 0.03:  # many copies of one mutated entry
        entries.extend([entries[rng.randrange(len(entries))]] * rng.choice([100, 2000]))
    return json.dumps(doc, ensure_ascii=rng.random() < 0.9).encode("utf-8", "surrogatepass")


def compress_har(data: bytes, rng: random.Random) -> bytes:
    """As the reader expects a .zhar: zlib (mitmproxy's) or gzip."""
    return zlib.compress(data) if rng.random() < 0.7 else gzip.compress(data, mtime=0)


# -- mitmproxy flow files --------------------------------------------------------------------


def read_flows(data: bytes) -> list[Any]:
    from mitmproxy.io import FlowReader

    return list(FlowReader(io.BytesIO(data)).stream())


def mutate_flows(flows: list[Any], rng: random.Random) -> bytes:
    """A flow file of copies of `flows`, some HTTP flows given hostile values."""
    from mitmproxy import http
    from mitmproxy.io import FlowWriter

    start = rng.randrange(max(1, len(flows) - MAX_ENTRIES + 1))
    flows = [f.copy() for f in flows[start:start + MAX_ENTRIES]]
    web = [f for f in flows if isinstance(f, http.HTTPFlow)]
    for _ in range(rng.randint(1, 3) if web else 0):
        f = rng.choice(web)
        request = f.request
        for _ in range(rng.randint(1, 4)):
            what = rng.randrange(6)
            if what <= 2:
                body, ctype, coding = hostile_body(rng)
                request.raw_content = body
                request.headers["content-type"] = ctype
                if coding:
                    request.headers["content-encoding"] = coding
                elif "content-encoding" in request.headers:
                    del request.headers["content-encoding"]
            elif what == 3:
                value = hostile_string(rng).encode("utf-8", "surrogatepass")
                name = rng.choice([b"x-data", b"authorization", b"cookie", b"user-agent"])
                request.headers.fields = (*request.headers.fields, (name, value))
            elif what == 4:
                try:
                    request.url = _url(rng, request.url)
                except (ValueError, UnicodeError):
                    request.path = b"/?d=" + _quote(hostile_string(rng)).encode()
            elif f.websocket is not None and f.websocket.messages:
                body, _, _ = hostile_body(rng)
                f.websocket.messages[rng.randrange(len(f.websocket.messages))].content = body
            elif f.response is not None:
                body, _, coding = hostile_body(rng)
                f.response.raw_content = body
                f.response.headers["content-encoding"] = coding or "gzip"
    out = io.BytesIO()
    writer = FlowWriter(out)
    for f in flows:
        writer.add(f)
    return out.getvalue()


def parse_seed(fmt: str, seed: bytes) -> object | None:
    """The structure of a seed to mutate: a HAR document or a list of mitmproxy flows;
    None for a seed that does not parse, or a format without a structure here."""
    try:
        if fmt in ("har", "zhar"):
            raw = zlib.decompress(seed, 47) if fmt == "zhar" else seed
            doc = json.loads(raw.decode("utf-8-sig"))
            return doc if isinstance(doc, dict) else None
        if fmt == "mitm":
            return read_flows(seed) or None
    except Exception:  # a broken seed (the corpus has some), whatever it raises
        return None
    return None


def structured_mutants(fmt: str, parsed: object, n: int, rng: random.Random
                       ) -> Iterator[tuple[str, bytes]]:
    """`n` mutants of a seed parsed by `parse_seed`, serialised as format `fmt`."""
    for _ in range(n):
        for _ in range(_TRIES):
            out = (mutate_flows(parsed, rng) if fmt == "mitm"  # type: ignore[arg-type]
                   else mutate_har(parsed, rng))  # type: ignore[arg-type]
            if len(out) <= MAX_MUTANT:
                break
        yield "structured", compress_har(out, rng) if fmt == "zhar" else out
