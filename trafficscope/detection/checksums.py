"""Check digits and identifier plausibility, as small module-level functions.

Where python-stdnum already implements a check it is called, not rewritten.
Its checks cost tens of microseconds each, and a phone sends the same
identifier in request after request, so answers are remembered (a bounded
cache, in this process only).
"""

from __future__ import annotations

from functools import lru_cache

from stdnum import imei as _imei
from stdnum import luhn as _luhn

#: GSMA Reporting Body Identifiers: the first two digits of a real TAC.
IMEI_RBI = frozenset({
    "01", "10", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54",
    "86", "91", "98", "99",
})


@lru_cache(maxsize=4096)
def luhn_ok(digits: str) -> bool:
    """True when `digits` (ASCII digits only, at least 2) passes the Luhn check."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    return bool(_luhn.is_valid(digits))


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to `digits` (ASCII digits)."""
    return str(_luhn.calc_check_digit(digits))


@lru_cache(maxsize=4096)
def imei_ok(digits: str) -> bool:
    """A 15-digit IMEI with a valid check digit and a TAC that is not all zeros."""
    return (len(digits) == 15 and digits.isascii() and digits.isdigit()
            and digits[:8] != "00000000" and bool(_imei.is_valid(digits)))


def imei_rbi_known(digits: str) -> bool:
    """The IMEI starts with a known Reporting Body Identifier."""
    return digits[:2] in IMEI_RBI


def imei_complete(digits: str) -> str:
    """A 14-digit IMEI (no check digit) completed to 15 digits; others unchanged."""
    if len(digits) == 14 and digits.isascii() and digits.isdigit():
        return digits + luhn_digit(digits)
    return digits
