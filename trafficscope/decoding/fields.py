"""A flow's request, taken apart into the `Field`s that detection scans.

Locations and keys:

| location    | key                                    | value                        |
|-------------|----------------------------------------|------------------------------|
| `path`      | index of the non-empty segment ("0")   | the segment, percent-decoded |
| `query`     | parameter name                         | percent-decoded value        |
| `header`    | lowercased name (not Cookie, not `:`)  | the header value             |
| `cookie`    | cookie name                            | the cookie value             |
| `body`      | key path (`data.contacts.0.phone`)     | a leaf, or the whole text    |
| `websocket` | message index, then the key path       | a leaf, or the whole text    |
| `payload`   | message index (tcp/udp/dns flows)      | first client bytes, as text  |
| `dns`       | `qname`                                | the name asked               |
| `sni`       | `sni`                                  | TLS/QUIC server name         |
| `dhcp`      | `hostname`, `vendor_class`, `fqdn`, `client_mac` | the option's value |
| `mdns`      | `hostname`, `instance`, `txt.<key>`     | the name, or the TXT value   |

For the name-only kinds (`dns`, `tls`, `quic`, `dhcp`, `mdns`) `request_headers`
holds the names the client sent, not HTTP headers: they are reported under
the kind's location.

A plain text body has key None; a multipart part's name starts its key path;
the websocket index is the message's place in `flow.messages` (client
messages only).

`encoding` lists the steps from the bytes on the wire to the value, in order:
content codings (`gzip`, `br`, ...), containers parsed (`json`, `form`,
`multipart`) and `percent` when percent-decoding changed the value. Every
value is then offered to the value decoders of `values.py`, so JSON inside a
query parameter comes out as `data.imei` with `("percent", "json")`.

`extract_fields` never raises: whatever cannot be parsed is kept as text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from ..model import Field, Flow
from .blobs import decode_bytes, decode_declared
from .content import decode_body
from .limits import DEFAULT_LIMITS, Budget, Limits
from .values import decode_text, join_key, parse_form, parse_json, percent_decode, walk

logger = logging.getLogger(__name__)

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_PARAM_RE = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
# Declared JSON (also any `+json` type) is parsed whatever it looks like; every
# other text body is still sniffed for JSON and forms by the value decoders.
_JSON_TYPES = frozenset({"application/json", "text/json"})
_FORM_TYPE = "application/x-www-form-urlencoded"


def extract_fields(flow: Flow, limits: Limits = DEFAULT_LIMITS) -> Iterator[Field]:
    """Every value the request sends: path, query, headers, cookies, body, client messages.

    At most `limits.max_fields` fields; the last is marked truncated when more remained.
    """
    if limits.max_fields <= 0:
        return
    fields = _all_fields(flow, limits)
    for count, f in enumerate(fields, 1):
        if count == limits.max_fields:
            yield f if next(fields, None) is None else replace(f, truncated=True)
            return
        yield f


def _all_fields(flow: Flow, limits: Limits) -> Iterator[Field]:
    values = Budget.of(limits)  # bytes all values of the flow may decompress to
    for section in _SECTIONS:
        try:
            yield from section(flow, limits, values)
        except Exception as e:  # a bug on one input must not lose the flow's other fields
            logger.warning(
                "%s failed on flow %s: %s", section.__name__, flow.flow_id, type(e).__name__
            )
            if section is _body_fields and flow.request_body:
                yield Field("body", None, decode_text(flow.request_body))


def _url_fields(flow: Flow, limits: Limits, values: Budget) -> Iterator[Field]:
    if not flow.url:
        return
    path, query = _split_url(flow.url)
    segments = [s for s in path.split("/") if s]
    for index, segment in enumerate(segments):
        value = percent_decode(segment)
        yield from walk("path", str(index), value, ("percent",) if value != segment else (), limits,
                        budget=values)
    if query:
        yield from walk("query", None, parse_form(query), (), limits, budget=values)


def _split_url(url: str) -> tuple[str, str]:
    """(path, query) of an absolute or origin-form URL; no path for `host:port` or `*`."""
    head, _, query = url.partition("#")[0].partition("?")
    scheme = _SCHEME_RE.match(head)
    if scheme:
        slash = head.find("/", scheme.end())
        return (head[slash:] if slash != -1 else ""), query
    return (head if head.startswith("/") else ""), query


#: Kinds whose `request_headers` are names the client sent, and their location.
_NAME_LOCATIONS = {"dns": "dns", "tls": "sni", "quic": "sni", "dhcp": "dhcp", "mdns": "mdns"}
#: Kinds whose messages are raw client payload.
_PAYLOAD_KINDS = frozenset({"tcp", "udp", "dns", "quic"})


def _header_fields(flow: Flow, limits: Limits, values: Budget) -> Iterator[Field]:
    name_location = _NAME_LOCATIONS.get(flow.kind)
    if name_location:
        for name, value in flow.request_headers:
            yield from walk(name_location, name, value, (), limits, budget=values)
        return
    for name, value in flow.request_headers:
        if name.startswith(":"):
            continue
        lname = name.lower()
        if lname == "cookie":
            yield from _cookie_fields(value, limits, values)
        else:
            yield from walk("header", lname, value, (), limits, budget=values)


def _cookie_fields(header: str, limits: Limits, values: Budget) -> Iterator[Field]:
    for part in header.split(";"):
        name, eq, value = part.partition("=")
        if not eq:  # a bare value, as browsers read `Cookie: abc`
            name, value = "", name
        name, value = name.strip(), value.strip()
        if not name and not value:
            continue
        decoded = percent_decode(value) if _PERCENT_RE.search(value) else value
        enc = ("percent",) if decoded != value else ()
        yield from walk("cookie", name or None, decoded, enc, limits, budget=values)


@dataclass(slots=True)
class _Budget:
    """Bytes one body may still decompress to, shared by all its multipart parts."""

    left: int


def _body_fields(flow: Flow, limits: Limits, values: Budget) -> Iterator[Field]:
    if not flow.request_body:
        return
    body = decode_body(flow.request_body, flow.header("content-encoding"), limits)
    if body.error:
        logger.debug("flow %s: body kept as sent: %s", flow.flow_id, body.error)
    truncated = body.truncated or "body-truncated" in flow.notes
    budget = _Budget(limits.max_decoded_body - (len(body.data) if body.steps else 0))
    yield from _content_fields(
        body.data, flow.header("content-type"), "body", None, body.steps, truncated, limits, 0,
        budget, values,
    )


def _websocket_fields(flow: Flow, limits: Limits, values: Budget) -> Iterator[Field]:
    location = "payload" if flow.kind in _PAYLOAD_KINDS else "websocket"
    for index, message in enumerate(flow.messages):
        if message.from_client and message.content:
            yield from walk(location, str(index), decode_text(message.content), (), limits,
                            budget=values)


def content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """`multipart/form-data; boundary="x"` -> ("multipart/form-data", {"boundary": "x"})."""
    if not value:
        return "", {}
    mime, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM_RE.finditer(";" + rest):
        v = m.group(2).strip()
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1].replace('\\"', '"')
        params.setdefault(m.group(1).lower(), v)
    return mime.strip().lower(), params


def _content_fields(
    data: bytes,
    ctype: str | None,
    location: str,
    key: str | None,
    enc: tuple[str, ...],
    truncated: bool,
    limits: Limits,
    nest: int,
    budget: _Budget,
    values: Budget,
) -> Iterator[Field]:
    """Fields of a body (or a multipart part) by its Content-Type.

    A body of any other type that is not text is offered to `blobs.decode_bytes`
    (gzip, zstd, zlib by magic, MessagePack, protobuf, UTF-16/GB18030 text)
    whatever its declared type.
    """
    mime, params = content_type(ctype)
    if mime.startswith("multipart/") and params.get("boundary"):
        if nest < limits.max_depth:
            yield from _multipart_fields(
                data, params["boundary"], location, key, (*enc, "multipart"), truncated, limits,
                nest + 1, budget, values,
            )
            return
        truncated = True
    is_json = mime in _JSON_TYPES or mime.endswith("+json")
    declared = decode_declared(data, mime, limits, values) if mime else None
    if declared is not None:
        yield from walk(location, key, declared.node, (*enc, *declared.steps), limits,
                        nest=nest, truncated=truncated or declared.truncated, budget=values)
        return
    if not is_json and mime != _FORM_TYPE and not params.get("charset") and _binary(data):
        share = replace(values, left=min(values.left, budget.left))  # draws from both
        start = share.left
        found = decode_bytes(data, limits, share, strict=False)
        values.left -= start - share.left
        budget.left -= start - share.left
        if found is not None and found.node is not None:
            yield from walk(location, key, found.node, (*enc, *found.steps), limits, nest=nest,
                            truncated=truncated or found.truncated, budget=values)
            return
        if found is not None:  # compressed, but a cap (bytes or time) left it unopened
            truncated = True
    text = decode_text(data, params.get("charset"))
    node: object = text
    if is_json:
        parsed = parse_json(text)
        if parsed is not None:
            node, enc = parsed, (*enc, "json")
    elif mime == _FORM_TYPE:
        parsed = parse_json(text, containers_only=True)  # JSON sent as a form: common
        if parsed is not None:
            node, enc = parsed, (*enc, "json")
        else:
            node, enc = parse_form(text), (*enc, "form")
    # Anything else is text, which the value decoders still sniff for JSON and forms.
    yield from walk(location, key, node, enc, limits, nest=nest, truncated=truncated,
                    budget=values)


def _multipart_fields(
    data: bytes,
    boundary: str,
    location: str,
    key: str | None,
    enc: tuple[str, ...],
    truncated: bool,
    limits: Limits,
    nest: int,
    budget: _Budget,
    values: Budget,
) -> Iterator[Field]:
    """Each part of a multipart body, keyed by its name (or index), parsed by its type."""
    # A delimiter starts a line; the newline before it belongs to the delimiter.
    chunks = (b"\n" + data).split(b"\n--" + boundary.encode("utf-8", "replace"))
    for index, chunk in enumerate(chunks[1:]):
        if chunk.startswith(b"--"):
            return  # the close delimiter
        line_end = chunk.find(b"\n")  # the rest of the delimiter line
        if line_end == -1:
            continue
        head, content = _split_part(chunk[line_end + 1 :])
        headers = _part_headers(head)
        _, disposition = content_type(headers.get("content-disposition"))
        part_key = join_key(key, disposition.get("name") or str(index))
        steps: tuple[str, ...] = ()
        part_truncated = truncated
        coding = headers.get("content-encoding")
        if coding and budget.left <= 0:
            part_truncated = True  # the body's decompression budget is spent: kept as sent
        elif coding:
            part = decode_body(content, coding, replace(limits, max_decoded_body=budget.left))
            if part.steps:
                budget.left -= len(part.data)
            content, steps, part_truncated = part.data, part.steps, truncated or part.truncated
        yield from _content_fields(
            content, headers.get("content-type"), location, part_key, (*enc, *steps),
            part_truncated, limits, nest, budget, values,
        )


def _split_part(part: bytes) -> tuple[bytes, bytes]:
    """(header block, content) of one part, less the CR before the next delimiter."""
    if part.startswith((b"\r\n", b"\n")):
        head, content = b"", part[1:] if part[:1] == b"\n" else part[2:]
    else:
        crlf, lf = part.find(b"\r\n\r\n"), part.find(b"\n\n")
        if crlf != -1 and (lf == -1 or crlf < lf):
            head, content = part[:crlf], part[crlf + 4 :]
        elif lf != -1:
            head, content = part[:lf], part[lf + 2 :]
        else:
            head, content = part, b""
    return head, content[:-1] if content.endswith(b"\r") else content


def _part_headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in decode_text(head).splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    return headers


def _binary(data: bytes) -> bool:
    """Not plain UTF-8 text: worth asking what the bytes are."""
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < 4092  # not just a character cut at the sample's end
    return b"\x00" in data[:4096]


_SECTIONS: tuple[Callable[[Flow, Limits, Budget], Iterator[Field]], ...] = (
    _url_fields, _header_fields, _body_fields, _websocket_fields,
)
