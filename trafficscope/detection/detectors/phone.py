"""PHONE: numbers that phonenumbers parses as valid, normalised to E.164.

Patterns: an international number written with `+`; a Chinese mobile number
(`1[3-9]` and 9 more digits, optionally after `+86`/`0086`/`86`); any other
run of 7-15 digits, but only under a phone-ish key. Numbers without a country
code are read in `REGION` (a setting: the default test phones are Chinese).
The validator confirms valid numbers written with `+` or `00`, keeps the base
score for valid numbers without a country code, and drops invalid ones, runs
of fewer than 7 digits and services' numbers (`SERVICE_TYPES`: free-phone,
premium-rate, shared-cost such as China's 400 numbers: a shop's hotline in a
page's JSON-LD is no one's personal data). Digits right after a country code
(`+1-800-...`) belong to the international number, not to a number of their
own. A greedy match that swallowed a trailing group (`+86 138 1234 5678 2023`)
is retried without it, up to three groups. Epoch times (10 or 13 digits)
never fit the mobile pattern's digit guards, and a time key (`ts`) halves any
score.
"""

from __future__ import annotations

import re
from typing import ClassVar

import phonenumbers

from .base import ALNUM, DIGITS, NOT_AFTER_DIGIT_DOT, NOT_BEFORE_DOT_DIGIT, Detector, Pattern

#: Region for numbers written without a country code.
REGION = "CN"
MIN_DIGITS = 7
# Digits between dashes inside a UUID (`c177-4782-9095-e2e4`) are no phone number.
NOT_IN_UUID_BEFORE = r"(?<![0-9A-Fa-f]-)"
NOT_IN_UUID_AFTER = r"(?!-[0-9A-Fa-f])"
_LAST_GROUP = re.compile(r"[ ()-]+[0-9]*$")
#: Digits after `+` and a one- to three-digit country code are the rest of that number.
NOT_AFTER_COUNTRY_CODE = r"(?<!\+[0-9][ -])(?<!\+[0-9]{2}[ -])(?<!\+[0-9]{3}[ -])"
#: Numbers that reach a service, never a person.
SERVICE_TYPES = frozenset({phonenumbers.PhoneNumberType.TOLL_FREE,
                           phonenumbers.PhoneNumberType.PREMIUM_RATE,
                           phonenumbers.PhoneNumberType.SHARED_COST,
                           phonenumbers.PhoneNumberType.UAN})


def parse(text: str) -> phonenumbers.PhoneNumber | None:
    """The number in `text` (read in `REGION` without a `+`), if valid."""
    digits = sum(c.isdigit() for c in text)
    if digits < MIN_DIGITS or digits > 17:
        return None
    for _ in range(4):  # a greedy match may have taken a trailing group: drop it
        try:
            num = phonenumbers.parse(text, REGION)
        except phonenumbers.NumberParseException:
            num = None
        if num is not None and phonenumbers.is_valid_number(num):
            return num
        head = _LAST_GROUP.sub("", text)
        if head == text or sum(c.isdigit() for c in head) < MIN_DIGITS:
            return None
        text = head
    return None


class PhoneDetector(Detector):
    ENTITY = "PHONE"
    NUMERIC = True
    VALIDATOR = "phonenumbers"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        Pattern("international", r"\+[1-9][0-9 ()-]{5,20}[0-9]", 0.5,
                edge_before="0-9A-Za-z+", edge_after=DIGITS, guard_after=NOT_BEFORE_DOT_DIGIT),
        Pattern("cn-mobile", r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}", 0.4,
                edge_before="0-9A-Za-z+", edge_after=ALNUM,
                guard_before=NOT_AFTER_DIGIT_DOT + NOT_IN_UUID_BEFORE + NOT_AFTER_COUNTRY_CODE,
                guard_after=NOT_BEFORE_DOT_DIGIT + NOT_IN_UUID_AFTER),
        Pattern("digits", r"[0-9][0-9 -]{5,16}[0-9]", 0.3,
                edge_before="0-9+", edge_after=DIGITS,
                guard_before=NOT_AFTER_DIGIT_DOT + NOT_AFTER_COUNTRY_CODE,
                guard_after=NOT_BEFORE_DOT_DIGIT, needs_key=True),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        num = parse(text)
        if num is None or phonenumbers.number_type(num) in SERVICE_TYPES:
            return False
        return True if text.startswith(("+", "00")) else None

    @staticmethod
    def normalize(text: str) -> str:
        num = parse(text)
        if num is None:
            return text
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


