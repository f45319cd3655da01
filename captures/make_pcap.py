"""Generate app-like packet captures: the demo's `sample.pcapng` and benchmark files.

    python captures/make_pcap.py                 # writes captures/sample.pcapng
    python captures/make_pcap.py --mb 200 -o big.pcap

The simulated phone (profile: `sample.profile.toml`) resolves names over DNS,
announces itself over DHCP, talks HTTP/1.1 to its shop API and to analytics
and ad SDKs (identifiers in query strings, headers and JSON bodies), TLS to
most services (large encrypted downloads make up most of the bytes, as in real
captures) and QUIC to a CDN. Connections overlap (several in flight at once).
Packets are built with `struct`, not scapy, so a 2 GB file takes a minute.
Deterministic for a given size and seed.
"""

from __future__ import annotations

import argparse
import json
import random
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.pcaps import client_hello, quic_initial, tls_record  # noqa: E402

PHONE_IP, RESOLVER = bytes([192, 168, 1, 23]), bytes([192, 168, 1, 1])
PHONE_MAC, GW_MAC = bytes.fromhex("021a11f0c37e"), bytes.fromhex("a42bb05e119c")
IMEI, AD_ID = "490154203237518", "38400000-8cf0-11bd-b23e-10b96e40000d"
EMAIL, ANDROID_ID = "jane.doe.test@example.org", "a1b2c3d4e5f60718"
MSS = 1448

SERVERS = {  # host -> (address, kind)
    "api.shoppingmall.example": (bytes([203, 0, 113, 10]), "http"),
    "t.analytics-example.com": (bytes([198, 51, 100, 7]), "http"),
    "bid.adsexample.com": (bytes([198, 51, 100, 20]), "http"),
    "img.shoppingmall.example": (bytes([203, 0, 113, 11]), "tls"),
    "push.pushservice-example.com": (bytes([198, 51, 100, 30]), "tls"),
    "crash.crashreports-example.io": (bytes([198, 51, 100, 40]), "tls"),
    "cdn.videocdn-example.net": (bytes([198, 51, 100, 50]), "quic"),
}


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF


def _ip(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int) -> bytes:
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64,
                       proto, 0, src, dst)
    head = head[:10] + struct.pack("!H", _csum(head)) + head[12:]
    mac = (GW_MAC + PHONE_MAC) if dst == PHONE_IP else (PHONE_MAC + GW_MAC)
    return mac + b"\x08\x00" + head + payload


def _tcp(src: bytes, sp: int, dst: bytes, dp: int, seq: int, ack: int, flags: int,
         data: bytes = b"") -> bytes:
    seg = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                      65535, 0, 0) + data
    return _ip(src, dst, 6, seg, seq)


def _udp(src: bytes, sp: int, dst: bytes, dp: int, data: bytes) -> bytes:
    return _ip(src, dst, 17, struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data, sp)


def _dns(host: str, addr: bytes, qid: int) -> list[bytes]:
    qname = b"".join(bytes([len(p)]) + p.encode() for p in host.split(".")) + b"\0"
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + b"\0\x01\0\x01"
    a = (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + qname + b"\0\x01\0\x01"
         + b"\xc0\x0c\0\x01\0\x01\0\0\x01\x2c\0\x04" + addr)
    port = 30000 + qid % 30000
    return [_udp(PHONE_IP, port, RESOLVER, 53, q), _udp(RESOLVER, 53, PHONE_IP, port, a)]


def _dhcp() -> bytes:
    opts = bytes([53, 1, 3, 12, 11]) + b"Janes-Pixel" + bytes([60, 15]) + b"android-dhcp-14"
    boot = (struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, 0x1234, 0, 0, b"\0" * 4,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, PHONE_MAC, b"", b"")
            + b"\x63\x82\x53\x63" + opts + b"\xff")
    return _ip(b"\0\0\0\0", b"\xff\xff\xff\xff", 17, struct.pack("!HHHH", 68, 67, 8 + len(boot), 0)
               + boot, 1)


def _stream(src: bytes, sp: int, dst: bytes, dp: int, seq: int, ack: int,
            data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), MSS):
        yield _tcp(src, sp, dst, dp, seq + i, ack, 0x18, data[i : i + MSS])


def _request(host: str, n: int, rng: random.Random) -> bytes:
    if host.startswith("api."):
        body = json.dumps({"user": {"email": EMAIL, "cart": list(range(rng.randint(1, 30)))},
                           "seq": n}).encode()
        return (b"POST /v1/cart HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"X-Device-Id: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (host.encode(), ANDROID_ID.encode(), len(body), body))
    if host.startswith("t."):
        return (b"GET /collect?aid=%s&ev=view&n=%d HTTP/1.1\r\nHost: %s\r\n"
                b"User-Agent: Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7)\r\n\r\n"
                % (AD_ID.encode(), n, host.encode()))
    body = json.dumps({"device": {"ifa": AD_ID, "imei": IMEI, "geo": {"lat": 39.9042,
                                                                      "lon": 116.4074}},
                       "imp": [{"id": str(n)}]}).encode()
    return (b"POST /openrtb2/auction HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
            % (host.encode(), len(body), body))


def _connection(host: str, n: int, rng: random.Random, big: bool) -> list[bytes]:
    addr, kind = SERVERS[host]
    sp = 40000 + n % 20000
    if kind == "quic":
        dcid = rng.randbytes(8)
        pkts = [_udp(PHONE_IP, sp, addr, 443, quic_initial(dcid, client_hello(host, ("h3",))))]
        down = rng.randint(20, 120) if big else 3
        pkts += [_udp(addr, 443, PHONE_IP, sp, b"\x40" + rng.randbytes(1200))
                 for _ in range(down)]
        return pkts
    dp, cs, ss = (80 if kind == "http" else 443), rng.getrandbits(32), rng.getrandbits(32)
    pkts = [_tcp(PHONE_IP, sp, addr, dp, cs, 0, 0x02), _tcp(addr, dp, PHONE_IP, sp, ss, cs + 1,
                                                            0x12),
            _tcp(PHONE_IP, sp, addr, dp, cs + 1, ss + 1, 0x10)]
    if kind == "http":
        up = b"".join(_request(host, n * 10 + i, rng) for i in range(rng.randint(1, 4)))
        size = rng.randint(2_000, 60_000 if big else 4_000)
        down = (b"HTTP/1.1 200 OK\r\nContent-Type: image/webp\r\nContent-Length: %d\r\n\r\n"
                % size) + rng.randbytes(64) * (size // 64 + 1)
        down = down[: size + 80]
    else:
        up = tls_record(client_hello(host)) + rng.randbytes(rng.randint(100, 3000))
        size = rng.randint(50_000, 400_000) if big else rng.randint(2_000, 8_000)
        down = b"\x16\x03\x03\x00\x7a" + rng.randbytes(64) * (size // 64)
    pkts += _stream(PHONE_IP, sp, addr, dp, cs + 1, ss + 1, up)
    pkts += _stream(addr, dp, PHONE_IP, sp, ss + 1, cs + 1 + len(up), down)
    end_c, end_s = cs + 1 + len(up), ss + 1 + len(down)
    pkts += [_tcp(PHONE_IP, sp, addr, dp, end_c, end_s, 0x11),
             _tcp(addr, dp, PHONE_IP, sp, end_s, end_c + 1, 0x11)]
    return pkts


def generate(target_bytes: int, seed: int = 7, big: bool = True) -> Iterator[bytes]:
    """Frames until about `target_bytes` of frame data were produced."""
    rng = random.Random(seed)
    hosts = list(SERVERS)
    weights = [3, 2, 2, 4, 2, 1, 1]
    yield _dhcp()
    total, n, live = 0, 0, []
    while total < target_bytes or live:
        while len(live) < 6 and total < target_bytes:
            host = rng.choices(hosts, weights)[0]
            n += 1
            addr = SERVERS[host][0]
            live.append(iter(_dns(host, addr, n) + _connection(host, n, rng, big)))
        conn = live[rng.randrange(len(live))]
        for _ in range(rng.randint(1, 8)):
            frame = next(conn, None)
            if frame is None:
                live.remove(conn)
                break
            total += len(frame)
            yield frame


def write_pcap(path: Path, frames: Iterator[bytes], start: float = 1_763_900_000.0) -> int:
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, frame in enumerate(frames):
            usec = int(start * 1e6) + i * 300
            f.write(struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame),
                                len(frame)))
            f.write(frame)
    return path.stat().st_size


def write_pcapng(path: Path, frames: Iterator[bytes], start: float = 1_763_900_000.0) -> int:
    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    with path.open("wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 262144)))
        for i, frame in enumerate(frames):
            usec = int(start * 1e6) + i * 300
            f.write(block(6, struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(frame),
                                         len(frame)) + frame))
    return path.stat().st_size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mb", type=float, help="size of a benchmark capture (default: the sample)")
    p.add_argument("-o", "--output", help="file to write (.pcapng for pcapng)")
    args = p.parse_args()
    if args.mb is None:
        out = Path(args.output or ROOT / "captures" / "sample.pcapng")
        size = write_pcapng(out, generate(250_000, big=False))
    else:
        out = Path(args.output or "bench.pcap")
        writer = write_pcapng if out.suffix == ".pcapng" else write_pcap
        size = writer(out, generate(int(args.mb * 1e6)))
    print(f"wrote {out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
