"""WIFI_SSID, DEVICE_NAME, SERIAL and PERSON_NAME: text that only its key identifies.

Any text can be a network or device name, so these are reported only for a
field whose key names the entity (`ssid`, `wifi_name`; `device_name`,
`bluetooth_name`), with placeholders dropped (`<unknown ssid>`, `unknown`,
empty, over 64 characters). A quoted SSID (`"HomeWiFi"`, as Android's
`WifiInfo.getSSID()` returns it) is unquoted. A value decoded from text that
reads as a name (`iPhonediMonica` is also valid base64, of bytes that read
as GB18030) is not reported beside it. A cookie that is a service's
session token by its company (`keys.token_cookies`: Google's `SSID` beside
`SID` and `HSID`) names nothing. A hardware serial number (`serial`,
`serialno`: Build.SERIAL) must look like one (6-20 letters and digits, both),
and not be a value shared by many devices (`0123456789ABCDEF`); a person's
name (`realname`, `fullname`) must be letters, with spaces, `'`, `-`, `.` or
`·` between them.

The name a device gives itself in DHCP (option 12 `hostname`, option 81
`fqdn`: `Lucas-iPhone`, `iPhonediMonica`), broadcast whenever it joins a
network, is its device name, as are the host and service instance names it
announces over mDNS (`Luca’s iMac`). Android 2.2 to 7 sent `android-` and its
ANDROID_ID there instead (`net.hostname`): that is reported as the
ANDROID_ID (`android_id.AndroidIdDetector`), not as a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import chain

from ...model import Field
from ..keys import key_priors, normalize_key, token_cookies
from .base import Detector, FlowCandidate

PLACEHOLDERS = frozenset({
    "", "<unknown ssid>", "unknown", "null", "none", "nil", "undefined", "0x", "wifi", "-",
    "unknown ssid", "android", "iphone", "ipad", "default", "localhost",
})
MAX_LENGTH = 64
#: Fields holding the name a device gives itself, by location: DHCP options 12 and
#: 81, and what it announces over mDNS (its host name, its services' instance name).
SELF_NAMES = {"dhcp": frozenset({"hostname", "fqdn"}), "mdns": frozenset({"hostname", "instance"})}
_SELF_NAME_KEYS = frozenset().union(*SELF_NAMES.values())
#: Android 2.2-7's DHCP host name: `android-` and the ANDROID_ID.
ANDROID_HOSTNAME = re.compile(r"android-([0-9A-Fa-f]{16})", re.ASCII)


#: Free text that reads as a name: letters, spaces and `'._-`, digits only at the end.
_NAME_LIKE = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '._-])*[0-9]*")


def _decoded_from_names(fields: Sequence[Field]) -> set[int]:
    """The ids of fields decoded from a value that reads as a name: the field before
    them at the same place (location and key) whose encoding theirs extends. (One
    pass: a value's decodings follow it; a repeated key starts a new chain.)"""
    out: set[int] = set()
    chains: dict[tuple[str, str | None], list[tuple[tuple[str, ...], bool]]] = {}
    for g in fields:
        chain_ = chains.setdefault((g.location, g.key), [])
        n = len(g.encoding)
        while chain_ and not (len(chain_[-1][0]) < n and g.encoding[:len(chain_[-1][0])]
                              == chain_[-1][0]):
            chain_.pop()
        if any(named for _, named in chain_):
            out.add(id(g))
        chain_.append((g.encoding, _NAME_LIKE.fullmatch(g.value.strip()) is not None))
    return out


#: A hardware serial number: 6-20 letters and digits, at least one of each.
SERIAL_SHAPE = re.compile(r"(?=[0-9A-Za-z]*[0-9])(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{6,20}")
#: Serial numbers many devices report: cheap boards' default, emulators' and Android
#: 8+'s answer without READ_PHONE_STATE (`unknown`, a placeholder already).
SHARED_SERIALS = frozenset({"0123456789abcdef", "0123456789abcde", "emulator5554"})
#: A person's name: words of letters (any script) joined by ` '-.·`.
PERSON_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:[ '.·-]{1,2}[^\W\d_]+)*")
NOT_NAMES = frozenset({"anonymous", "guest", "user", "test", "admin", "name", "nickname"})


class _DecodedFromNames:
    """`f in this`: whether field `f` was decoded from a value that reads as a name
    (`_decoded_from_names`, worked out for the flow on the first question)."""

    def __init__(self, fields: Sequence[Field]) -> None:
        self._fields = fields
        self._ids: set[int] | None = None

    def __contains__(self, f: Field) -> bool:
        if not f.encoding:
            return False
        if self._ids is None:
            self._ids = _decoded_from_names(self._fields)
        return id(f) in self._ids


def _no_name(value: str) -> bool:
    return value.lower() in PLACEHOLDERS or len(value) > MAX_LENGTH


def _named(fields: Sequence[Field], entity: str) -> Iterable[FlowCandidate]:
    tokens: frozenset[str] | None = None
    derived = _DecodedFromNames(fields)
    for f in fields:
        prior = key_priors(f.key).get(entity)
        if not prior:
            continue
        if f.location == "cookie" and f.key:
            if tokens is None:
                tokens = token_cookies(g.key for g in fields if g.location == "cookie" and g.key)
            if normalize_key(f.key) in tokens:
                continue
        value = f.value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if _no_name(value) or value.isdigit() or f in derived:
            continue
        yield FlowCandidate(f, value, 0.4 + prior, (f"key:{entity.lower()}",))


def _self_names(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
    derived = _DecodedFromNames(fields)
    for f in fields:
        if f.key not in SELF_NAMES.get(f.location, ()):
            continue
        value = f.value.strip().rstrip(".")
        if _no_name(value) or ANDROID_HOSTNAME.fullmatch(value) or f in derived:
            continue
        yield FlowCandidate(f, value, 0.7, (f"{f.location}:{f.key}",))


class _KeyNamed(Detector):
    """Text under a key that names the entity (`_named`), when `accept` takes it."""

    @staticmethod
    def accept(value: str) -> bool:
        return True

    @classmethod
    def from_flow(cls, fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return (c for c in _named(fields, cls.ENTITY) if cls.accept(c.value))

    @classmethod
    def wants_key(cls, key: str) -> bool:
        return bool(key_priors(key).get(cls.ENTITY))


class SerialDetector(_KeyNamed):
    ENTITY = "SERIAL"

    @staticmethod
    def accept(value: str) -> bool:
        return bool(SERIAL_SHAPE.fullmatch(value)) and value.lower() not in SHARED_SERIALS


class PersonNameDetector(_KeyNamed):
    ENTITY = "PERSON_NAME"

    @staticmethod
    def accept(value: str) -> bool:
        return bool(PERSON_NAME_SHAPE.fullmatch(value)) and value.lower() not in NOT_NAMES


class WifiSsidDetector(_KeyNamed):
    ENTITY = "WIFI_SSID"


class DeviceNameDetector(_KeyNamed):
    ENTITY = "DEVICE_NAME"

    @classmethod
    def from_flow(cls, fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return chain(_named(fields, cls.ENTITY), _self_names(fields))

    @classmethod
    def wants_key(cls, key: str) -> bool:
        return key in _SELF_NAME_KEYS or bool(key_priors(key).get(cls.ENTITY))
