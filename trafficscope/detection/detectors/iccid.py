"""ICCID: the SIM card number, `89` (telecom) + country code + issuer + serial + Luhn.

19 or 20 digits starting with 89 (8986 for China). The Luhn check digit
confirms it; Chinese operators' 20-digit ICCIDs do not always carry one, so
an 8986 number without a valid check digit keeps the base score.
"""

from __future__ import annotations

from typing import ClassVar

from ..checksums import luhn_ok
from .base import Detector, Pattern, whole_number


class IccidDetector(Detector):
    ENTITY = "ICCID"
    NUMERIC = True
    VALIDATOR = "luhn"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        whole_number("iccid", r"89[0-9]{17,18}", 0.45),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        if luhn_ok(text):
            return True
        return None if text.startswith("8986") else False
