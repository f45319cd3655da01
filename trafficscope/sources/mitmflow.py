"""mitmproxy flows -> `Flow`: the one module of the core that imports mitmproxy.

`read_flow_file` reads a file written by mitmproxy (`mitmdump -w`, the console's
save) with mitmproxy's own reader, so every format mitmproxy still migrates is
read; `flow_from_mitmproxy` converts one flow and is shared with the live addon.
Bodies stay as sent (still content-encoded): decoding is the pipeline's job.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from mitmproxy import dns, http, tcp, udp
from mitmproxy import flow as mflow
from mitmproxy import version as mversion
from mitmproxy.io import FlowReader

from trafficscope.errors import ReadError
from trafficscope.model import Flow, Headers, Message
from trafficscope.sources.files import os_reason
from trafficscope.sources.har import encode_text

log = logging.getLogger(__name__)

#: A request body longer than this is cut, and the flow noted "body-truncated".
MAX_BODY = 64 * 1024 * 1024

# What an old or odd flow can make the conversion raise; such a flow is skipped.
_FLOW_ERRORS = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def read_flow_file(path: str | os.PathLike[str]) -> Iterator[Flow]:
    """Yield a `Flow` for each HTTP, WebSocket, TCP, UDP or DNS flow in a mitmproxy file.

    Raises `ReadError` (and nothing else) when the file cannot be opened or
    mitmproxy cannot read it (too old a format, bad data); flows read before the
    problem are yielded first.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, also on errors
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    read = skipped = 0
    with handle:
        flows = iter(FlowReader(handle).stream())
        while True:
            try:
                mitm_flow = next(flows)
            except StopIteration:
                break
            except Exception as e:  # mitmproxy's reader raises whatever the bytes provoke
                raise ReadError(path, _read_reason(e, read)) from e
            read += 1
            try:
                converted = flow_from_mitmproxy(mitm_flow, "mitm", os.fspath(path))
            except _FLOW_ERRORS as e:
                log.debug("skipping flow %d of %s: %s", read, path, type(e).__name__)
                converted = None
            if converted is None:
                skipped += 1
                continue
            yield converted
    if skipped:
        log.info("skipped %d of %d flows in %s (unsupported type or incomplete)",
                 skipped, read, path)


def flow_from_mitmproxy(
    f: mflow.Flow, source: str = "mitm", input_file: str | None = None
) -> Flow | None:
    """Convert a mitmproxy flow; None for a flow type trafficscope does not model."""
    if isinstance(f, http.HTTPFlow):
        return _from_http(f, source, input_file)
    if isinstance(f, tcp.TCPFlow | udp.UDPFlow):
        return _from_stream(f, source, input_file)
    if isinstance(f, dns.DNSFlow):
        return _from_dns(f, source, input_file)
    return None


def _from_http(f: http.HTTPFlow, source: str, input_file: str | None) -> Flow:
    request, response = f.request, f.response
    body, notes = _capped(request.raw_content or b"")
    request_headers = decode_fields(request.headers.fields)
    response_headers = decode_fields(response.headers.fields) if response else ()
    messages = _ws_messages(f.websocket.messages) if f.websocket else ()
    ip, port = _server_address(f)
    return Flow(
        flow_id=f.id,
        ts=float(request.timestamp_start or 0.0),
        source=source,
        kind="websocket" if messages else "http",
        host=request.pretty_host.lower().rstrip("."),
        method=request.method,
        url=request.pretty_url,
        http_version=request.http_version,
        request_headers=request_headers,
        request_body=body,
        status=response.status_code if response else None,
        response_headers=response_headers,
        messages=messages,
        server_ip=ip,
        server_port=port or request.port,
        client_ip=_peer_ip(f.client_conn.peername),
        bytes_out=_size(request_headers, len(request.raw_content or b""), messages, True),
        bytes_in=_size(response_headers, len(response.raw_content or b"") if response else 0,
                       messages, False),
        ts_end=(response.timestamp_end if response else None) or request.timestamp_end,
        input_file=input_file,
        notes=notes,
    )


def _from_stream(f: tcp.TCPFlow | udp.UDPFlow, source: str, input_file: str | None) -> Flow:
    messages = tuple(
        Message(from_client=bool(m.from_client), content=_bytes(m.content), ts=_ts(m.timestamp),
                is_text=False)
        for m in f.messages
    )
    ip, port = _server_address(f)
    address = f.server_conn.address
    host = f.server_conn.sni or (str(address[0]) if address else "") or ip or ""
    return Flow(
        flow_id=f.id,
        ts=messages[0].ts if messages and messages[0].ts else f.timestamp_created,
        source=source,
        kind="tcp" if isinstance(f, tcp.TCPFlow) else "udp",
        host=host.lower().rstrip("."),
        messages=messages,
        server_ip=ip,
        server_port=port,
        client_ip=_peer_ip(f.client_conn.peername),
        bytes_out=sum(len(m.content) for m in messages if m.from_client),
        bytes_in=sum(len(m.content) for m in messages if not m.from_client),
        input_file=input_file,
    )


def _from_dns(f: dns.DNSFlow, source: str, input_file: str | None) -> Flow:
    questions = f.request.questions
    ip, port = _server_address(f)
    return Flow(
        flow_id=f.id,
        ts=f.request.timestamp or f.timestamp_created,
        source=source,
        kind="dns",
        host=questions[0].name.lower().rstrip(".") if questions else "",
        server_ip=ip,
        server_port=port,
        client_ip=_peer_ip(f.client_conn.peername),
        bytes_out=len(f.request.packed),
        input_file=input_file,
    )


def decode_fields(fields: Iterable[tuple[bytes, bytes]]) -> Headers:
    """mitmproxy's raw header fields -> str pairs (UTF-8, odd bytes surrogate-escaped)."""
    return tuple(
        (k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
        for k, v in fields
    )


def _ws_messages(messages: Iterable[Any]) -> tuple[Message, ...]:
    return tuple(
        Message(from_client=bool(m.from_client), content=_bytes(m.content), ts=_ts(m.timestamp),
                is_text=bool(m.is_text))
        for m in messages
    )


def _bytes(content: bytes | str) -> bytes:
    """Message content as bytes: flows migrated from old formats may hold str."""
    return encode_text(content) if isinstance(content, str) else bytes(content)


def _ts(value: float | None) -> float | None:
    return float(value) if value is not None else None


def _capped(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    if len(body) > MAX_BODY:
        return body[:MAX_BODY], ("body-truncated",)
    return body, ()


def _size(headers: Headers, body: int, messages: tuple[Message, ...], from_client: bool) -> int:
    """Approximate bytes sent one way: header lines, body, WebSocket payloads."""
    head = sum(len(k) + len(v) + 4 for k, v in headers)
    return head + body + sum(len(m.content) for m in messages if m.from_client is from_client)


def _server_address(f: mflow.Flow) -> tuple[str | None, int | None]:
    """Server IP (only a real address, never a name) and port of a flow."""
    conn = f.server_conn
    for address in (conn.peername, conn.address):
        if address and _peer_ip(address):
            return _peer_ip(address), int(address[1])
    return None, int(conn.address[1]) if conn.address else None


def _peer_ip(address: tuple[Any, ...] | None) -> str | None:
    if not address:
        return None
    return _ip_text(str(address[0]))


@functools.lru_cache(maxsize=4096)  # a live proxy sees the same few peers in every flow
def _ip_text(host: str) -> str | None:
    """The canonical text of an IP address, None for a name."""
    try:
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        return None


def _read_reason(error: Exception, read: int) -> str:
    """One line saying why mitmproxy stopped, e.g. the too-old format it refused."""
    message = " ".join(str(error).split()) or type(error).__name__
    if "cannot read files with flow format version" in message:
        return f"flow file format too old: {message.rstrip('.')}"
    if read == 0:
        return f"not a flow file mitmproxy {mversion.VERSION} can read ({message})"
    return f"unreadable data after {read} flows ({message})"
