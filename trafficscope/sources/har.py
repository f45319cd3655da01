"""Read HAR 1.2 files (plain, UTF-8 with BOM, gzip- or zlib-compressed) into `Flow`s.

Entries are streamed with ijson, one at a time, so a large HAR is never held in
memory whole. Chrome, Firefox, Safari, Charles, Insomnia and mitmproxy exports
differ in which optional fields they fill; everything optional may be absent.
A malformed entry is skipped and counted; a file that is not a HAR, or breaks
off, raises `ReadError` after the entries read so far have been yielded.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import logging
import math
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import ijson

from trafficscope.errors import ReadError
from trafficscope.model import Flow, Headers, Message
from trafficscope.sources.files import UTF8_BOM, first_line, open_maybe_compressed, os_reason
from trafficscope.sources.jsonguard import StringCap, TooDeep, guarded_events

log = logging.getLogger(__name__)

#: A request body longer than this is cut, and the flow noted "body-truncated".
MAX_BODY = 64 * 1024 * 1024

#: A JSON string (a body, a URL, a header) is cut at this many bytes while the file
#: is read, before the parser holds it; the flow is then noted "body-truncated".
MAX_STRING = MAX_BODY + 8

MULTIPART_BOUNDARY = "trafficscope-har-boundary"  # fixed: rebuilt bodies stay deterministic

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}

#: HAR spellings of the HTTP version -> mitmproxy's, so every source agrees.
_HTTP_VERSIONS = {
    "http/1.0": "HTTP/1.0", "http/1.1": "HTTP/1.1",
    "h2": "HTTP/2.0", "http/2": "HTTP/2.0", "http/2.0": "HTTP/2.0",
    "h3": "HTTP/3", "http/3": "HTTP/3", "http/3.0": "HTTP/3",
}

#: ijson's pure-Python parser: it reads the lone UTF-16 surrogates that yajl refuses
#: (`\udc96`: Python's json, and so mitmproxy's HAR export, writes the bytes of a body
#: that is not UTF-8 so). A HAR holding one is read again with it, from that entry on.
_PYTHON_JSON: Any = ijson.get_backend("python")

# What a hostile or half-written entry can make the conversion raise.
_ENTRY_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def read_har(path: str | os.PathLike[str]) -> Iterator[Flow]:
    """Yield one `Flow` per well-formed entry of the HAR file at `path`.

    Raises `ReadError` (and nothing else) when the file cannot be opened, is not
    a HAR, or its JSON breaks off; entries before the break are yielded first.
    A string holding a lone surrogate's escape (`\\udc96`, which yajl refuses)
    makes the reader start over with ijson's Python parser and go on from the
    entry where it stopped (`encode_text` gives such a body its bytes back).
    """
    stem = Path(path).stem
    index = skipped = 0
    backend: Any = ijson
    while True:  # a second pass only with the Python parser, after a lone surrogate
        done, parsed, again = index, 0, False
        with _open_har(path) as stream:
            cap: StringCap = stream.raw  # type: ignore[assignment]
            entries = ijson.items(guarded_events(stream, backend), "log.entries.item")
            cuts = 0
            while True:
                try:
                    entry = next(entries)
                except StopIteration:
                    break
                except TooDeep as e:
                    raise ReadError(path, f"{e} after {index} entries") from e
                except ijson.JSONError as e:
                    raise ReadError(path, _json_reason(e, index)) from e
                except UnicodeDecodeError as e:  # yajl: a lone surrogate's \u escape
                    if backend is _PYTHON_JSON:  # pragma: no cover - it reads them
                        raise ReadError(path, f"{first_line(e)} after {index} entries") from e
                    log.info("%s: a lone surrogate in entry %d: read again with ijson's "
                             "Python parser", path, index)
                    backend, again = _PYTHON_JSON, True
                    break
                except (OSError, EOFError, zlib.error) as e:
                    raise ReadError(path, f"{os_reason(e)} after {index} entries") from e
                parsed += 1
                if parsed <= done:  # yielded by the first pass
                    cuts = cap.cuts
                    continue
                flow = _entry_or_none(entry, f"{stem}:{index}", os.fspath(path))
                del entry  # a long body is held once, not twice, while the flow is used
                if cap.cuts != cuts and flow is not None and "body-truncated" not in flow.notes:
                    flow = replace(flow, notes=(*flow.notes, "body-truncated"))
                cuts = cap.cuts
                index += 1
                if flow is None:
                    skipped += 1
                    continue
                yield flow
        if not again:
            break
    if skipped and skipped == index:
        raise ReadError(path, f"not a HAR file: none of its {index} entries is a HAR entry")
    if skipped:
        log.warning("skipped %d malformed HAR entries of %d in %s", skipped, index, path)
    if index == 0:
        _check_empty_har(path)


def flow_from_entry(entry: Mapping[str, Any], flow_id: str, input_file: str | None = None) -> Flow:
    """Convert one HAR entry; raises TypeError/ValueError/KeyError when it is malformed."""
    request = entry["request"]
    if not isinstance(request, Mapping):
        raise TypeError("request is not an object")
    url = request["url"]
    if not isinstance(url, str) or not url:
        raise TypeError("request.url is not a string")
    headers = _headers(request.get("headers"))
    host, port = _host_port(url, headers)
    notes: list[str] = []
    body, body_headers = _request_body(request.get("postData"), headers, notes)
    headers = _without_pseudo(headers) + body_headers + _cookie_header(request, headers)
    ts = _timestamp(entry.get("startedDateTime"))
    if ts is None:
        notes.append("no-timestamp")
    response = entry.get("response")
    response = response if isinstance(response, Mapping) else {}
    messages = _ws_messages(entry.get("_webSocketMessages"))
    duration = _number(entry.get("time"))
    method = request.get("method")
    return Flow(
        flow_id=flow_id,
        ts=ts or 0.0,
        source="har",
        kind="websocket" if messages else "http",
        host=host,
        method=method.upper() if isinstance(method, str) and method else None,
        url=url,
        http_version=_http_version(request.get("httpVersion")),
        request_headers=headers,
        request_body=body,
        status=_status(response.get("status")),
        response_headers=_without_pseudo(_headers(response.get("headers"))),
        messages=messages,
        server_ip=_server_ip(entry.get("serverIPAddress")),
        server_port=port,
        bytes_out=_transfer_size(request, len(body)),
        bytes_in=_transfer_size(response, 0),
        ts_end=ts + duration / 1000 if ts is not None and duration is not None else None,
        input_file=input_file,
        notes=tuple(notes),
    )


# -- opening ---------------------------------------------------------------------------------


def _open_har(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open a (maybe compressed) HAR, skip a UTF-8 BOM, check it starts with a JSON object."""
    stream = open_maybe_compressed(path)
    try:
        head = stream.peek(4096)[:4096]
        start = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
        if not head[start:].lstrip(b" \t\r\n").startswith(b"{"):
            raise ReadError(path, "not a HAR file: it does not start with a JSON object")
        stream.read(start)
    except (OSError, EOFError, zlib.error) as e:
        stream.close()
        raise ReadError(path, os_reason(e)) from e
    except ReadError:
        stream.close()
        raise
    return io.BufferedReader(StringCap(stream, MAX_STRING))


def _check_empty_har(path: str | os.PathLike[str]) -> None:
    """A file that yielded no entry must still have `log.entries` as a list to be a HAR."""
    with _open_har(path) as stream:
        try:
            found = list(ijson.items(guarded_events(stream), "log.entries"))
        except (ijson.JSONError, TooDeep, OSError, EOFError, zlib.error,
                UnicodeDecodeError) as e:  # pragma: no cover
            raise ReadError(path, f"not a HAR file: {first_line(e)}") from e
    if not found:
        raise ReadError(path, "not a HAR file: JSON without log.entries")
    if not isinstance(found[0], list):
        raise ReadError(path, "not a HAR file: log.entries is not a list")


def _json_reason(error: Exception, entries: int) -> str:
    message = first_line(error)
    if "premature EOF" in message:
        return f"truncated JSON after {entries} entries"
    if entries == 0:
        return f"not a HAR file: invalid JSON ({message})"
    return f"invalid JSON after {entries} entries ({message})"


# -- entry fields ----------------------------------------------------------------------------


def _entry_or_none(entry: object, flow_id: str, input_file: str) -> Flow | None:
    if not isinstance(entry, Mapping):
        return None
    try:
        return flow_from_entry(entry, flow_id, input_file)
    except _ENTRY_ERRORS as e:
        log.debug("skipping HAR entry %s: %s", flow_id, type(e).__name__)
        return None


def _headers(items: object) -> Headers:
    """`[{"name": .., "value": ..}, ...]` -> header pairs; odd items are dropped."""
    if not isinstance(items, list):
        return ()
    return tuple(
        (item["name"], _text(item.get("value")))
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"]
    )


def _text(value: object) -> str:
    """`value` when it is a string, else "" (HAR writers leave optional values out or null)."""
    return value if isinstance(value, str) else ""


def _without_pseudo(headers: Headers) -> Headers:
    return tuple((k, v) for k, v in headers if not k.startswith(":"))


def _header(headers: Headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _host_port(url: str, headers: Headers) -> tuple[str, int | None]:
    """Server name (lowercase, no port) and port, from the URL or else :authority/Host."""
    parts = urlsplit(url)
    scheme = (parts.scheme or _header(headers, ":scheme") or "").lower()
    if not parts.hostname:
        authority = _header(headers, ":authority") or _header(headers, "host") or ""
        parts = urlsplit(f"//{authority.strip()}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").rstrip("."), port or _DEFAULT_PORTS.get(scheme)


def _http_version(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _HTTP_VERSIONS.get(value.strip().lower(), value.strip())


def _timestamp(value: object) -> float | None:
    """Epoch seconds of an ISO 8601 time (`Z`, an offset, or none meaning UTC)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    except (ValueError, OverflowError):
        return None


def _server_ip(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().removeprefix("[").removesuffix("]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _status(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 < value < 1000 else None


def _number(value: object) -> float | None:
    """A finite, non-negative JSON number (HAR writes -1 for unknown), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _transfer_size(message: Mapping[str, Any], body_length: int) -> int:
    """headersSize + bodySize where the HAR knows them (>= 0), else the body we hold."""
    head = _number(message.get("headersSize"))
    body = _number(message.get("bodySize"))
    return int((head or 0) + (body if body is not None else body_length))


def _cookie_header(request: Mapping[str, Any], headers: Headers) -> Headers:
    """A Cookie header built from `request.cookies` when the entry lists no Cookie header."""
    cookies = request.get("cookies")
    if _header(headers, "cookie") is not None or not isinstance(cookies, list):
        return ()
    pairs = [
        f"{c['name']}={_text(c.get('value'))}"
        for c in cookies
        if isinstance(c, Mapping) and isinstance(c.get("name"), str) and c["name"]
    ]
    return (("Cookie", "; ".join(pairs)),) if pairs else ()


def _request_body(post: object, headers: Headers, notes: list[str]) -> tuple[bytes, Headers]:
    """The request body as bytes, and a Content-Type header to add when the entry has none."""
    if not isinstance(post, Mapping):
        return b"", ()
    mime = _text(post.get("mimeType"))
    text, params = post.get("text"), post.get("params")
    if isinstance(text, str) and text:
        body = _text_bytes(text, post.get("encoding"), notes)
    elif isinstance(params, list) and params:
        body, mime = _params_body(params, mime or _header(headers, "content-type") or "")
    else:
        return b"", ()
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY]
        notes.append("body-truncated")
    added: Headers = ()
    if mime and _header(headers, "content-type") is None:
        added = (("Content-Type", mime),)
    return body, added


def _text_bytes(text: str, encoding: object, notes: list[str]) -> bytes:
    if isinstance(encoding, str) and encoding.lower() == "base64":
        text = text[: MAX_BODY * 2]  # base64 needs 4/3 chars per byte; bytes are cut later
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            notes.append("body-encoding-invalid")
    return encode_text(text[: MAX_BODY + 1])  # one more than the cap: cut and noted later


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of `text`; lone surrogates (escaped raw bytes) are kept, not refused."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _params_body(params: list[Any], mime: str) -> tuple[bytes, str]:
    """Rebuild a form body from `postData.params`: multipart when the type says so."""
    fields = [
        (p["name"], _text(p.get("value")), p)
        for p in params
        if isinstance(p, Mapping) and isinstance(p.get("name"), str)
    ]
    if not mime.lower().startswith("multipart/form-data"):
        pairs = [(name, value) for name, value, _ in fields]
        return encode_text(urlencode(pairs)), mime or "application/x-www-form-urlencoded"
    boundary = _boundary(mime)
    out = io.BytesIO()
    for name, value, param in fields:
        disposition = f'form-data; name="{name}"'
        if isinstance(param.get("fileName"), str):
            disposition += f'; filename="{param["fileName"]}"'
        out.write(encode_text(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"))
        if isinstance(param.get("contentType"), str) and param["contentType"]:
            out.write(encode_text(f"Content-Type: {param['contentType']}\r\n"))
        out.write(b"\r\n" + encode_text(value) + b"\r\n")
    out.write(encode_text(f"--{boundary}--\r\n"))
    if "boundary=" not in mime.lower():
        mime = f"multipart/form-data; boundary={boundary}"
    return out.getvalue(), mime


def _boundary(mime: str) -> str:
    for part in mime.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value.strip('"'):
            return value.strip('"')
    return MULTIPART_BOUNDARY


def _ws_messages(items: object) -> tuple[Message, ...]:
    """Chrome's `_webSocketMessages`: type send/receive, opcode 1 text / 2 base64 binary."""
    if not isinstance(items, list):
        return ()
    messages = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("data"), str):
            continue
        is_text = item.get("opcode") != 2
        data: bytes | None = None
        if not is_text:
            try:
                data = base64.b64decode(item["data"], validate=True)
            except (binascii.Error, ValueError):
                data = None
        messages.append(Message(
            from_client=item.get("type") == "send",
            content=data if data is not None else encode_text(item["data"]),
            ts=_number(item.get("time")),
            is_text=is_text,
        ))
    return tuple(messages)
