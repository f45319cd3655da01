"""TLS ClientHello: the server name (SNI) and ALPN a client asks for.

`client_hello(data)` reads a ClientHello handshake message (the bytes inside
TLS records or QUIC CRYPTO frames) and returns a `Hello`, or None when the
bytes are not (yet) a whole ClientHello. `handshake_from_records` joins the
handshake bytes carried by TLS records, so a ClientHello split over records or
TCP segments is read once its bytes have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A ClientHello longer than this is not waited for (post-quantum ones are ~1.8 KiB).
MAX_HELLO = 64 * 1024


@dataclass(frozen=True, slots=True)
class Hello:
    sni: str | None
    alpn: tuple[str, ...] = ()


def is_client_hello_record(head: bytes) -> bool:
    """TLS handshake record (0x16, version 3.x) starting with a ClientHello."""
    return len(head) >= 6 and head[0] == 0x16 and head[1] == 3 and head[5] == 1


def handshake_from_records(data: bytes) -> bytes:
    """The handshake-protocol bytes of the complete TLS records at the start of `data`."""
    out = bytearray()
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x16:
        length = (data[pos + 3] << 8) | data[pos + 4]
        if pos + 5 + length > len(data):
            out += data[pos + 5 :]
            break
        out += data[pos + 5 : pos + 5 + length]
        pos += 5 + length
    return bytes(out)


def client_hello(hs: bytes) -> Hello | None:
    """The SNI and ALPN of the ClientHello at the start of `hs`; None if incomplete or not one."""
    if len(hs) < 4 or hs[0] != 1:
        return None
    length = int.from_bytes(hs[1:4], "big")
    if len(hs) < 4 + length:
        return None
    body = hs[4 : 4 + length]
    try:
        pos = 2 + 32  # version, random
        pos += 1 + body[pos]  # session id
        pos += 2 + int.from_bytes(body[pos : pos + 2], "big")  # cipher suites
        pos += 1 + body[pos]  # compression methods
        if pos + 2 > len(body):
            return Hello(None)
        end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
        pos += 2
        sni: str | None = None
        alpn: tuple[str, ...] = ()
        while pos + 4 <= min(end, len(body)):
            etype = int.from_bytes(body[pos : pos + 2], "big")
            elen = int.from_bytes(body[pos + 2 : pos + 4], "big")
            ext = body[pos + 4 : pos + 4 + elen]
            if etype == 0 and len(ext) >= 5 and ext[2] == 0:
                nlen = int.from_bytes(ext[3:5], "big")
                sni = ext[5 : 5 + nlen].decode("ascii", "replace").lower() or None
            elif etype == 16 and len(ext) >= 2:
                alpn = _alpn(ext[2:])
            pos += 4 + elen
        return Hello(sni, alpn)
    except IndexError:
        return Hello(None)


def _alpn(data: bytes) -> tuple[str, ...]:
    out, pos = [], 0
    while pos < len(data):
        n = data[pos]
        out.append(data[pos + 1 : pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    return tuple(out)
