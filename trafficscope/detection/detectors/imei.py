"""IMEI: 15 digits with a valid Luhn check digit (python-stdnum).

The validator drops bad check digits and all-zero TACs, confirms IMEIs whose
first two digits are a known GSMA reporting body, and keeps the base score
otherwise. 14 digits (the IMEI without its check digit, as some SDKs send it)
count only under an IMEI key; they are normalised by appending the check digit.
"""

from __future__ import annotations

from typing import ClassVar

from ..checksums import imei_complete, imei_ok, imei_rbi_known
from .base import DIGIT_RUN_15, Detector, Pattern, whole_number


class ImeiDetector(Detector):
    ENTITY = "IMEI"
    NUMERIC = True
    VALIDATOR = "luhn"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        whole_number("imei", r"[0-9]{15}", 0.3, prefilter=DIGIT_RUN_15),
        whole_number("imei-14", r"[0-9]{14}", 0.3, needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        full = imei_complete(text)
        if not imei_ok(full):
            return False
        return True if len(text) == 15 and imei_rbi_known(text) else None

    @staticmethod
    def normalize(text: str) -> str:
        return imei_complete(text)
