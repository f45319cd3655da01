"""MEID: a CDMA phone's id, 14 hex digits (optionally a 15th check digit), under a MEID key.

python-stdnum validates it (`stdnum.meid`); 14 hex digits are too common to
report without the key. Normalised upper case, without the check digit.
"""

from __future__ import annotations

from typing import ClassVar

from stdnum import meid as _meid

from .base import ALNUM, Detector, Pattern


class MeidDetector(Detector):
    ENTITY = "MEID"
    VALIDATOR = "stdnum.meid"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("meid", "[0-9A-Fa-f]{14,15}", 0.5, edge_before=ALNUM, edge_after=ALNUM,
                needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        if set(text) <= {"0"}:
            return False
        return bool(_meid.is_valid(text))

    @staticmethod
    def normalize(text: str) -> str:
        return text.upper()[:14]
