"""QUIC v1 Initial packets: decrypt the client's first flight to read its ClientHello.

Initial packets are encrypted with keys anyone can derive from the client's
first Destination Connection ID (RFC 9001, section 5.2). `InitialKeys(dcid)`
derives them; `crypto_frames(keys, datagram)` removes header protection,
decrypts the Initial at the start of a datagram and returns its CRYPTO frames
as `(offset, bytes)`; `tls.client_hello` then reads the SNI from the joined
frames. Anything that does not decrypt returns no frames. `cryptography` is
imported with the first Initial: a capture without QUIC needs none of it (~12 ms
of start-up).
"""

from __future__ import annotations

import hashlib
import hmac

VERSION_1 = 1
_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def _expand_label(secret: bytes, label: str, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


class InitialKeys:
    """The client's Initial key, IV and header-protection key for one connection ID."""

    def __init__(self, dcid: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        initial = hmac.new(_SALT_V1, dcid, hashlib.sha256).digest()
        client = _expand_label(initial, "client in", 32)
        self.aead = AESGCM(_expand_label(client, "quic key", 16))
        self.iv = _expand_label(client, "quic iv", 12)
        self.hp = Cipher(algorithms.AES(_expand_label(client, "quic hp", 16)), modes.ECB())


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    n = 1 << (first >> 6)
    value = first & 0x3F
    for b in buf[pos + 1 : pos + n]:
        value = (value << 8) | b
    if pos + n > len(buf):
        raise IndexError("varint past the end")
    return value, pos + n


def initial_dcid(datagram: bytes) -> bytes | None:
    """The Destination Connection ID of a QUIC v1 Initial packet, else None."""
    if len(datagram) < 7 or datagram[0] & 0xF0 != 0xC0:
        return None
    if int.from_bytes(datagram[1:5], "big") != VERSION_1:
        return None
    n = datagram[5]
    return datagram[6 : 6 + n] if n <= 20 and len(datagram) >= 6 + n else None


def crypto_frames(keys: InitialKeys, datagram: bytes) -> list[tuple[int, bytes]]:
    from cryptography.exceptions import InvalidTag

    try:
        return _frames(_decrypt(keys, datagram))
    except (IndexError, ValueError, InvalidTag):
        return []


def _decrypt(keys: InitialKeys, pkt: bytes) -> bytes:
    if initial_dcid(pkt) is None:
        raise ValueError("not an Initial")
    pos = 6 + pkt[5]
    pos += 1 + pkt[pos]  # source connection id
    token_len, pos = _varint(pkt, pos)
    pos += token_len
    length, pn_off = _varint(pkt, pos)
    sample = pkt[pn_off + 4 : pn_off + 20]
    if len(sample) < 16 or pn_off + length > len(pkt):
        raise ValueError("short packet")
    enc = keys.hp.encryptor()
    mask = enc.update(sample) + enc.finalize()
    first = pkt[0] ^ (mask[0] & 0x0F)
    pn_len = (first & 3) + 1
    pn = bytes(b ^ m for b, m in zip(pkt[pn_off : pn_off + pn_len], mask[1:], strict=False))
    header = bytes([first]) + pkt[1:pn_off] + pn
    nonce = bytes(a ^ b for a, b in zip(keys.iv, pn.rjust(12, b"\x00"), strict=True))
    return keys.aead.decrypt(nonce, pkt[pn_off + pn_len : pn_off + length], header)


def _frames(plain: bytes) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(plain):
        ftype = plain[pos]
        if ftype in (0, 1):  # PADDING, PING
            pos += 1
        elif ftype == 6:  # CRYPTO
            offset, pos = _varint(plain, pos + 1)
            length, pos = _varint(plain, pos)
            out.append((offset, plain[pos : pos + length]))
            pos += length
        elif ftype in (2, 3):  # ACK
            _, pos = _varint(plain, pos + 1)
            _, pos = _varint(plain, pos)
            count, pos = _varint(plain, pos)
            _, pos = _varint(plain, pos)
            for _ in range(count * 2):
                _, pos = _varint(plain, pos)
            if ftype == 3:
                for _ in range(3):
                    _, pos = _varint(plain, pos)
        else:
            break  # CONNECTION_CLOSE or a frame an Initial should not carry
    return out


def join_crypto(pieces: dict[int, bytes]) -> bytes:
    """The contiguous CRYPTO stream from offset 0."""
    out = bytearray()
    for off in sorted(pieces):
        if off > len(out):
            break
        out += pieces[off][len(out) - off :]
    return bytes(out)
