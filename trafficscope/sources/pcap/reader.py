"""Read a pcap or pcapng capture as `Flow`s: the packet loop and the flows it emits.

One pass over the memory-mapped file: link layer -> IP (fragments joined) ->
GTP-U tunnels opened -> TCP reassembled per direction / UDP grouped per flow.
Emitted flows:

| kind    | when                                   | host                      |
|---------|----------------------------------------|---------------------------|
| `http`  | each HTTP/1.x request, as it completes | Host header               |
| `tls`   | TLS connection ends (`tls-no-keys`)    | SNI, else DNS name, else IP |
| `quic`  | end of capture / idle (`quic-no-keys`) | SNI of the Initial        |
| `dns`   | each query (UDP or TCP)                | the name asked            |
| `dhcp`  | each client message                    | `dhcp` (see `udp.dhcp_message`) |
| `tcp`, `udp` | flow ends; first client bytes kept | DNS name, else IP        |

Memory is bounded and does not grow with the file: per stream `tcp.DEPTH`
bytes out of order, `MAX_TCP`/`udp.MAX_UDP` flows tracked (the least recently seen
is closed and emitted first), flows idle for `IDLE` seconds of capture time
are closed, `MAX_NAMES` DNS answers remembered, and `MAX_HELD` bytes held by
all open flows together (out-of-order segments, retransmission tails, HTTP
heads and bodies in progress, payload snippets, TLS and QUIC hellos): past
it, the least recently seen flows are closed (noted `memory-cap`) until a
quarter of it is free.
"""

from __future__ import annotations

import logging
import mmap
import os
import socket
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from trafficscope.errors import ReadError
from trafficscope.model import Flow, Message

from . import dns, udp
from .conns import Endpoint, TcpConn, UdpFlow, ip_text, server_side
from .counting import Counters, slow_packets
from .http1 import Request
from .ip import IPDecoder
from .links import gtp_u_inner, ip_offset, pcapdroid_app, pcapdroid_trailer_app
from .records import open_map
from .tcp import DEPTH

log = logging.getLogger(__name__)

MAX_TCP = 20_000
MAX_NAMES = 100_000
IDLE = 600.0
#: Bytes all open flows may hold together (see the module doc); exceeded at most by the
#: bytes of the packet being read.
MAX_HELD = 64 * 1024 * 1024
_SWEEP = 8192  # packets between idle sweeps
_GTP_PORT = 2152


def read_pcap(path: str | os.PathLike[str]) -> Iterator[Flow]:
    """The flows of a pcap/pcapng file; a damaged file raises `ReadError` after its flows."""
    return _Capture(path).flows()


class _Capture:
    def __init__(self, path: str | os.PathLike[str], depth: int = DEPTH) -> None:
        self.path = path
        self.name = Path(path).name
        self.file = os.fspath(path)
        self.depth = depth
        self.ip = IPDecoder()
        self.tcp: OrderedDict[tuple[Endpoint, Endpoint], TcpConn] = OrderedDict()
        self.udp: OrderedDict[tuple[Endpoint, Endpoint], UdpFlow] = OrderedDict()
        self.names: OrderedDict[bytes, str] = OrderedDict()
        self.out: list[Flow] = []
        #: src IP + dst IP + ports (IPv4, 12 bytes) -> a direction that only counts bytes.
        self.counters = Counters()
        self.count = 0
        self.damaged = 0
        self.held = 0  # bytes the open flows hold (`TcpConn.held_bytes`, `UdpFlow.held_bytes`)
        self.peak_held = 0
        self.capped = 0  # flows closed early to stay under MAX_HELD
        self.app: str | None = None  # from the PCAPdroid trailer of the packet being read

    def flows(self) -> Iterator[Flow]:
        error: ReadError | None = None
        mm = open_map(self.path)
        try:
            yield from self._loop(mm)
        except ReadError as e:
            error = e
        finally:
            mm.close()
        for conn in list(self.tcp.values()):
            self._close_tcp(conn)
        for flow in list(self.udp.values()):
            udp.close(self, flow)
        yield from self.out
        self.out.clear()
        if error is not None:
            raise error

    def _loop(self, mm: mmap.mmap) -> Iterator[Flow]:
        """The packet loop over the packets `counting.slow_packets` does not settle itself
        (directions whose reader is done only count bytes: most packets of a capture)."""
        out = self.out
        packets = slow_packets(self.path, mm, self.counters)
        for n, (ts, link, start, length, ip4) in enumerate(packets, 1):
            if n % _SWEEP == 0:
                self._sweep(ts)
            try:
                if ip4 >= 0:  # a plain IPv4 header, found by the record loop
                    self._plain_ipv4(ts, mm, start, start + length, ip4)
                else:
                    frame = mm[start : start + length]
                    self.app = pcapdroid_app(frame)
                    off = ip_offset(link, frame)
                    if off >= 0:
                        self._ip(ts, frame, off, 0)
            except (IndexError, ValueError) as e:  # a damaged packet: skip it
                self.damaged += 1
                log.debug("%s: damaged packet: %s", self.name, type(e).__name__)
            if out:
                yield from out
                out.clear()

    # --- network layer ---------------------------------------------------------------

    def _ip(self, ts: float, buf: bytes, off: int, depth: int) -> None:
        pkt = self.ip.decode(buf, off)
        if pkt is not None:
            self._transport(ts, *pkt, depth)

    def _plain_ipv4(self, ts: float, mm: mmap.mmap, start: int, end: int, ip: int) -> None:
        """`_ip` of an unfragmented IPv4 packet without options at `ip` in the map, in the
        frame [start, end) (the record loop checked the header), without copying the frame."""
        self.app = pcapdroid_trailer_app(mm[end - 32 : end]) if end - start >= 46 else None
        total = (mm[ip + 2] << 8) | mm[ip + 3]
        stop = ip + total if total >= 20 and ip + total <= end else end
        self._transport(ts, mm[ip + 12 : ip + 16], mm[ip + 16 : ip + 20], mm[ip + 9],
                        mm[ip + 20 : stop], 0)

    def _transport(self, ts: float, src: bytes, dst: bytes, proto: int, payload: bytes,
                   depth: int) -> None:
        if proto == 6 and len(payload) >= 20:
            self._tcp(ts, src, dst, payload)
        elif proto == 17 and len(payload) >= 8:
            sport, dport = (payload[0] << 8) | payload[1], (payload[2] << 8) | payload[3]
            data = payload[8:]
            if _GTP_PORT in (sport, dport) and depth < 2:
                inner = gtp_u_inner(data)
                if inner >= 0:
                    self._ip(ts, data, inner, depth + 1)
                    return
            udp.packet(self, ts, (src, sport), (dst, dport), data)

    # --- TCP ---------------------------------------------------------------------------

    def _tcp(self, ts: float, src: bytes, dst: bytes, seg: bytes) -> None:
        a: Endpoint = (src, (seg[0] << 8) | seg[1])
        b: Endpoint = (dst, (seg[2] << 8) | seg[3])
        seq = int.from_bytes(seg[4:8], "big")
        flags = seg[13]
        data = seg[(seg[12] >> 4) * 4 :]
        syn, rst, fin = flags & 2, flags & 4, flags & 1
        conn = self.tcp.get((a, b)) or self.tcp.get((b, a))
        if conn is not None and syn and not flags & 0x10 and conn.bytes_out + conn.bytes_in:
            self._close_tcp(conn)  # the port pair is used again
            conn = None
        if conn is None:
            if not (data or syn):
                return
            if syn:
                client, server = (a, b) if not flags & 0x10 else (b, a)
            else:
                client, server = (b, a) if server_side(b, a) else (a, b)
            conn = TcpConn(client, server, ts, self.depth, self._request)
            conn.app = self.app
            self.tcp[(client, server)] = conn
            if len(self.tcp) > MAX_TCP:
                self._close_tcp(next(iter(self.tcp.values())))
        else:
            self.tcp.move_to_end((conn.client, conn.server) if (conn.client, conn.server)
                                 in self.tcp else (conn.server, conn.client))
        conn.last = conn.now = ts
        stream = conn.stream_from(a)
        if syn:
            stream.syn(seq)
        elif data:
            stream.add(seq, data)
            if stream.done and len(src) == 4:
                key = src + dst + seg[:4]
                self.counters.tcp[key] = (conn, stream)
                conn.fast_keys.append(key)
        if rst:
            self._close_tcp(conn)
        elif fin:
            conn.fins += 1
            if conn.fins >= 2:
                self._close_tcp(conn)
        if data and not conn.closed:
            self._account(conn)

    def _request(self, conn: TcpConn, req: Request) -> None:
        conn.requests += 1
        host_header = next((v for k, v in req.headers if k.lower() == "host"), None)
        ip, port = ip_text(conn.server[0]), conn.server[1]
        authority = host_header or (ip if port == 80 else f"{ip}:{port}")
        url = req.target if "://" in req.target else (
            f"http://{authority}{req.target}" if req.target.startswith("/") else req.target)
        name = host_header or ""
        if name and not name.startswith("["):
            name = name.rsplit(":", 1)[0]
        self._emit(Flow(
            flow_id=self._next_id(), input_file=self.file,
            ts=req.ts, source="pcap", kind="http",
            host=name or self.names.get(conn.server[0]) or ip,
            method=req.method, url=url, http_version=req.version, request_headers=req.headers,
            request_body=req.body, server_ip=ip, server_port=port,
            client_ip=ip_text(conn.client[0]), app=conn.app, bytes_out=req.size,
            ts_end=req.ts_end,
            notes=req.notes + conn.notes()))

    def _close_tcp(self, conn: TcpConn) -> None:
        key = (conn.client, conn.server)
        if (self.tcp.pop(key, None) is None
                and self.tcp.pop((conn.server, conn.client), None) is None):
            return  # closed already
        for fast_key in conn.fast_keys:
            self.counters.tcp.pop(fast_key, None)
        self.held -= conn.held
        conn.held = 0
        conn.close()
        if conn.kind == "http" and conn.requests:
            return
        notes = conn.notes()
        messages: tuple[Message, ...] = ()
        headers: tuple[tuple[str, str], ...] = ()
        host = self._name_of(conn.server[0])
        if conn.kind == "tls":
            notes += ("tls-no-keys",)
            if conn.sni:
                host, headers = conn.sni, (("sni", conn.sni),)
        elif conn.snippet:
            messages = (Message(True, bytes(conn.snippet), conn.ts, False),)
            if conn.kind == "dns":
                self._dns_tcp(conn, bytes(conn.snippet))
        self._emit(Flow(
            flow_id=self._next_id(), input_file=self.file,
            ts=conn.ts, source="pcap", kind=conn.kind if conn.kind != "http" else "tcp",
            host=host, request_headers=headers, messages=messages,
            server_ip=ip_text(conn.server[0]), server_port=conn.server[1],
            client_ip=ip_text(conn.client[0]), app=conn.app, bytes_out=conn.bytes_out,
            bytes_in=conn.bytes_in, ts_end=conn.last, notes=notes))

    def _dns_tcp(self, conn: TcpConn, data: bytes) -> None:
        pos = 0
        while pos + 2 <= len(data):
            n = (data[pos] << 8) | data[pos + 1]
            msg = dns.parse(data[pos + 2 : pos + 2 + n])
            if msg and not msg.is_response:
                self._dns_query(conn.ts, msg, conn.client, conn.server, n)
            pos += 2 + n

    def _dns_query(self, ts: float, msg: dns.DnsMessage, a: Endpoint, b: Endpoint,
                   size: int) -> None:
        self._emit(Flow(
            flow_id=self._next_id(), input_file=self.file,
            ts=ts, source="pcap", kind="dns", host=msg.questions[0],
            request_headers=tuple(("qname", q) for q in msg.questions),
            server_ip=ip_text(b[0]), server_port=b[1], client_ip=ip_text(a[0]),
            app=self.app, bytes_out=size, ts_end=ts))

    # --- shared ------------------------------------------------------------------------

    def _remember(self, addr: str, name: str) -> None:
        try:
            raw = socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
        except OSError:
            return
        self.names[raw] = name
        self.names.move_to_end(raw)
        if len(self.names) > MAX_NAMES:
            self.names.popitem(last=False)

    def _name_of(self, raw: bytes) -> str:
        return self.names.get(raw) or ip_text(raw)

    def _next_id(self) -> str:
        self.count += 1
        return f"{self.name}:{self.count}"

    def _emit(self, flow: Flow) -> None:
        self.out.append(flow)

    def _account(self, flow: TcpConn | UdpFlow) -> None:
        """Bring the bytes `flow` holds into the total; past `MAX_HELD`, shed flows."""
        held = flow.held_bytes()
        self.held += held - flow.held
        flow.held = held
        if self.held > self.peak_held:
            self.peak_held = self.held
        if self.held > MAX_HELD:
            self._shed()

    def _shed(self) -> None:
        """Close the least recently seen flows, TCP first, until a quarter of `MAX_HELD` is
        free; they are emitted as they are (destinations, requests so far)."""
        target = MAX_HELD * 3 // 4
        while self.held > target and (self.tcp or self.udp):
            if self.tcp:
                conn = next(iter(self.tcp.values()))
                conn.capped = True
                self._close_tcp(conn)
            else:
                flow = next(iter(self.udp.values()))
                flow.capped = True
                udp.close(self, flow)
            self.capped += 1
        log.debug("%s: %d flows closed at the memory cap", self.name, self.capped)

    def _sweep(self, now: float) -> None:
        for conn in [c for c in self.tcp.values() if now - c.last > IDLE]:
            self._close_tcp(conn)
        for flow in [f for f in self.udp.values() if now - f.last > IDLE]:
            udp.close(self, flow)
