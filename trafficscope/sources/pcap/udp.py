"""UDP in the packet loop: DNS, DHCP, QUIC Initials and the first bytes of other flows.

Each datagram is taken by its content: DNS (ports 53, 5353) answers name the
servers of later flows and queries become `dns` flows; an mDNS message that
announces names of its sender (`mdns`: host, service instance, TXT records)
becomes an `mdns` flow as well; DHCP client messages
become `dhcp` flows at once; any other datagram joins its `UdpFlow` (client
and server guessed by port). A flow whose first client datagrams hold a QUIC
v1 Initial is decrypted (keys from the connection ID) until its ClientHello
gives the SNI; other flows keep their first `SNIPPET` client bytes. After
that, and for the server's direction from the start, the record loop only
counts the flow's bytes (`counting.Counters`). Flows are emitted when they
close: at the end of the capture, when idle, or when the reader's limits
(`MAX_UDP` flows, its memory cap) close the least recently seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trafficscope.model import Flow, Message

from . import dhcp, dns, mdns, quic
from .conns import SNIPPET, Endpoint, UdpFlow, ip_text, server_side
from .tls import client_hello

if TYPE_CHECKING:
    from .reader import _Capture

MAX_UDP = 20_000


def packet(cap: _Capture, ts: float, a: Endpoint, b: Endpoint, data: bytes) -> None:
    """A datagram from `a` to `b`."""
    ports = (a[1], b[1])
    if 53 in ports or 5353 in ports:
        announced = mdns.parse(data) if 5353 in ports else None
        if announced:
            mdns_message(cap, ts, a, b, announced, len(data))
        msg = dns.parse(data)
        if msg is not None:
            if msg.is_response:
                for name, addr in msg.addresses:
                    cap._remember(addr, name)
            else:
                cap._dns_query(ts, msg, a, b, len(data))
            return
        if announced:
            return
    if ports in ((68, 67), (67, 68)):
        fields = dhcp.parse(data)
        if fields is not None:
            dhcp_message(cap, ts, a, b, fields, len(data))
            return
    flows = cap.udp
    flow = flows.get((a, b)) or flows.get((b, a))
    if flow is None:
        client, server = (b, a) if server_side(b, a) else (a, b)
        flow = flows[(client, server)] = UdpFlow(client, server, ts)
        flow.app = cap.app
        if len(flows) > MAX_UDP:
            close(cap, next(iter(flows.values())))
    flow.last = ts
    flow.packets += 1
    if a != flow.client:
        flow.bytes_in += len(data)
        count_only(cap, flow, a, b, False)
        return
    flow.bytes_out += len(data)
    if flow.sni is None and flow.packets <= 16 and (flow.quic_keys or quic.initial_dcid(data)):
        _quic(flow, data)
    elif flow.kind == "udp" and len(flow.snippet) < SNIPPET:
        flow.snippet += data[: SNIPPET - len(flow.snippet)]
    if flow.sni is not None or flow.packets > 16 or len(flow.snippet) >= SNIPPET:
        count_only(cap, flow, a, b, True)
    cap._account(flow)


def count_only(cap: _Capture, flow: UdpFlow, a: Endpoint, b: Endpoint, outgoing: bool) -> None:
    """From now on the record loop only counts this direction's bytes."""
    if len(a[0]) == 4:
        key = a[0] + b[0] + a[1].to_bytes(2, "big") + b[1].to_bytes(2, "big")
        cap.counters.udp[key] = (flow, outgoing)
        flow.fast_keys.append(key)


def _quic(flow: UdpFlow, data: bytes) -> None:
    if flow.quic_keys is None:
        dcid = quic.initial_dcid(data)
        if dcid is None:
            return
        flow.quic_keys = quic.InitialKeys(dcid)
    assert isinstance(flow.quic_keys, quic.InitialKeys)
    frames = quic.crypto_frames(flow.quic_keys, data)
    if not frames:
        return
    flow.kind = "quic"
    for off, piece in frames:
        if off < 65536:
            flow.crypto.setdefault(off, piece)
    hello = client_hello(quic.join_crypto(flow.crypto))
    if hello is not None:
        flow.sni = hello.sni or ""
        flow.crypto = {}


def close(cap: _Capture, flow: UdpFlow) -> None:
    """Stop tracking `flow` and emit it (a destination, with its SNI or first bytes)."""
    if cap.udp.pop((flow.client, flow.server), None) is None:
        return
    for key in flow.fast_keys:
        cap.counters.udp.pop(key, None)
    cap.held -= flow.held
    flow.held = 0
    headers: tuple[tuple[str, str], ...] = ()
    host = cap._name_of(flow.server[0])
    notes: tuple[str, ...] = ("memory-cap",) if flow.capped else ()
    if flow.kind == "quic":
        notes += ("quic-no-keys",)
        if flow.sni:
            host, headers = flow.sni, (("sni", flow.sni),)
    messages = (Message(True, bytes(flow.snippet), flow.ts, False),) if flow.snippet else ()
    cap._emit(Flow(
        flow_id=cap._next_id(), input_file=cap.file,
        ts=flow.ts, source="pcap", kind=flow.kind, host=host,
        request_headers=headers, messages=messages, server_ip=ip_text(flow.server[0]),
        server_port=flow.server[1], client_ip=ip_text(flow.client[0]), app=flow.app,
        bytes_out=flow.bytes_out, bytes_in=flow.bytes_in, ts_end=flow.last, notes=notes))


def mdns_message(cap: _Capture, ts: float, a: Endpoint, b: Endpoint,
                 names: tuple[tuple[str, str], ...], size: int) -> None:
    """An mDNS message that names its sender (`mdns.parse`): every device on the link
    receives it, so the host is `mdns` and the flow is noted `multicast`."""
    cap._emit(Flow(
        flow_id=cap._next_id(), input_file=cap.file,
        ts=ts, source="pcap", kind="mdns", host="mdns", request_headers=names,
        server_ip=ip_text(b[0]), server_port=b[1], client_ip=ip_text(a[0]), app=cap.app,
        bytes_out=size, ts_end=ts, notes=("multicast",)))


def dhcp_message(cap: _Capture, ts: float, a: Endpoint, b: Endpoint,
                 fields: tuple[tuple[str, str], ...], size: int) -> None:
    """A DHCP client message. Its recipient is the local network's DHCP service, whatever
    address it went to: the host is `dhcp` (one recipient for all of them), `server_ip`
    the address on the wire (the server when unicast, else the broadcast address), and
    a broadcast is noted `broadcast`: every device on the link saw the names in it."""
    dst = ip_text(b[0])
    broadcast = len(b[0]) == 4 and b[0][0] >= 224  # limited broadcast, multicast
    cap._emit(Flow(
        flow_id=cap._next_id(), input_file=cap.file,
        ts=ts, source="pcap", kind="dhcp", host="dhcp", request_headers=fields,
        server_ip=dst, server_port=b[1], client_ip=ip_text(a[0]), app=cap.app,
        bytes_out=size, ts_end=ts, notes=("broadcast",) if broadcast else ()))
