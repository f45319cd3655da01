"""The pcap reader raises ReadError and nothing else, whatever the bytes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import pcaps
from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.pcap.reader import read_pcap


def _valid() -> bytes:
    pkts = [pcaps.dhcp_request(), *pcaps.dns_exchange(),
            *pcaps.tcp_session(segments=4),
            *pcaps.tcp_session(pcaps.tls_record(pcaps.client_hello("a.example")), dport=443,
                               sport=41000)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v.pcap"
        pcaps.raw_pcap(path, [bytes(p) for p in pcaps.ether(pkts)])
        return path.read_bytes()


VALID = _valid()


def _drain(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(content)
        try:
            for flow in read_pcap(path):
                assert isinstance(flow, Flow)
        except ReadError as e:
            assert str(e).startswith(str(path))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=12),
       st.integers(24, len(VALID)))
def test_mutated_pcap_raises_only_read_error(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(VALID)
    for pos, value in flips:
        if pos >= 24:  # keep the magic so the pcap path is taken
            data[pos] = value
    _drain(bytes(data[:cut]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_pcapng_blocks_raise_only_read_error(tail: bytes) -> None:
    shb = bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000")
    _drain(shb + tail)
    _drain(VALID[:24] + tail)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([53, 67, 443, 80, 2152, 5353]), st.sampled_from([6, 17]),
       st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_random_transport_payloads_raise_only_read_error(port: int, proto: int,
                                                         payloads: list[bytes]) -> None:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.packet import Raw

    layer = (lambda: TCP(sport=port, dport=port, flags="PA")) if proto == 6 else (
        lambda: UDP(sport=68 if port == 67 else port, dport=port))
    pkts = [IP(src="10.0.0.2", dst="10.0.0.3") / layer() / Raw(p) for p in payloads]
    pkts += [IP(src="10.0.0.2", dst="10.0.0.3", proto=proto) / Raw(p) for p in payloads]
    with tempfile.TemporaryDirectory() as folder:
        path = pcaps.raw_pcap(Path(folder) / "f.pcap", [bytes(p) for p in pcaps.ether(pkts)])
        _drain(path.read_bytes())
