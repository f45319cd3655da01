"""NATIONAL_ID: a Chinese resident identity number (18 characters, ISO 7064 check).

python-stdnum's `stdnum.cn.ric` checks the birth date, the region and the
check character; a number that passes is reported anywhere, with or without a
key. Normalised upper case (`X` check character).
"""

from __future__ import annotations

from typing import ClassVar

from stdnum.cn import ric as _ric

from .base import DIGITS, NOT_AFTER_DIGIT_DOT, Detector, Pattern


class NationalIdDetector(Detector):
    ENTITY = "NATIONAL_ID"
    NUMERIC = True
    VALIDATOR = "stdnum.cn.ric"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("cn-ric", "[1-9][0-9]{16}[0-9Xx]", 0.3, edge_before=DIGITS,
                edge_after="0-9A-Za-z", guard_before=NOT_AFTER_DIGIT_DOT),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        try:
            return bool(_ric.is_valid(text.upper()))
        except Exception:  # stdnum raises on impossible dates in some versions
            return False

    @staticmethod
    def normalize(text: str) -> str:
        return text.upper()
