"""Pattern detectors, one small module per entity, and their registry.

Adding a detector: write a module with a `Detector` subclass (ENTITY,
PATTERNS, a static `validate`/`normalize`) and add it to `DETECTORS`.
"""

from __future__ import annotations

from .ad_id import AdIdDetector
from .base import VALIDATED, Detector, FlowCandidate, Pattern
from .email import EmailDetector
from .imei import ImeiDetector
from .location import LocationDetector
from .mac import MacDetector
from .phone import PhoneDetector

#: Every pattern detector the Scanner runs, in reporting order.
DETECTORS: tuple[type[Detector], ...] = (
    EmailDetector,
    PhoneDetector,
    ImeiDetector,
    MacDetector,
    AdIdDetector,
    LocationDetector,
)

__all__ = [
    "DETECTORS",
    "VALIDATED",
    "AdIdDetector",
    "Detector",
    "EmailDetector",
    "FlowCandidate",
    "ImeiDetector",
    "LocationDetector",
    "MacDetector",
    "Pattern",
    "PhoneDetector",
]
