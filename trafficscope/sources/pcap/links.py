"""Link layers: where the IP packet starts inside a captured frame.

`ip_offset(linktype, frame)` returns the offset of the IPv4/IPv6 header, or -1
for frames that carry no IP (ARP, 802.11 management and encrypted data, ...).
Link types are chosen from `LINK_DECODERS`, an explicit table. `gtp_u_inner`
opens GTP-U tunnels (mobile core captures: UDP port 2152) the same way.
"""

from __future__ import annotations

from collections.abc import Callable

_IP_TYPES = (0x0800, 0x86DD)
_VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
_SNAP = b"\xaa\xaa\x03\x00\x00\x00"


def _ethertype_offset(frame: bytes, type_at: int) -> int:
    """Offset after the EtherType at `type_at`, past any 802.1Q/802.1ad tags; -1 if not IP."""
    n = len(frame)
    while type_at + 2 <= n:
        etype = (frame[type_at] << 8) | frame[type_at + 1]
        if etype in _IP_TYPES:
            return type_at + 2
        if etype in _VLAN_TYPES:
            type_at += 4
            continue
        if etype == 0x8864 and type_at + 10 <= n:  # PPPoE session: PPP protocol 0x0021/0x0057
            ppp = (frame[type_at + 8] << 8) | frame[type_at + 9]
            return type_at + 10 if ppp in (0x0021, 0x0057) else -1
        return -1
    return -1


def ethernet(frame: bytes) -> int:
    return _ethertype_offset(frame, 12)


def linux_sll(frame: bytes) -> int:
    return _ethertype_offset(frame, 14)


def linux_sll2(frame: bytes) -> int:
    if len(frame) < 20:
        return -1
    etype = (frame[0] << 8) | frame[1]
    return 20 if etype in _IP_TYPES else -1


def raw_ip(frame: bytes) -> int:
    return 0 if frame and frame[0] >> 4 in (4, 6) else -1


def bsd_null(frame: bytes) -> int:
    """DLT_NULL / DLT_LOOP: a 4-byte address family in either byte order, then IP."""
    return 4 if len(frame) > 4 and frame[4] >> 4 in (4, 6) else -1


def ieee80211(frame: bytes, start: int = 0) -> int:
    """An 802.11 data frame carrying LLC/SNAP; -1 for management, control or protected."""
    if len(frame) < start + 24:
        return -1
    fc0, fc1 = frame[start], frame[start + 1]
    if (fc0 >> 2) & 3 != 2 or fc1 & 0x40:  # not data, or encrypted
        return -1
    subtype = fc0 >> 4
    if subtype & 4:  # null function: no payload
        return -1
    hlen = 24
    if fc1 & 3 == 3:
        hlen += 6  # four addresses (WDS)
    if subtype & 8:
        hlen += 2  # QoS control
        if fc1 & 0x80:
            hlen += 4  # HT control
    llc = start + hlen
    if frame[llc : llc + 6] != _SNAP:
        return -1
    return _ethertype_offset(frame, llc + 6)


def radiotap(frame: bytes) -> int:
    if len(frame) < 4:
        return -1
    return ieee80211(frame, frame[2] | (frame[3] << 8))


def ppi(frame: bytes) -> int:
    if len(frame) < 8:
        return -1
    dlt = int.from_bytes(frame[4:8], "little")
    start = frame[2] | (frame[3] << 8)
    return ieee80211(frame, start) if dlt == 105 else -1


#: pcap link type -> decoder (https://www.tcpdump.org/linktypes.html).
LINK_DECODERS: dict[int, Callable[[bytes], int]] = {
    0: bsd_null,  # NULL
    1: ethernet,
    12: raw_ip,  # RAW on OpenBSD-less systems
    14: raw_ip,
    101: raw_ip,
    105: ieee80211,
    108: bsd_null,  # LOOP
    113: linux_sll,
    127: radiotap,
    192: ppi,
    228: raw_ip,  # IPV4
    229: raw_ip,  # IPV6
    276: linux_sll2,
}


_PCAPDROID_MAGIC = b"\x01\x07\x20\x21"


def pcapdroid_app(frame: bytes) -> str | None:
    """The app name PCAPdroid appends to each frame when its trailer option is on, or None.

    The trailer ends the frame: magic 0x01072021, uid (4), app name (20, NUL-padded), FCS (4).
    """
    return pcapdroid_trailer_app(frame[-32:]) if len(frame) >= 46 else None


def pcapdroid_trailer_app(tail: bytes) -> str | None:
    """`pcapdroid_app` of a frame of at least 46 bytes, given its last 32 bytes."""
    if tail[:4] != _PCAPDROID_MAGIC:
        return None
    return tail[8:28].split(b"\0", 1)[0].decode("utf-8", "replace") or None


def ip_offset(linktype: int, frame: bytes) -> int:
    """Offset of the IP header in `frame`, or -1 (unknown link type, not IP)."""
    decoder = LINK_DECODERS.get(linktype)
    return decoder(frame) if decoder else -1


def gtp_u_inner(data: bytes) -> int:
    """Offset of the IP packet inside a GTPv1-U T-PDU, or -1."""
    if len(data) < 8 or data[0] >> 5 != 1 or data[1] != 0xFF:
        return -1
    pos = 8
    if data[0] & 0x07:
        if len(data) < 12:
            return -1
        nxt, pos = data[11], 12
        while nxt and pos < len(data):
            n = data[pos] * 4
            if n == 0:
                return -1
            nxt, pos = data[pos + n - 1], pos + n
    return pos if pos < len(data) and data[pos] >> 4 in (4, 6) else -1
