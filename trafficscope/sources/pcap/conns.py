"""What the reader keeps per TCP connection and per UDP flow while a capture is read.

A `TcpConn` holds the two reassembled directions and, for each, the reader
its first bytes chose: HTTP requests, a TLS ClientHello, DNS over TCP, the
first bytes of any other client payload, or nothing (server responses: only
bytes are counted and reassembly stops). Roles are guessed from the SYN, then
ports, and corrected by content (a request line or ClientHello tells who the
client is).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from .http1 import Request, RequestParser, looks_like_request
from .tcp import Stream
from .tls import MAX_HELLO, HelloReader, is_client_hello_record

#: Client payload bytes kept from a TCP or UDP flow of no known protocol, to search.
SNIPPET = 4096
#: Ports taken for the server side when the handshake was not captured.
SERVER_PORTS = frozenset({
    53, 80, 443, 853, 8000, 8008, 8080, 8443, 8888, 1935, 5222, 5223, 5228, 3478, 123, 67,
    1883, 8883, 993, 995, 465, 587, 25, 110, 143, 21, 22, 2152,
})

#: Ports where a client stream that does not start with a request line (a capture that
#: began mid-request) is still parsed as HTTP.
HTTP_PORTS = frozenset({80, 8000, 8008, 8080, 8888})

Endpoint = tuple[bytes, int]


def ip_text(raw: bytes) -> str:
    """An IPv4 or IPv6 address as on the wire, as text."""
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def server_side(a: Endpoint, b: Endpoint) -> bool:
    """True when `b` looks like the server of a flow between `a` and `b` (by port)."""
    pa, pb = a[1], b[1]
    if (pb in SERVER_PORTS) != (pa in SERVER_PORTS):
        return pb in SERVER_PORTS
    return pb < pa if pa != pb else b > a


class TcpConn:
    def __init__(self, client: Endpoint, server: Endpoint, ts: float, depth: int,
                 on_request: Callable[[TcpConn, Request], None]) -> None:
        self.client, self.server = client, server
        self.ts = self.last = ts
        self.on_request = on_request
        self.now = ts
        self.fins = 0
        self.kind = "tcp"
        self.sni: str | None = None
        self.snippet = bytearray()
        self.requests = 0
        self.app: str | None = None  # PCAPdroid's app name for the connection
        self.fast_keys: list[bytes] = []  # the reader's keys for directions that only count
        self.held = 0  # held_bytes() when the reader last counted them
        self.capped = False  # closed early by the reader's memory cap
        self.closed = False
        # Index 0: the direction from the endpoint first taken for the client.
        self.streams = (
            Stream(lambda d: self._data(0, d), lambda n: self._gap(0), depth),
            Stream(lambda d: self._data(1, d), lambda n: self._gap(1), depth),
        )
        self.client_dir = 0
        self._sinks: list[object] = [None, None]
        self._hello: HelloReader | None = None

    def stream_from(self, src: Endpoint) -> Stream:
        first = self.client if self.client_dir == 0 else self.server
        return self.streams[0] if src == first else self.streams[1]

    @property
    def bytes_out(self) -> int:
        return self.streams[self.client_dir].bytes

    @property
    def bytes_in(self) -> int:
        return self.streams[1 - self.client_dir].bytes

    def notes(self) -> tuple[str, ...]:
        out = []
        if any(s.gaps for s in self.streams):
            out.append("tcp-gap")
        if any(s.overlaps_differ for s in self.streams):
            out.append("tcp-overlap-differs")
        if self.capped:
            out.append("memory-cap")
        return tuple(out)

    def held_bytes(self) -> int:
        """Bytes this connection holds: reassembly, parser buffers, snippet, hello."""
        s0, s1 = self.streams
        n = (len(self.snippet) + (self._hello.held if self._hello else 0)
             + s0.pending_bytes + len(s0.tail) + s1.pending_bytes + len(s1.tail))
        for sink in self._sinks:
            if type(sink) is RequestParser:
                n += sink.held
        return n

    def _swap(self) -> None:
        self.client, self.server = self.server, self.client
        self.client_dir = 1 - self.client_dir

    def _data(self, d: int, data: bytes) -> None:
        sink = self._sinks[d]
        if sink is None:
            sink = self._sinks[d] = self._choose(d, data)
        if isinstance(sink, RequestParser):
            for req in sink.feed(data, self.now):
                self.on_request(self, req)
            if sink.broken:
                self.streams[d].finish()
        elif sink == "tls":
            if self._hello is None:
                self._hello = HelloReader()
            hello = self._hello.feed(data)
            if hello is not None or self._hello.fed > MAX_HELLO:
                self.sni = hello.sni if hello else None
                self._hello = None
                self.streams[d].finish()
        elif sink == "payload":
            self.snippet += data[: SNIPPET - len(self.snippet)]
            if len(self.snippet) >= SNIPPET:
                self.streams[d].finish()

    def _choose(self, d: int, head: bytes) -> object:
        is_client = d == self.client_dir
        if looks_like_request(head):
            if not is_client and not self.requests:
                self._swap()
            self.kind = "http"
            return RequestParser()
        if is_client_hello_record(head):
            if not is_client:
                self._swap()
            self.kind = "tls"
            return "tls"
        if is_client and self.server[1] in HTTP_PORTS and head[:1] != b"\x16":
            self.kind = "http"  # joined mid-request: the parser resumes at the next request line
            return RequestParser()
        if is_client and head[:5] != b"HTTP/" and head[:1] != b"\x16":
            self.kind = "dns" if self.server[1] == 53 else "tcp"
            return "payload"
        self.streams[d].finish()
        return "skip"

    def _gap(self, d: int) -> None:
        sink = self._sinks[d]
        if isinstance(sink, RequestParser):
            for req in sink.gap(self.now):
                self.on_request(self, req)

    def close(self) -> None:
        self.closed = True
        for s in self.streams:
            s.flush()
        for sink in self._sinks:
            if isinstance(sink, RequestParser):
                for req in sink.close(self.now):
                    self.on_request(self, req)
        # The streams' callbacks refer back to this connection: drop that cycle, so a closed
        # connection is freed at once rather than by the cyclic garbage collector.
        for s in self.streams:
            s.on_data, s.on_gap = _ignore, _ignore
            s.finish()
        self._sinks = [None, None]


def _ignore(_: object) -> None:
    return None


class UdpFlow:
    __slots__ = (
        "app",
        "bytes_in",
        "bytes_out",
        "capped",
        "client",
        "crypto",
        "fast_keys",
        "held",
        "kind",
        "last",
        "packets",
        "quic_keys",
        "server",
        "sni",
        "snippet",
        "ts",
    )

    def __init__(self, client: Endpoint, server: Endpoint, ts: float) -> None:
        self.client, self.server = client, server
        self.ts = self.last = ts
        self.bytes_out = self.bytes_in = 0
        self.snippet = bytearray()
        self.kind = "udp"
        self.sni: str | None = None
        self.quic_keys: object = None
        self.crypto: dict[int, bytes] = {}
        self.packets = 0
        self.app: str | None = None
        self.fast_keys: list[bytes] = []
        self.held = 0
        self.capped = False

    def held_bytes(self) -> int:
        """Bytes this flow holds: payload snippet, QUIC CRYPTO pieces."""
        return len(self.snippet) + sum(len(p) for p in self.crypto.values())
