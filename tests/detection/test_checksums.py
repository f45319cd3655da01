from __future__ import annotations

import pytest

from trafficscope.detection.checksums import (
    imei_complete,
    imei_ok,
    imei_rbi_known,
    luhn_digit,
    luhn_ok,
)


@pytest.mark.parametrize(("digits", "ok"), [
    ("79927398713", True),  # the textbook Luhn example
    ("79927398710", False),  # same number, wrong check digit
    ("490154203237518", True),  # a valid IMEI
    ("490154203237519", False),  # IMEI with the last digit changed
    ("0", False),  # too short to carry a check digit
    ("", False),  # empty
    ("4901 5420", False),  # not digits only
    ("٤٩٠١٥٤٢٠٣٢٣٧٥١٨", False),  # non-ASCII digits are not accepted
])
def test_luhn_ok(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


def test_luhn_digit_completes() -> None:
    assert luhn_digit("49015420323751") == "8"
    assert luhn_ok("7992739871" + luhn_digit("7992739871"))


@pytest.mark.parametrize(("digits", "ok"), [
    ("490154203237518", True),  # valid check digit, real TAC
    ("352099001761481", True),  # valid (GSMA's documentation example)
    ("490154203237517", False),  # bad check digit
    ("000000000000000", False),  # all-zero TAC: a placeholder, Luhn-valid
    ("49015420323751", False),  # 14 digits: not a full IMEI
    ("4901542032375180", False),  # 16 digits (IMEISV) is not an IMEI
])
def test_imei_ok(digits: str, ok: bool) -> None:
    assert imei_ok(digits) is ok


def test_imei_rbi_and_complete() -> None:
    assert imei_rbi_known("86xxxxxxxxxxxxx")
    assert not imei_rbi_known("12xxxxxxxxxxxxx")
    assert imei_complete("49015420323751") == "490154203237518"
    assert imei_complete("490154203237518") == "490154203237518"
    assert imei_complete("abc") == "abc"
