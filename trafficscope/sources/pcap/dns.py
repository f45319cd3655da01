"""DNS messages: the names asked for and the addresses they resolve to.

`parse(msg)` returns a `DnsMessage` (question names, and for answers the
A/AAAA/CNAME records as `(name, address)` pairs, CNAME chains followed back to
the name asked), or None when the bytes are not DNS. Compression pointers are
followed with a hop limit, so a loop cannot hang the reader.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

_MAX_HOPS = 32


@dataclass(frozen=True, slots=True)
class DnsMessage:
    is_response: bool
    questions: tuple[str, ...]
    addresses: tuple[tuple[str, str], ...] = ()  # (name asked, address)


def labels(msg: bytes, pos: int) -> tuple[list[bytes], int]:
    """The labels of the name at `pos`, as sent, and where the name ends in `msg`
    (compression pointers followed, at most `_MAX_HOPS * 4` steps)."""
    out: list[bytes] = []
    end = -1
    for _ in range(_MAX_HOPS * 4):
        n = msg[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 == 0xC0:
            if end < 0:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        out.append(msg[pos + 1 : pos + 1 + n])
        pos += 1 + n
    else:
        raise ValueError("name too long")
    return out, (end if end >= 0 else pos)


def _name(msg: bytes, pos: int) -> tuple[str, int]:
    raw, end = labels(msg, pos)
    return ".".join(lb.decode("ascii", "replace") for lb in raw).lower(), end


def parse(msg: bytes) -> DnsMessage | None:
    if len(msg) < 12:
        return None
    flags = (msg[2] << 8) | msg[3]
    qd, an = (msg[4] << 8) | msg[5], (msg[6] << 8) | msg[7]
    if qd == 0 or qd > 16 or (flags >> 11) & 0xF not in (0, 1, 2, 4, 5):
        return None
    try:
        pos, questions = 12, []
        for _ in range(qd):
            name, pos = _name(msg, pos)
            pos += 4
            questions.append(name)
        if pos > len(msg):
            return None
        addresses: list[tuple[str, str]] = []
        alias: dict[str, str] = {}
        for _ in range(min(an, 256)):
            name, pos = _name(msg, pos)
            rtype = (msg[pos] << 8) | msg[pos + 1]
            rdlen = (msg[pos + 8] << 8) | msg[pos + 9]
            rdata = msg[pos + 10 : pos + 10 + rdlen]
            if rtype == 1 and rdlen == 4:
                addresses.append((name, socket.inet_ntop(socket.AF_INET, rdata)))
            elif rtype == 28 and rdlen == 16:
                addresses.append((name, socket.inet_ntop(socket.AF_INET6, rdata)))
            elif rtype == 5:
                alias[_name(msg, pos + 10)[0]] = name
            pos += 10 + rdlen
    except (IndexError, ValueError):
        return DnsMessage(bool(flags & 0x8000), tuple(questions)) if questions else None
    asked = []
    for name, addr in addresses:
        for _ in range(_MAX_HOPS):
            if name not in alias:
                break
            name = alias[name]
        asked.append((name, addr))
    return DnsMessage(bool(flags & 0x8000), tuple(questions), tuple(asked))
