"""Count-only packets: the fused pcap loop, the generic loop and the byte counts they keep.

The same app-like traffic (captures/make_pcap.py) is written as a little- and
a big-endian pcap, as pcap with Linux cooked (SLL) framing, and as pcapng;
every shape must give the same flows, and the byte counts must equal the TCP
and UDP payload bytes counted straight from the frames.
"""

from __future__ import annotations

import socket
import struct
from collections import Counter
from pathlib import Path

import pytest

from captures.make_pcap import generate, write_pcapng
from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.pcap import counting
from trafficscope.sources.pcap.reader import read_pcap

START = 1_763_900_000.0


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    return list(generate(1_500_000, seed=3))


def _pcap(path: Path, frames: list[bytes], *, endian: str = "<", link: int = 1) -> Path:
    out = [struct.pack(endian + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link)]
    for i, frame in enumerate(frames):
        usec = int(START * 1e6) + i * 300
        out.append(struct.pack(endian + "IIII", usec // 1_000_000, usec % 1_000_000,
                               len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))
    return path


def _sll(frame: bytes) -> bytes:
    """The Ethernet frame as Linux cooked capture v1: packet type, ARPHRD, address, protocol."""
    return struct.pack("!HHH8sH", 4, 1, 6, frame[6:12] + b"\0\0", 0x0800) + frame[14:]


def _key(f: Flow) -> tuple:
    return (f.kind, f.host, f.method, f.url, f.request_headers, f.request_body, f.server_ip,
            f.server_port, f.client_ip, f.bytes_out, f.bytes_in, f.ts, f.ts_end, f.notes,
            f.messages)


def _payload_bytes(frames: list[bytes]) -> Counter[tuple[str, int, str]]:
    """Payload bytes per (server address, server port, direction), from the frames alone."""
    out: Counter[tuple[str, int, str]] = Counter()
    for frame in frames:
        ip = frame[14:]
        total, proto = struct.unpack_from("!H5xB", ip, 2)
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        sport, dport = struct.unpack_from("!HH", ip, 20)
        size = total - 20 - ((ip[32] >> 4) * 4 if proto == 6 else 8)
        if src == "192.168.1.23":
            out[(dst, dport, "out")] += size
        else:
            out[(src, sport, "in")] += size
    return out


def test_every_file_shape_gives_the_same_flows(tmp_path: Path, frames: list[bytes]) -> None:
    le = list(read_pcap(_pcap(tmp_path / "le.pcap", frames)))
    be = list(read_pcap(_pcap(tmp_path / "be.pcap", frames, endian=">")))
    sll = list(read_pcap(_pcap(tmp_path / "sll.pcap", [_sll(f) for f in frames], link=113)))
    path = tmp_path / "ng.pcapng"
    write_pcapng(path, iter(frames))
    ng = list(read_pcap(path))
    assert len(le) > 50
    assert [_key(f) for f in le] == [_key(f) for f in be] == [_key(f) for f in sll]
    # pcapng stamps have the same microseconds; flows must match to the byte
    assert [_key(f)[:11] for f in le] == [_key(f)[:11] for f in ng]


def test_counts_equal_the_payload_bytes_of_the_frames(tmp_path: Path,
                                                      frames: list[bytes]) -> None:
    flows = list(read_pcap(_pcap(tmp_path / "c.pcap", frames)))
    counted: Counter[tuple[str, int, str]] = Counter()
    for f in flows:
        if f.kind in ("tls", "quic"):
            assert f.server_ip and f.server_port
            counted[(f.server_ip, f.server_port, "out")] += f.bytes_out
            counted[(f.server_ip, f.server_port, "in")] += f.bytes_in
    expected = _payload_bytes(frames)
    assert counted, "no TLS or QUIC flows in the sample"
    for key, n in counted.items():
        assert n == expected[key], key
    # most packets were settled in the record loop: the TLS downloads are large
    assert sum(n for (_, _, d), n in counted.items() if d == "in") > 1_000_000


def test_the_fused_loop_settles_count_only_packets(tmp_path: Path, frames: list[bytes],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _pcap(tmp_path / "f.pcap", frames)
    seen = []
    real = counting.slow_packets

    def spy(*args: object) -> object:
        for item in real(*args):  # type: ignore[arg-type]
            seen.append(item)
            yield item

    monkeypatch.setattr("trafficscope.sources.pcap.reader.slow_packets", spy)
    list(read_pcap(path))
    assert len(seen) < len(frames) / 3


@pytest.mark.parametrize("cut", [1, 9, 17, 40, 63])
def test_truncated_last_record_in_the_fused_loop(tmp_path: Path, frames: list[bytes],
                                                 cut: int) -> None:
    whole = _pcap(tmp_path / "w.pcap", frames[:200]).read_bytes()
    path = tmp_path / "t.pcap"
    path.write_bytes(whole[:-cut])
    got: list[Flow] = []
    with pytest.raises(ReadError, match="truncated after record 199"):
        for f in read_pcap(path):
            got.append(f)
    assert got  # what came before the damage is kept


def test_damaged_length_in_the_fused_loop(tmp_path: Path, frames: list[bytes]) -> None:
    data = bytearray(_pcap(tmp_path / "w.pcap", frames[:50]).read_bytes())
    pos = 24
    for _ in range(10):
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    struct.pack_into("<I", data, pos + 8, 0x7FFFFFFF)
    path = tmp_path / "d.pcap"
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="damaged record 11"):
        list(read_pcap(path))
