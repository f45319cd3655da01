"""MAC: six octets written with `:` or `-`, or 12 hex digits under a MAC key.

Junk of the right shape is dropped: all zeros, broadcast, Android's
placeholder `02:00:00:00:00:00` (what apps get when the MAC is hidden) and
multicast addresses (low bit of the first octet set). A MAC under a `bssid`
key is reported as WIFI_BSSID. Normalised lowercase with colons.
"""

from __future__ import annotations

from typing import ClassVar

from .base import ALNUM, Detector, Pattern

_H = "[0-9A-Fa-f]{2}"
JUNK = frozenset({"000000000000", "ffffffffffff", "020000000000"})


def mac_hex(text: str) -> str:
    """`02:1A:11-f0...` -> `021a11f0...` (separators dropped, lowercase)."""
    return "".join(c for c in text.lower() if c not in ":-.")


class MacDetector(Detector):
    ENTITY = "MAC"
    KEY_ENTITIES = ("WIFI_BSSID",)
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("colon", f"{_H}(?::{_H}){{5}}", 0.6,
                edge_before="0-9A-Za-z:", edge_after="0-9A-Za-z:"),
        Pattern("dash", f"{_H}(?:-{_H}){{5}}", 0.6,
                edge_before="0-9A-Za-z-", edge_after="0-9A-Za-z-"),
        Pattern("bare", "[0-9A-Fa-f]{12}", 0.2, edge_before=ALNUM, edge_after=ALNUM,
                needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        h = mac_hex(text)
        if len(h) != 12 or h in JUNK or int(h[:2], 16) & 1:
            return False
        return None

    @staticmethod
    def normalize(text: str) -> str:
        h = mac_hex(text)
        return ":".join(h[i:i + 2] for i in range(0, 12, 2))
