"""The pcap reader end to end on crafted captures: framing, names, damage, truncation."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from tests.fixtures import pcaps
from tests.fixtures.work import lines_run
from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.pcap import tls
from trafficscope.sources.pcap.reader import read_pcap


def _read(path: Path) -> list[Flow]:
    return list(read_pcap(path))


def _key(f: Flow) -> tuple:
    """A flow without its id and file: what the capture says."""
    return (f.kind, f.host, f.method, f.url, f.request_headers, f.request_body, f.server_ip,
            f.server_port, f.bytes_out, f.notes, f.messages)


def _frames(pkts: list) -> list[bytes]:
    return [bytes(p) for p in pcaps.ether(pkts)]


def test_every_permutation_of_six_data_segments_gives_identical_flows(tmp_path: Path) -> None:
    pkts = pcaps.tcp_session(segments=6)
    head, data, tail = pkts[:2], pkts[2:8], pkts[8:]
    assert len(data) == 6
    frames = _frames(head), _frames(data), _frames(tail)
    results = set()
    path = tmp_path / "perm.pcap"
    for order in itertools.permutations(frames[1]):
        pcaps.raw_pcap(path, [*frames[0], *order, *frames[2]])
        flows = [f for f in _read(path) if f.kind == "http"]
        results.add(tuple((_key(f), f.request_body) for f in flows))
    assert len(results) == 1
    (only,) = results
    assert len(only) == 1 and only[0][1] == pcaps.BODY


def _http_frames(payload: bytes, dport: int = 80, segments: int = 1) -> list[bytes]:
    return _frames(pcaps.tcp_session(payload, dport=dport, segments=segments))


def test_tls_hello_in_one_byte_records_costs_linear_work(tmp_path: Path) -> None:
    """A ClientHello sent as one-byte TLS records, one per segment: its name is read,
    and each record is looked at once (all records were joined again for every
    segment: quadratic, 4,000 records took 2.3 s and 10,000 fit in 64 KiB)."""
    hs = pcaps.client_hello("tiny.example.org")
    records = b"".join(pcaps.tls_record(hs[i : i + 1]) for i in range(len(hs)))
    path = pcaps.raw_pcap(tmp_path / "tiny.pcap",
                          _http_frames(records, dport=443, segments=len(hs)))
    flows, lines = lines_run(tls, lambda: _read(path))
    (flow,) = [f for f in flows if f.kind == "tls"]
    assert flow.host == "tiny.example.org"
    assert lines < 60 * len(hs)


def test_keep_alive_pipelining_chunked_and_split_headers(tmp_path: Path) -> None:
    chunked = (b"POST /up HTTP/1.1\r\nHost: h.example\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    get = b"GET /a?x=1 HTTP/1.1\r\nHost: h.example\r\nUser-Agent: " + b"U" * 300 + b"\r\n\r\n"
    post = b"POST /b HTTP/1.0\r\nHost: h.example\r\nContent-Length: 3\r\n\r\nabc"
    path = pcaps.raw_pcap(tmp_path / "ka.pcap", _http_frames(get + chunked + post + get,
                                                             segments=17))
    flows = [f for f in _read(path) if f.kind == "http"]
    assert [(f.method, f.url) for f in flows] == [
        ("GET", "http://h.example/a?x=1"), ("POST", "http://h.example/up"),
        ("POST", "http://h.example/b"), ("GET", "http://h.example/a?x=1")]
    assert flows[0].header("user-agent") == "U" * 300
    assert flows[1].request_body == b"hello, world"
    assert flows[2].request_body == b"abc" and flows[2].http_version == "HTTP/1.0"


def test_http_on_any_port_recognised_by_content(tmp_path: Path) -> None:
    path = pcaps.raw_pcap(tmp_path / "p.pcap", _http_frames(pcaps.REQUEST, dport=31337))
    (flow,) = [f for f in _read(path) if f.kind == "http"]
    assert flow.url == "http://api.example.com/collect?imei=490154203237518"
    assert flow.server_port == 31337


def test_truncated_body_is_kept_and_marked(tmp_path: Path) -> None:
    req = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly-this"
    path = pcaps.raw_pcap(tmp_path / "t.pcap", _http_frames(req))
    (flow,) = [f for f in _read(path) if f.kind == "http"]
    assert flow.request_body == b"only-this" and "body-truncated" in flow.notes


def test_tls_sni_split_over_segments_and_dns_names(tmp_path: Path) -> None:
    hello = pcaps.tls_record(pcaps.client_hello("tracker.example.net"))
    frames = _frames(pcaps.dns_exchange("cdn.example.com", pcaps.SERVER))
    frames += _http_frames(hello, dport=443, segments=4)
    frames += _frames(pcaps.tcp_session(b"\x17\x03\x03\x00\x05hello", dport=8443,
                                        sport=40001))
    path = pcaps.raw_pcap(tmp_path / "tls.pcap", frames)
    flows = _read(path)
    dns = [f for f in flows if f.kind == "dns"]
    assert [(f.host, f.request_headers) for f in dns] == [
        ("cdn.example.com", (("qname", "cdn.example.com"),))]
    (tls,) = [f for f in flows if f.kind == "tls"]
    assert tls.host == "tracker.example.net" and "tls-no-keys" in tls.notes
    assert tls.request_headers == (("sni", "tracker.example.net"),)
    assert tls.bytes_out == len(hello) and tls.server_port == 443
    (other,) = [f for f in flows if f.server_port == 8443]
    assert other.host == "cdn.example.com"  # named by the DNS answer
    assert other.ts_end is not None and other.ts_end > other.ts


def test_quic_initial_sni(tmp_path: Path) -> None:
    hello = pcaps.client_hello("quic.example.org", ("h3",))
    dcid = bytes.fromhex("8394c8f03e515708")
    first, second = hello[:200], hello[200:]
    frames = [bytes(Ether() / IP(src=pcaps.CLIENT, dst=pcaps.SERVER) / UDP(sport=50000, dport=443)
                    / Raw(pcaps.quic_initial(dcid, part, off, pn)))
              for part, off, pn in ((second, 200, 1), (first, 0, 0))]
    frames.append(bytes(Ether() / IP(src=pcaps.SERVER, dst=pcaps.CLIENT)
                        / UDP(sport=443, dport=50000) / Raw(b"\xc0" + b"\0" * 50)))
    path = pcaps.raw_pcap(tmp_path / "quic.pcap", frames)
    (flow,) = _read(path)
    assert flow.kind == "quic" and flow.host == "quic.example.org"
    assert "quic-no-keys" in flow.notes and flow.bytes_in == 51


def test_quic_key_derivation_matches_rfc9001_vector() -> None:
    from trafficscope.sources.pcap.quic import InitialKeys

    keys = InitialKeys(bytes.fromhex("8394c8f03e515708"))
    assert keys.iv.hex() == "fa044b2f42a3fd3b46fb255c"


def test_dhcp_hostname_and_vendor_class(tmp_path: Path) -> None:
    path = pcaps.raw_pcap(tmp_path / "dhcp.pcap", _frames([pcaps.dhcp_request()]))
    (flow,) = _read(path)
    # the recipient is the local DHCP service, not the broadcast address; the address on
    # the wire stays in server_ip and the broadcast is noted
    assert flow.kind == "dhcp" and flow.host == "dhcp"
    assert flow.server_ip == "255.255.255.255" and flow.server_port == 67
    assert flow.client_ip == "0.0.0.0"
    assert flow.notes == ("broadcast",)
    assert dict(flow.request_headers) == {
        "client_mac": "02:1a:11:f0:c3:7e", "hostname": "Janes-Pixel",
        "vendor_class": "android-dhcp-14"}


def test_dhcp_renewal_sent_to_the_server(tmp_path: Path) -> None:
    pkt = pcaps.dhcp_request()
    pkt[IP].src, pkt[IP].dst = "192.168.1.23", "192.168.1.1"
    (flow,) = _read(pcaps.raw_pcap(tmp_path / "renew.pcap", _frames([pkt])))
    assert (flow.kind, flow.host, flow.server_ip, flow.notes) == (
        "dhcp", "dhcp", "192.168.1.1", ())
    assert dict(flow.request_headers)["hostname"] == "Janes-Pixel"


def test_other_udp_payload_kept_for_search(tmp_path: Path) -> None:
    pkt = IP(src=pcaps.CLIENT, dst=pcaps.SERVER) / UDP(sport=40000, dport=9999) / Raw(
        b"id=490154203237518")
    path = pcaps.raw_pcap(tmp_path / "udp.pcap", _frames([pkt]))
    (flow,) = _read(path)
    assert flow.kind == "udp" and flow.messages[0].content == b"id=490154203237518"


def test_gap_in_http_stream_keeps_flow_and_resyncs(tmp_path: Path) -> None:
    two = pcaps.REQUEST + b"GET /next HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    pkts = pcaps.tcp_session(two, segments=6)
    del pkts[4]  # a data segment inside the first request's head was never captured
    path = pcaps.raw_pcap(tmp_path / "gap.pcap", _frames(pkts))
    flows = [f for f in _read(path) if f.kind == "http"]
    assert flows and flows[-1].url == "http://api.example.com/next"
    assert all("tcp-gap" in f.notes for f in flows)


def test_truncation_at_every_record_boundary_keeps_complete_records(tmp_path: Path) -> None:
    frames = (_frames(pcaps.dns_exchange()) + _http_frames(pcaps.REQUEST, segments=3)
              + _frames([pcaps.dhcp_request()]))
    full = pcaps.raw_pcap(tmp_path / "full.pcap", frames).read_bytes()
    bounds = [24]
    for frame in frames:
        bounds.append(bounds[-1] + 16 + len(frame))
    assert bounds[-1] == len(full)
    cut_path = tmp_path / "cut.pcap"
    for n, end in enumerate(bounds):
        exact = pcaps.raw_pcap(tmp_path / "exact.pcap", frames[:n])
        expected = [_key(f) for f in _read(exact)]
        for cut in {end, end + 1, end + 9, end + 16, end + 20}:
            if cut >= len(full) and cut != len(full):
                continue
            cut_path.write_bytes(full[:cut])
            got: list[Flow] = []
            if cut == end:
                got.extend(read_pcap(cut_path))
            else:
                with pytest.raises(ReadError, match=r"cut\.pcap: truncated after record"):
                    got.extend(read_pcap(cut_path))
            if cut < bounds[min(n + 1, len(bounds) - 1)] or cut == end:
                assert [_key(f) for f in got] == expected, (n, cut)


@pytest.mark.parametrize("damage", ["huge-length", "bad-header"])
def test_damaged_file_gives_a_clear_error_after_what_was_read(tmp_path: Path,
                                                               damage: str) -> None:
    frames = _frames(pcaps.dns_exchange()) + _http_frames(pcaps.REQUEST)
    data = bytearray(pcaps.raw_pcap(tmp_path / "d.pcap", frames).read_bytes())
    if damage == "bad-header":
        path = tmp_path / "d.pcap"
        path.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\0" * 10)
        with pytest.raises(ReadError, match=r"d\.pcap: truncated pcap header"):
            _read(path)
        return
    pos = 24 + 16 + len(frames[0]) + 16 + len(frames[1])
    struct.pack_into("<I", data, pos + 8, 0x7FFFFFFF)
    (tmp_path / "d.pcap").write_bytes(bytes(data))
    got: list[Flow] = []
    with pytest.raises(ReadError, match=r"d\.pcap: damaged record 3 at offset"):
        got.extend(read_pcap(tmp_path / "d.pcap"))
    assert [f.kind for f in got] == ["dns"]


def test_damaged_packets_are_skipped(tmp_path: Path) -> None:
    bad = bytes(Ether() / IP(src=pcaps.CLIENT, dst=pcaps.SERVER, ihl=15) / TCP())[:40]
    frames = [bad, b"\x00" * 3, *_http_frames(pcaps.REQUEST)]
    path = pcaps.raw_pcap(tmp_path / "junk.pcap", frames)
    assert [f.method for f in _read(path) if f.kind == "http"] == ["POST"]


def test_capture_starting_mid_request_resumes_at_the_next_request(tmp_path: Path) -> None:
    stream = pcaps.REQUEST + b"GET /second HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    pkts = pcaps.tcp_session(stream, segments=6)
    del pkts[:3]  # no handshake, and the first request's head was missed
    path = pcaps.raw_pcap(tmp_path / "mid.pcap", _frames(pkts))
    assert [f.url for f in _read(path) if f.kind == "http"] == [
        "http://api.example.com/second"]


def test_pcapdroid_trailer_names_the_app(tmp_path: Path) -> None:
    trailer = (b"\x01\x07\x20\x21" + struct.pack(">i", 10123)
               + b"com.example.shop".ljust(20, b"\0") + b"\0" * 4)
    frames = [f + trailer for f in _http_frames(pcaps.REQUEST)]
    frames += [f + trailer for f in _frames(pcaps.dns_exchange())]
    path = pcaps.raw_pcap(tmp_path / "droid.pcap", frames)
    flows = _read(path)
    assert {f.kind for f in flows} == {"http", "dns"}
    assert {f.app for f in flows} == {"com.example.shop"}
    (http,) = [f for f in flows if f.kind == "http"]
    assert http.request_body == pcaps.BODY  # the trailer is not part of the payload


def test_upgrade_ends_http_parsing(tmp_path: Path) -> None:
    upgrade = (b"GET /ws HTTP/1.1\r\nHost: h.example\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\n\r\n")
    junk = b"\x81\x85" + b"GET /not-a-request HTTP/1.1\r\nHost: h.example\r\n\r\n"
    path = pcaps.raw_pcap(tmp_path / "ws.pcap", _http_frames(upgrade + junk, segments=3))
    assert [f.url for f in _read(path) if f.kind == "http"] == ["http://h.example/ws"]


def test_pcapng_truncation_at_every_block_boundary(tmp_path: Path) -> None:
    frames = [(i % 2, bytes(p if i % 2 else pcaps.ether([p])[0]))
              for i, p in enumerate(pcaps.tcp_session(segments=3))]
    full = pcaps.write_pcapng_multi(tmp_path / "full.pcapng", frames).read_bytes()
    bounds, pos = [], 0
    while pos < len(full):
        pos += struct.unpack_from("<I", full, pos + 4)[0]
        bounds.append(pos)
    cut_path = tmp_path / "cut.pcapng"
    for i, end in enumerate(bounds[:-1]):
        for cut in (end, end + 1, end + 12):
            cut_path.write_bytes(full[:cut])
            # blocks 0-2 are the section header and two interfaces; then one packet each
            kept = pcaps.write_pcapng_multi(tmp_path / "kept.pcapng", frames[: max(0, i - 2)])
            expected = [_key(f) for f in _read(kept)]
            got: list[Flow] = []
            if cut == end:
                got.extend(read_pcap(cut_path))
            else:
                with pytest.raises(ReadError, match=r"cut\.pcapng: truncated after record"):
                    got.extend(read_pcap(cut_path))
            assert [_key(f) for f in got] == expected, (i, cut)
