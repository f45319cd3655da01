"""Every link type, tunnel and IP variant yields the same HTTP request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures import pcaps
from trafficscope.sources import detect_format, iter_flows
from trafficscope.sources.pcap.reader import read_pcap

# (name, wrap packets, pcap link type or None for scapy's guess)
LINKS: list[tuple[str, Callable[[list], list], int | None]] = [
    ("ethernet", pcaps.ether, None),
    ("vlan-qinq", pcaps.vlan, None),
    ("linux-sll", pcaps.sll, 113),
    ("raw-ip", lambda p: p, 101),
    ("ipv4-linktype", lambda p: p, 228),
    ("bsd-null", pcaps.null, 0),
    ("radiotap-80211", pcaps.wifi, 127),
    ("gtp-u", pcaps.gtp, None),
    ("ipv4-fragments", lambda p: pcaps.ether(pcaps.fragmented(p)), None),
]


def _only_http(path: Path) -> list:
    flows = list(read_pcap(path))
    return [f for f in flows if f.kind == "http"]


def _check(flows: list) -> None:
    assert len(flows) == 1
    f = flows[0]
    assert f.method == "POST"
    assert f.url == "http://api.example.com/collect?imei=490154203237518"
    assert f.header("user-agent") == "test-agent/1.0"
    assert f.request_body == pcaps.REQUEST.split(b"\r\n\r\n", 1)[1]
    assert f.server_port == 80
    assert f.ts == pytest.approx(1_700_000_000.02)


@pytest.mark.parametrize(("name", "wrap", "linktype"), LINKS, ids=[x[0] for x in LINKS])
def test_link_type(tmp_path: Path, name: str, wrap: Callable, linktype: int | None) -> None:
    pkts = wrap(pcaps.tcp_session(segments=3))
    path = pcaps.write_pcap(tmp_path / f"{name}.pcap", pkts, linktype=linktype)
    _check(_only_http(path))
    flow = _only_http(path)[0]
    assert flow.server_ip == pcaps.SERVER and flow.client_ip == pcaps.CLIENT


def test_linux_sll2(tmp_path: Path) -> None:
    frames = pcaps.sll2(pcaps.tcp_session(segments=2))
    path = pcaps.write_pcap(tmp_path / "sll2.pcap", frames, linktype=276)
    _check(_only_http(path))


@pytest.mark.parametrize("ext", [False, True], ids=["ipv6", "ipv6-ext-fragments"])
def test_ipv6(tmp_path: Path, ext: bool) -> None:
    pkts = pcaps.tcp_session(segments=2, ip6=True)
    if ext:
        pkts = pcaps.ipv6_ext(pkts)
    path = pcaps.write_pcap(tmp_path / "v6.pcap", pcaps.ether(pkts))
    flows = _only_http(path)
    _check(flows)
    assert flows[0].server_ip == "2001:db8::1"


@pytest.mark.parametrize(("nano", "big"), [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_pcap_byte_orders_and_resolutions(tmp_path: Path, nano: bool, big: bool) -> None:
    path = pcaps.write_pcap(tmp_path / "x.pcap", pcaps.ether(pcaps.tcp_session()), nano=nano,
                            big_endian=big)
    assert detect_format(path) == "pcap"
    _check(_only_http(path))


def test_pcapng_several_interfaces(tmp_path: Path) -> None:
    """Packets alternate between an Ethernet and a raw-IP (nanosecond) interface."""
    frames = [(i % 2, bytes(p if i % 2 else pcaps.ether([p])[0]))
              for i, p in enumerate(pcaps.tcp_session(segments=4))]
    path = pcaps.write_pcapng_multi(tmp_path / "multi.pcapng", frames)
    assert detect_format(path) == "pcapng"
    _check([f for f in iter_flows(path) if f.kind == "http"])


def test_pcapng_single_interface(tmp_path: Path) -> None:
    path = pcaps.write_pcapng(tmp_path / "one.pcapng", pcaps.ether(pcaps.tcp_session(segments=5)))
    _check(_only_http(path))
