"""mDNS (multicast DNS, port 5353): the names a device announces to its network.

Phones and computers announce themselves to every device on the link: a host
name (`Lucas-iPhone.local`), the instance names of their services, which are
the device's own name (`Luca’s iMac._companion-link._tcp.local`), and TXT
records of `key=value` strings, some holding a MAC address (`waMA=`) or a
model. `parse(msg)` returns these as `(key, value)` pairs: `hostname` (the
first label of an A/AAAA owner or an SRV target), `instance` (the first label
of a service instance: a PTR's target, an SRV or TXT owner, under a
`_service._tcp`/`_udp` type) and `txt.<key>` (each TXT string), in the order
first seen, without repeats; or None when the message holds none or is no DNS.
Labels are UTF-8 (RFC 6762), kept as sent. At most `MAX_RECORDS` records are
read and `MAX_PAIRS` pairs returned.
"""

from __future__ import annotations

from .dns import labels

MAX_RECORDS = 256
MAX_PAIRS = 64
_A, _PTR, _TXT, _AAAA, _SRV = 1, 12, 16, 28, 33


def _text(label: bytes) -> str:
    return label.decode("utf-8", "replace")


def _instance(name: list[bytes]) -> str | None:
    """The instance label of `<Instance>._service._tcp.local`, if `name` is one."""
    if (len(name) == 4 and name[-1].lower() == b"local" and name[-2].lower() in (b"_tcp", b"_udp")
            and name[-3].startswith(b"_") and not name[0].startswith(b"_")):
        return _text(name[0])
    return None


def _host(name: list[bytes]) -> str | None:
    if len(name) == 2 and name[-1].lower() == b"local" and not name[0].startswith(b"_"):
        return _text(name[0])
    return None


def parse(msg: bytes) -> tuple[tuple[str, str], ...] | None:
    if len(msg) < 12:
        return None
    counts = [(msg[i] << 8) | msg[i + 1] for i in (4, 6, 8, 10)]
    records = min(sum(counts[1:]), MAX_RECORDS)
    if records == 0:
        return None
    out: dict[tuple[str, str], None] = {}

    def add(key: str, value: str | None) -> None:
        if value and len(out) < MAX_PAIRS:
            out[(key, value)] = None

    try:
        pos = 12
        for _ in range(min(counts[0], 64)):
            pos = labels(msg, pos)[1] + 4
        for _ in range(records):
            owner, pos = labels(msg, pos)
            rtype = (msg[pos] << 8) | msg[pos + 1]
            rdlen = (msg[pos + 8] << 8) | msg[pos + 9]
            start, pos = pos + 10, pos + 10 + rdlen
            if pos > len(msg):
                break
            if rtype == _PTR:  # a service's instance, or a reverse lookup's host
                target = labels(msg, start)[0]
                add("instance", _instance(target))
                add("hostname", _host(target))
            elif rtype == _SRV:
                add("instance", _instance(owner))
                add("hostname", _host(labels(msg, start + 6)[0]))
            elif rtype in (_A, _AAAA):
                add("hostname", _host(owner))
            elif rtype == _TXT:
                add("instance", _instance(owner))
                at = start
                while at < pos:
                    n = msg[at]
                    key, eq, value = _text(msg[at + 1 : at + 1 + n]).partition("=")
                    if eq and key:
                        add(f"txt.{key}", value)
                    at += 1 + n
    except (IndexError, ValueError):
        pass
    return tuple(out) or None
