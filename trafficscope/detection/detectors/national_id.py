"""NATIONAL_ID: a Chinese resident identity number (18 characters, ISO 7064 check).

python-stdnum's `stdnum.cn.ric` computes the check character and reads the
birth date; the first two digits must be a province code (`PROVINCES`).
stdnum's own county table is not used: it lacks many current county codes
(Hangzhou's 330106, Shenzhen's 440305), so real numbers would be dropped. A
number that passes is reported anywhere, with or without a key. Normalised
upper case (`X` check character).
"""

from __future__ import annotations

from typing import ClassVar

from stdnum.cn import ric as _ric

from .base import DIGIT_RUN_18, DIGITS, NOT_AFTER_DIGIT_DOT, Detector, Pattern

#: Province-level codes (GB/T 2260), the first two digits of a resident id.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
})


class NationalIdDetector(Detector):
    ENTITY = "NATIONAL_ID"
    NUMERIC = True
    VALIDATOR = "stdnum.cn.ric"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("cn-ric", "[1-9][0-9]{16}[0-9Xx]", 0.3, edge_before=DIGITS,
                edge_after="0-9A-Za-z", guard_before=NOT_AFTER_DIGIT_DOT,
                prefilter=DIGIT_RUN_18),  # 17 digits and an X: the X is the run's edge
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        number = text.upper()
        if number[:2] not in PROVINCES or _ric.calc_check_digit(number) != number[-1]:
            return False
        try:
            _ric.get_birth_date(number)
        except Exception:  # stdnum's InvalidComponent (or ValueError) for impossible dates
            return False
        return True

    @staticmethod
    def normalize(text: str) -> str:
        return text.upper()
