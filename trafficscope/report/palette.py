"""Colours and plain-language names shared by every chart and the report.

One table: an entity keeps its colour in the heatmap, the bars, the flow
diagram, the timeline and the findings table. Colours are grouped by what
the data is about (device identifiers blue, network teal, the person warm,
place green, apps purple) so a reader learns them once.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import ENTITIES

#: Entity -> (colour, short label for charts and tables, phrase used in sentences).
ENTITY_STYLE: dict[str, tuple[str, str, str]] = {
    "IMEI": ("#1f5fa8", "IMEI", "the IMEI (phone serial number)"),
    "MEID": ("#2d74c4", "MEID", "the MEID (phone serial number)"),
    "IMSI": ("#4a8fd9", "IMSI", "the IMSI (SIM subscriber number)"),
    "ICCID": ("#73a9e3", "SIM card no.", "the ICCID (SIM card number)"),
    "SERIAL": ("#3b4f9e", "Serial no.", "the hardware serial number"),
    "ANDROID_ID": ("#5b6fc7", "Android ID", "the Android ID"),
    "AD_ID": ("#8a9be8", "Advertising ID", "the advertising ID"),
    "MAC": ("#0f7b7b", "MAC address", "the Wi-Fi or Bluetooth MAC address"),
    "WIFI_SSID": ("#2aa198", "Wi-Fi name", "the Wi-Fi network name"),
    "WIFI_BSSID": ("#6cc3b8", "Wi-Fi router", "the Wi-Fi router address"),
    "DEVICE_NAME": ("#8c6d46", "Device name", "the device name"),
    "PHONE": ("#d9480f", "Phone no.", "the phone number"),
    "EMAIL": ("#e8590c", "Email", "the email address"),
    "PERSON_NAME": ("#f08c00", "Name", "the owner's name"),
    "NATIONAL_ID": ("#c92a2a", "National ID", "the national ID number"),
    "CONTACTS": ("#e64980", "Contacts", "the contact list"),
    "LOCATION": ("#2f9e44", "Location", "the location"),
    "CELL_ID": ("#74b816", "Cell ID", "the mobile cell ID"),
    "APP_LIST": ("#7048e8", "App list", "the list of installed apps"),
    "CALL_LOG": ("#ae3ec9", "Call log", "the call log"),
    "SMS": ("#9c36b5", "SMS", "text messages"),
}
assert tuple(ENTITY_STYLE) == ENTITIES

UNKNOWN_COLOUR = "#868e96"

#: Party -> (colour, label).
PARTY_STYLE: dict[str, tuple[str, str]] = {
    "first": ("#495057", "first party (the app's own company)"),
    "third": ("#c2255c", "third party"),
    "unknown": ("#868e96", "party unknown"),
}

#: Neutral colours of the layout (ink, muted text, grid, background).
INK, MUTED, GRID, PAPER = "#212529", "#6c757d", "#dee2e6", "#ffffff"


def entity_colour(entity: str) -> str:
    return ENTITY_STYLE.get(entity, (UNKNOWN_COLOUR, "", ""))[0]


def entity_label(entity: str) -> str:
    """Short name for charts and tables ("Advertising ID" for AD_ID)."""
    return ENTITY_STYLE.get(entity, ("", entity, ""))[1]


def entity_phrase(entity: str) -> str:
    return ENTITY_STYLE.get(entity, ("", "", entity))[2]


def party_colour(party: str) -> str:
    return PARTY_STYLE.get(party, PARTY_STYLE["unknown"])[0]


def entity_order(entities: Iterable[object]) -> list[str]:
    """`entities` in the stable vocabulary order (unknown names last, sorted)."""
    seen = {str(e) for e in entities}
    return [e for e in ENTITIES if e in seen] + sorted(seen - set(ENTITIES))
