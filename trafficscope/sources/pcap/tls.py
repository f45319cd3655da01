"""TLS ClientHello: the server name (SNI) and ALPN a client asks for.

`client_hello(data)` reads a ClientHello handshake message (the bytes inside
TLS records or QUIC CRYPTO frames) and returns a `Hello`, or None when the
bytes are not (yet) a whole ClientHello. `HelloReader` joins the handshake
bytes carried by a TCP stream's TLS records as they arrive, looking at each
byte once, so a ClientHello split over records or segments is read once its
bytes have arrived.
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


class HelloReader:
    """The ClientHello in a client's TLS records, fed as the stream's bytes arrive.

    `feed(data)` gives `client_hello` of the handshake bytes of the whole records
    so far (up to the first record that is not a handshake) and of the record
    being received, or None; the records are not joined again for every segment
    (quadratic when they are tiny)."""

    __slots__ = ("done", "fed", "hs", "need", "raw")

    def __init__(self) -> None:
        self.fed = 0  # bytes fed
        self.raw = bytearray()  # the bytes after the last whole record
        self.hs = bytearray()  # the handshake bytes of the whole records
        self.done = False  # a record that is not a handshake came: nothing more is read
        self.need = -1  # handshake bytes the ClientHello takes, once its header is in

    @property
    def held(self) -> int:
        return len(self.raw) + len(self.hs)

    def feed(self, data: bytes) -> Hello | None:
        self.fed += len(data)
        raw, hs = self.raw, self.hs
        if not self.done:
            raw += data
            pos = 0
            while pos + 5 <= len(raw):
                if raw[pos] != 0x16:
                    self.done = True
                    raw.clear()
                    break
                end = pos + 5 + ((raw[pos + 3] << 8) | raw[pos + 4])
                if end > len(raw):
                    break
                hs += raw[pos + 5 : end]
                pos = end
            del raw[:pos]
        part = 0 if self.done or len(raw) < 5 else len(raw) - 5  # of an unfinished record
        if self.need < 0 and len(hs) + part >= 4:
            head = (bytes(hs[:4]) + bytes(raw[5:9]))[:4]
            self.need = 4 + int.from_bytes(head[1:4], "big") if head[0] == 1 else 1 << 62
        if self.need < 0 or len(hs) + part < self.need:
            return None
        return client_hello(bytes(hs) + bytes(raw[5:]) if part else bytes(hs))


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
