"""DHCP (and BOOTP) client messages: the names a device announces about itself.

`parse(payload)` returns the client's hardware address, host name (option 12),
vendor class (60, e.g. `android-dhcp-13`) and FQDN (81) as `(key, value)`
pairs, or None when the payload is not a DHCP client message.
"""

from __future__ import annotations

_COOKIE = b"\x63\x82\x53\x63"
_OPTIONS = {12: "hostname", 60: "vendor_class", 81: "fqdn"}


def parse(payload: bytes) -> tuple[tuple[str, str], ...] | None:
    if len(payload) < 240 or payload[0] != 1 or payload[236:240] != _COOKIE:
        return None
    fields: list[tuple[str, str]] = []
    if payload[1] == 1 and payload[2] == 6:
        fields.append(("client_mac", ":".join(f"{b:02x}" for b in payload[28:34])))
    pos = 240
    while pos < len(payload):
        code = payload[pos]
        if code == 255:
            break
        if code == 0:
            pos += 1
            continue
        if pos + 1 >= len(payload):
            break
        n = payload[pos + 1]
        value = payload[pos + 2 : pos + 2 + n]
        if code in _OPTIONS:
            if code == 81:
                value = value[3:]  # flags, rcode1, rcode2
            text = value.decode("utf-8", "replace").strip("\x00 ")
            if text:
                fields.append((_OPTIONS[code], text))
        pos += 2 + n
    return tuple(fields)
