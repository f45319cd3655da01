"""ANDROID_ID: 16 hex digits (Settings.Secure.ANDROID_ID), only under a key naming it.

16 hex digits are everywhere (trace ids, hashes cut short), so the key is
required. All-zero values and the id that a whole series of Android 2.2
devices shared (`9774d56d682e549c`) are dropped. Normalised lowercase.

Android 2.2 to 7 named itself `android-<ANDROID_ID>` in DHCP (its
`net.hostname`, sent to every network it joins): such a host name gives the
ANDROID_ID without a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from ...model import Field
from .base import ALNUM, Detector, FlowCandidate, Pattern
from .keyed import ANDROID_HOSTNAME

JUNK = frozenset({"0000000000000000", "9774d56d682e549c", "ffffffffffffffff"})


class AndroidIdDetector(Detector):
    ENTITY = "ANDROID_ID"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("hex16", "[0-9A-Fa-f]{16}", 0.5, edge_before=ALNUM, edge_after=ALNUM,
                needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        return False if text.lower() in JUNK else None

    @staticmethod
    def normalize(text: str) -> str:
        return text.lower()

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        for f in fields:
            if f.location == "dhcp" and f.key == "hostname":
                m = ANDROID_HOSTNAME.fullmatch(f.value.strip())
                if m and m[1].lower() not in JUNK:
                    yield FlowCandidate(f, m[1].lower(), 0.9, ("dhcp:hostname",
                                                               "android-hostname"))

    @staticmethod
    def wants_key(key: str) -> bool:
        return key == "hostname"
