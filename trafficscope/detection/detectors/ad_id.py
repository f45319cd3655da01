"""AD_ID: an advertising id (GAID, IDFA, OAID) written as a UUID.

A UUID alone is not an advertising id (request ids, session ids...): it counts
only under an advertising-id key (`adid`, `gaid`, `idfa`, `oaid`, ...) or when
it is the profile's value (the known-value pass finds those anywhere). The
all-zero UUID, what a phone reports when ad tracking is limited, is dropped.
Normalised lowercase with dashes.
"""

from __future__ import annotations

from typing import ClassVar

from .base import ALNUM, Detector, Pattern

_X = "[0-9A-Fa-f]"
ZERO = "0" * 32


def uuid_hex(text: str) -> str:
    return text.replace("-", "").lower()


class AdIdDetector(Detector):
    ENTITY = "AD_ID"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("uuid", f"{_X}{{8}}-{_X}{{4}}-{_X}{{4}}-{_X}{{4}}-{_X}{{12}}", 0.5,
                edge_before="0-9A-Za-z-", edge_after="0-9A-Za-z-", needs_key=True),
        Pattern("uuid-no-dashes", f"{_X}{{32}}", 0.4,
                edge_before=ALNUM, edge_after=ALNUM, needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        return False if uuid_hex(text) == ZERO else None

    @staticmethod
    def normalize(text: str) -> str:
        h = uuid_hex(text)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
