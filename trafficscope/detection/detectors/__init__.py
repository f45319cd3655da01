"""Pattern detectors, one small module per entity, and their registry.

Adding a detector: write a module with a `Detector` subclass (ENTITY,
PATTERNS, a static `validate`/`normalize`) and add it to `DETECTORS`.
"""

from __future__ import annotations

from .ad_id import AdIdDetector
from .android_id import AndroidIdDetector
from .base import VALIDATED, Detector, FlowCandidate, Pattern
from .cell import CellIdDetector
from .email import EmailDetector
from .iccid import IccidDetector
from .imei import ImeiDetector
from .imsi import ImsiDetector
from .keyed import DeviceNameDetector, PersonNameDetector, SerialDetector, WifiSsidDetector
from .lists import AppListDetector, CallLogDetector, ContactsDetector, SmsDetector
from .location import LocationDetector
from .mac import MacDetector
from .meid import MeidDetector
from .national_id import NationalIdDetector
from .phone import PhoneDetector

#: Every pattern detector the Scanner runs, in reporting order.
DETECTORS: tuple[type[Detector], ...] = (
    EmailDetector,
    PhoneDetector,
    ImeiDetector,
    MacDetector,
    AdIdDetector,
    LocationDetector,
    ImsiDetector,
    IccidDetector,
    MeidDetector,
    AndroidIdDetector,
    NationalIdDetector,
    WifiSsidDetector,
    DeviceNameDetector,
    SerialDetector,
    PersonNameDetector,
    CellIdDetector,
    AppListDetector,
    ContactsDetector,
    CallLogDetector,
    SmsDetector,
)

__all__ = [
    "DETECTORS",
    "VALIDATED",
    "AdIdDetector",
    "AndroidIdDetector",
    "AppListDetector",
    "CallLogDetector",
    "CellIdDetector",
    "ContactsDetector",
    "Detector",
    "DeviceNameDetector",
    "EmailDetector",
    "FlowCandidate",
    "IccidDetector",
    "ImeiDetector",
    "ImsiDetector",
    "LocationDetector",
    "MacDetector",
    "MeidDetector",
    "NationalIdDetector",
    "Pattern",
    "PersonNameDetector",
    "PhoneDetector",
    "SerialDetector",
    "SmsDetector",
    "WifiSsidDetector",
]
