"""ANDROID_ID: 16 hex digits (Settings.Secure.ANDROID_ID), only under a key naming it.

16 hex digits are everywhere (trace ids, hashes cut short), so the key is
required. All-zero values and the id that a whole series of Android 2.2
devices shared (`9774d56d682e549c`) are dropped. Normalised lowercase.
"""

from __future__ import annotations

from typing import ClassVar

from .base import ALNUM, Detector, Pattern

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
