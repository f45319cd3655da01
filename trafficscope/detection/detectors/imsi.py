"""IMSI: 15 digits, a mobile country code (MCC) and network code (MNC), then the subscriber.

Chinese IMSIs (MCC 460 with a known MNC) are recognised anywhere; any other
15-digit run counts only under an IMSI key, and its MCC must be a real one
(`MCC`, ITU-T E.212 codes of the countries test phones come from). A time
key halves the score (digits).

Any IMSI is also recognised as the user part of a 3GPP network access
identifier (TS 23.003: `<IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org`, the
IMS private identity a phone sends in SIP REGISTER for VoLTE and Wi-Fi
calling; RFC 4187/5448: the same with a leading `0`, `1` or `6` in EAP-AKA,
EAP-SIM and EAP-AKA' on Wi-Fi): the domain names the IMSI's MCC and MNC,
which confirms it. The IMSI is reported, not the identifier.
"""

from __future__ import annotations

import re
from typing import ClassVar

from .base import DIGIT_RUN_15, DIGITS, Detector, Pattern, whole_number

#: MNCs of MCC 460 (China Mobile, Unicom, Telecom, Tietong, CBN).
CN_MNC = frozenset({"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "11", "15",
                    "20"})
#: Mobile country codes (ITU-T E.212) accepted for IMSIs under an IMSI key.
MCC = frozenset({
    "202", "204", "206", "208", "214", "216", "222", "226", "228", "230", "232", "234", "235",
    "238", "240", "242", "244", "246", "247", "248", "250", "255", "260", "262", "268", "270",
    "272", "274", "276", "280", "284", "286", "293", "294", "297", "302", "310", "311", "312",
    "313", "314", "315", "316", "334", "404", "405", "406", "410", "413", "414", "415", "416",
    "418", "419", "420", "421", "422", "424", "425", "426", "427", "428", "429", "432", "434",
    "436", "437", "438", "440", "441", "450", "452", "454", "455", "456", "457", "460", "461",
    "466", "470", "472", "502", "505", "510", "515", "520", "525", "530", "602", "603", "604",
    "605", "606", "620", "621", "639", "655", "722", "724", "730", "732", "734", "740",
})


def imsi_ok(digits: str) -> bool:
    """15 digits with a real MCC (and for 460, a real MNC)."""
    if len(digits) != 15 or not digits.isdigit() or digits[:3] not in MCC:
        return False
    return digits[:3] != "460" or digits[3:5] in CN_MNC


_NAI_DOMAIN = re.compile(r"mnc([0-9]{3})\.mcc([0-9]{3})\.3gppnetwork\.org", re.ASCII)
#: Leading digits of an EAP permanent identity: 0 EAP-AKA, 1 EAP-SIM, 6 EAP-AKA'.
EAP_PREFIXES = frozenset("016")


def nai_imsi(text: str) -> str | None:
    """The IMSI in a 3GPP network access identifier, if its domain names the
    IMSI's MCC and MNC (a two-digit MNC is written with a leading 0 there)."""
    user, _, domain = text.partition("@")
    m = _NAI_DOMAIN.search(domain.lower())
    if m is None:
        return None
    if len(user) == 16 and user[0] in EAP_PREFIXES:
        user = user[1:]
    if len(user) != 15:
        return None
    mnc, mcc = m.groups()
    if user[:3] != mcc or not (user[3:6] == mnc or (mnc[0] == "0" and user[3:5] == mnc[1:])):
        return None
    return user


class ImsiDetector(Detector):
    ENTITY = "IMSI"
    NUMERIC = True
    VALIDATOR = "mcc-mnc"
    PATTERNS: ClassVar[tuple[Pattern, ...]] = (
        whole_number("cn-imsi", r"460(?:0[0-9]|11|15|20)[0-9]{10}", 0.5,
                     prefilter=DIGIT_RUN_15),
        whole_number("imsi", r"[2-7][0-9]{14}", 0.3, needs_key=True),
        Pattern("3gpp-nai", r"[0-9]{15,16}@(?:[A-Za-z0-9-]{1,32}\.){0,4}mnc[0-9]{3}\.mcc[0-9]{3}"
                r"\.3gppnetwork\.org", 0.3, edge_before=DIGITS, edge_after="0-9A-Za-z-",
                caseless=True,
                # (Hyperscan starts from the domain: a run of digits first costs it 10%)
                prefilter=r"mnc[0-9]{3}\.mcc[0-9]{3}\.3gppnetwork\.org"),
    )

    @staticmethod
    def validate(text: str) -> bool | None:
        if "@" in text:
            return nai_imsi(text) is not None
        return imsi_ok(text)

    @staticmethod
    def normalize(text: str) -> str:
        return nai_imsi(text) or text if "@" in text else text
