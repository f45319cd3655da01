"""WIFI_SSID and DEVICE_NAME: free text that only its key identifies.

Any text can be a network or device name, so these are reported only for a
field whose key names the entity (`ssid`, `wifi_name`; `device_name`,
`bluetooth_name`), with placeholders dropped (`<unknown ssid>`, `unknown`,
empty, over 64 characters). A quoted SSID (`"HomeWiFi"`, as Android's
`WifiInfo.getSSID()` returns it) is unquoted. A cookie that is a service's
session token by its company (`keys.token_cookies`: Google's `SSID` beside
`SID` and `HSID`) names nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...model import Field
from ..keys import key_priors, normalize_key, token_cookies
from .base import Detector, FlowCandidate

PLACEHOLDERS = frozenset({
    "", "<unknown ssid>", "unknown", "null", "none", "nil", "undefined", "0x", "wifi", "-",
    "unknown ssid", "android", "iphone", "ipad", "default",
})
MAX_LENGTH = 64


def _named(fields: Sequence[Field], entity: str) -> Iterable[FlowCandidate]:
    tokens: frozenset[str] | None = None
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
        if value.lower() in PLACEHOLDERS or len(value) > MAX_LENGTH or value.isdigit():
            continue
        yield FlowCandidate(f, value, 0.4 + prior, (f"key:{entity.lower()}",))


class WifiSsidDetector(Detector):
    ENTITY = "WIFI_SSID"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return _named(fields, "WIFI_SSID")

    @staticmethod
    def wants_key(key: str) -> bool:
        return bool(key_priors(key).get("WIFI_SSID"))


class DeviceNameDetector(Detector):
    ENTITY = "DEVICE_NAME"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return _named(fields, "DEVICE_NAME")

    @staticmethod
    def wants_key(key: str) -> bool:
        return bool(key_priors(key).get("DEVICE_NAME"))

