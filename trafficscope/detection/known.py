"""The test phone's own values, expanded into the forms apps write them in.

Every profile value becomes a few literal `Variant`s that the engine matches
together with the patterns, in the same single pass; each variant maps back
to its entity and the normalised profile value:

- IMEI: 15 digits, 14 digits (no check digit), stdnum's `49-015420-323751-8`;
- PHONE (and contact phones): E.164 `+8613812345678`, without `+`, with `00`,
  the national number `13812345678` and national/international groupings with
  spaces or dashes (`138 1234 5678`, `+86 138-1234-5678`);
- MAC, WIFI_BSSID: `:`, `-`, `.`-grouped and bare hex, any case;
- AD_ID: UUID with and without dashes, any case;
- EMAIL: any case, and after a one-letter type tag opening the value under an
  email key (GoSquared sends `email=s<address>`); other values: the value
  itself, any case except SSIDs.

Every form (and its upper case, for hex-like values) also yields derived
variants that carry the steps in `Variant.steps`, recorded as the finding's
`extra_encoding`: `md5`, `sha1`, `sha256` as hex (any case) and as base64
of the digest, chained hashes (`("md5", "sha256")` is SHA-256 of the MD5
hex), base64 of the hash's hex text, and base64 (standard and URL-safe,
padding optional) of the value itself (`HASH_KINDS` says which entities).

Digit values must not touch other digits (`13812345678` inside a longer run
is not the phone); alphanumeric ends must not touch letters or digits.
Values shorter than `MIN_LENGTH` characters (or 3 bytes) are not searched.

Installed app ids are matched the same way; the scanner reports APP_LIST when
a flow carries at least two of them. The profile location is matched by
distance: location forms (`near.py`) are matched as text and then checked,
and pattern detections are checked in `KnownIndex.lookup`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import phonenumbers
from stdnum import imei as _imei

from ..profile import KnownValue, Profile
from .checksums import imei_complete
from .detectors.ad_id import uuid_hex
from .detectors.base import ALNUM, DIGITS, NOT_AFTER_DIGIT_DOT, NOT_BEFORE_DOT_DIGIT
from .detectors.location import haversine_m, parse_pair
from .detectors.mac import mac_hex
from .detectors.phone import REGION
from .engine import EnginePattern, literal_regex
from .near import near
from .near import patterns as near_patterns

MIN_LENGTH = 2
SHORT = 6  # known values shorter than this match with SHORT_CONFIDENCE
SHORT_CONFIDENCE = 0.9
_EMAIL_EDGE_BEFORE = "A-Za-z0-9._%+-"
_EMAIL_EDGE_AFTER = "A-Za-z0-9_-"
_EMAIL_GUARD_AFTER = r"(?!\.[A-Za-z0-9])"
_APP_EDGE_BEFORE = "A-Za-z0-9_."
_APP_EDGE_AFTER = "A-Za-z0-9_"
_APP_GUARD_AFTER = r"(?!\.[A-Za-z0-9_])"
_HEX = frozenset("0123456789abcdef")
_TYPE_TAG = r"(?<=^[A-Za-z])"  # one letter opens the value: a type tag, not a longer name
_B64_EDGE = "A-Za-z0-9+/"
HASHES = ("md5", "sha1", "sha256")
#: Shortest value whose hashes are searched (hashes of 1-3 characters are guessable anyway).
HASH_MIN_LENGTH = 4
#: Derived forms at least this long match without edge checks (`~Ec29ub3...~`).
UNGUARDED_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Variant:
    """One written form of a profile value, as an engine pattern."""

    pattern: EnginePattern
    entity: str
    value: str  # the normalised profile value
    name: str  # which form: exact, imei-14, national, no-separators, ...
    confidence: float
    steps: tuple[str, ...] = ()  # hashes/encodings applied to the value (extra_encoding)
    key_entity: str | None = None  # counts only under a key naming this entity
    near: bool = False  # a location form: `near.near` checks the distance of each match


def kind_of(kv: KnownValue) -> str:
    """The entity whose forms a value takes (a contact's phone is a PHONE)."""
    if kv.entity == "CONTACTS":
        return {"phone": "PHONE", "email": "EMAIL"}.get(kv.source_key.rsplit(".", 1)[-1],
                                                        "PERSON_NAME")
    return kv.entity


def _phone(value: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        return None


def normalize_known(kind: str, value: str) -> str:
    """A profile value in the same normal form the detectors produce."""
    v = value.strip()
    if kind == "IMEI":
        return imei_complete("".join(c for c in v if c.isdigit()))
    if kind == "PHONE":
        num = _phone(v)
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) if num else v
    if kind in ("MAC", "WIFI_BSSID"):
        h = mac_hex(v)
        if len(h) == 12 and set(h) <= _HEX:
            return ":".join(h[i:i + 2] for i in range(0, 12, 2))
        return v.lower()
    if kind == "AD_ID":
        h = uuid_hex(v)
        if len(h) == 32 and set(h) <= _HEX:
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return v.lower()
    if kind in ("EMAIL", "ANDROID_ID"):
        return v.lower()
    if kind in ("MEID", "NATIONAL_ID"):
        return v.upper()
    return v


def forms(kind: str, norm: str) -> dict[str, str]:
    """Written form -> variant name, for a normalised value of `kind`."""
    out: dict[str, str] = {norm: "exact"}
    if kind == "IMEI" and len(norm) == 15 and norm.isdigit():
        out.setdefault(norm[:14], "imei-14")
        out.setdefault(_imei.format(norm), "separators")
    elif kind == "PHONE" and norm.startswith("+"):
        num = _phone(norm)
        if num is not None:
            fmt = phonenumbers.PhoneNumberFormat
            nsn = phonenumbers.national_significant_number(num)
            national = phonenumbers.format_number(num, fmt.NATIONAL)
            intl = phonenumbers.format_number(num, fmt.INTERNATIONAL)
            out.setdefault(norm[1:], "no-plus")
            out.setdefault("00" + norm[1:], "00-prefix")
            if len(nsn) >= 6:
                out.setdefault(nsn, "national")
            for text in (national, intl):
                out.setdefault(text, "grouped")
                out.setdefault(text.replace(" ", "-"), "grouped")
                out.setdefault(text.replace(" ", ""), "grouped")
    elif kind in ("MAC", "WIFI_BSSID") and len(norm) == 17:
        h = norm.replace(":", "")
        out.setdefault(norm.replace(":", "-"), "dashes")
        out.setdefault(h, "no-separators")
        out.setdefault(f"{h[:4]}.{h[4:8]}.{h[8:]}", "dotted")
    elif kind == "AD_ID" and len(norm) == 36:
        out.setdefault(norm.replace("-", ""), "no-dashes")
    return out


def _pattern(kind: str, text: str) -> EnginePattern:
    caseless = kind != "WIFI_SSID"
    if kind == "EMAIL":
        return EnginePattern(literal_regex(text), caseless, _EMAIL_EDGE_BEFORE,
                             _EMAIL_EDGE_AFTER, "", _EMAIL_GUARD_AFTER)
    first, last = text[0], text[-1]
    digits = text.lstrip("+").replace(" ", "").replace("-", "").isdigit()
    edge_b = edge_a = guard_b = guard_a = ""
    if first.isascii() and (first.isalnum() or first == "+"):
        edge_b, guard_b = (DIGITS, NOT_AFTER_DIGIT_DOT) if digits else (ALNUM, "")
    if last.isascii() and last.isalnum():
        edge_a, guard_a = (DIGITS, NOT_BEFORE_DOT_DIGIT) if digits else (ALNUM, "")
    return EnginePattern(literal_regex(text), caseless, edge_b, edge_a, guard_b, guard_a)


def _hex_pattern(text: str) -> EnginePattern:
    # 128+ bits never match by chance: no edges, so a hash glued to a type tag or
    # to the `22` of a `%22` escape (`%2522e3d9...`) is still found.
    return EnginePattern(text, True)


def _b64_pattern(text: str) -> EnginePattern:
    if len(text) >= UNGUARDED_LENGTH:  # long enough to be evidence wherever it occurs
        return EnginePattern(literal_regex(text), False)
    return EnginePattern(literal_regex(text), False, _B64_EDGE, _B64_EDGE)


def _b64_forms(data: bytes) -> list[str]:
    """Base64 of `data`, standard and URL-safe, without padding (a prefix of the padded)."""
    std = base64.b64encode(data).decode().rstrip("=")
    url = std.replace("+", "-").replace("/", "_")
    return [std] if url == std else [std, url]


def derived(text: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Written form -> (steps, is hex) for the hashes and base64 of one form `text`."""
    data = text.encode("utf-8", "surrogatepass")
    out: dict[str, tuple[tuple[str, ...], bool]] = {}
    digests = {h: hashlib.new(h, data) for h in HASHES}
    for h, d in digests.items():
        hexd = d.hexdigest()
        out.setdefault(hexd, ((h,), True))
        for b in _b64_forms(d.digest()):
            out.setdefault(b, ((h, "base64"), False))
        for b in _b64_forms(hexd.encode()):
            out.setdefault(b, ((h, "base64"), False))
        for h2 in HASHES:
            if h2 != h:
                out.setdefault(hashlib.new(h2, hexd.encode()).hexdigest(), ((h, h2), True))
    if len(data) >= 3:
        for b in _b64_forms(data):
            out.setdefault(b, (("base64",), False))
    return out


def variants(kv: KnownValue) -> list[Variant]:
    kind = kind_of(kv)
    norm = normalize_known(kind, kv.value)
    if len(norm) < MIN_LENGTH or len(norm.encode("utf-8", "surrogatepass")) < 3:
        return []
    conf = SHORT_CONFIDENCE if len(norm) < SHORT else 1.0
    written = forms(kind, norm)
    out = [Variant(_pattern(kind, text), kv.entity, norm, name, conf)
           for text, name in written.items()]
    if kind == "EMAIL":  # GoSquared-style type tag: `email=s<address>`, under an email key
        out.append(Variant(EnginePattern(literal_regex(norm), True, "", _EMAIL_EDGE_AFTER,
                                         _TYPE_TAG, _EMAIL_GUARD_AFTER),
                           kv.entity, norm, "type-tag", conf, (), "EMAIL"))
    if kind not in HASH_KINDS or len(norm) < HASH_MIN_LENGTH:
        return out
    sources = dict.fromkeys(written)
    if kind != "WIFI_SSID":  # hashes are of the exact bytes: the upper-case form too
        for text in written:
            sources.setdefault(text.upper())
    if kv.value.strip() not in sources:
        sources.setdefault(kv.value.strip())
    seen: set[str] = set(written)
    for text in sources:
        for form, (steps, is_hex) in derived(text).items():
            key = form.lower() if is_hex else form
            if key in seen:
                continue
            seen.add(key)
            pattern = _hex_pattern(form) if is_hex else _b64_pattern(form)
            out.append(Variant(pattern, kv.entity, norm, "-".join(steps), conf, steps))
    return out


#: Entities whose hashes and base64 are searched (all but person names, which
#: apps rarely hash and which would add many short variants).
HASH_KINDS = frozenset({
    "IMEI", "MEID", "IMSI", "ICCID", "SERIAL", "ANDROID_ID", "AD_ID", "MAC", "WIFI_SSID",
    "WIFI_BSSID", "DEVICE_NAME", "PHONE", "EMAIL", "NATIONAL_ID",
})


def app_pattern(app_id: str) -> EnginePattern:
    return EnginePattern(literal_regex(app_id), True, _APP_EDGE_BEFORE, _APP_EDGE_AFTER, "",
                         _APP_GUARD_AFTER)


class KnownIndex:
    """The profile's values as variants, and lookups of normalised values."""

    def __init__(self, profile: Profile | None) -> None:
        profile = profile or Profile()
        self.location = profile.location
        vs: list[Variant] = []
        self._by_value: dict[str, str] = {}
        for kv in profile.values:
            got = variants(kv)
            vs.extend(got)
            if got:
                self._by_value.setdefault(got[0].value, kv.entity)
        if self.location is not None:  # matched as text, then checked by distance
            vs.extend(Variant(pattern, "LOCATION", "", name, 1.0, steps, near=True)
                      for pattern, name, steps in near_patterns(self.location))
        self.variants = tuple(vs)
        self.apps = tuple(dict.fromkeys(a for a in profile.installed_apps if len(a) >= 3))

    def near_value(self, variant: Variant, text: str) -> str | None:
        """For a location variant's match: the normalised pair when within the radius."""
        return near(self.location, text, variant.name) if self.location else None

    def lookup(self, entity: str, value: str) -> str | None:
        """The profile entity of a normalised detected value, or None.

        LOCATION matches by distance: within the profile's radius.
        """
        if entity == "LOCATION":
            if self.location is None:
                return None
            pair = parse_pair(value)
            if pair is None:
                return None
            loc = self.location
            return "LOCATION" if haversine_m(*pair, loc.lat, loc.lon) <= loc.radius_m else None
        return self._by_value.get(value)
