"""The profile of the test phone: the values trafficscope looks for by name.

Format (TOML) is in DESIGN.md; every key is optional and a value may be a list.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ReadError

#: (table, key) -> entity. Order is the template's order.
PROFILE_KEYS: dict[tuple[str, str], str] = {
    ("device", "imei"): "IMEI",
    ("device", "meid"): "MEID",
    ("device", "imsi"): "IMSI",
    ("device", "iccid"): "ICCID",
    ("device", "serial"): "SERIAL",
    ("device", "android_id"): "ANDROID_ID",
    ("device", "ad_id"): "AD_ID",
    ("device", "wifi_mac"): "MAC",
    ("device", "bluetooth_mac"): "MAC",
    ("device", "wifi_ssid"): "WIFI_SSID",
    ("device", "wifi_bssid"): "WIFI_BSSID",
    ("device", "device_name"): "DEVICE_NAME",
    ("owner", "name"): "PERSON_NAME",
    ("owner", "email"): "EMAIL",
    ("owner", "phone"): "PHONE",
    ("owner", "national_id"): "NATIONAL_ID",
}
CONTACT_KEYS = ("name", "phone", "email")


@dataclass(frozen=True, slots=True)
class KnownValue:
    """One value of the test phone, e.g. ('IMEI', 'device.imei', '4901...')."""

    entity: str
    source_key: str  # e.g. device.imei, contacts.0.phone
    value: str


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    radius_m: float = 500.0


@dataclass(frozen=True, slots=True)
class Profile:
    values: tuple[KnownValue, ...] = ()
    location: Location | None = None
    installed_apps: tuple[str, ...] = ()
    path: str | None = None

    @property
    def keys_used(self) -> tuple[str, ...]:
        """Profile keys present (never values): safe to show in reports."""
        keys = {v.source_key.split(".")[0] if v.source_key.startswith("contacts.")
                else v.source_key for v in self.values}
        if self.location:
            keys.add("location")
        if self.installed_apps:
            keys.add("apps.installed")
        return tuple(sorted(keys))

    def __bool__(self) -> bool:
        return bool(self.values or self.location or self.installed_apps)


def _as_list(value: object, where: str, path: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ReadError(path, f"{where} must be a string or a list of strings")
        text = str(item).strip()
        if text:
            out.append(text)
    return out


def parse_profile(data: dict[str, object], path: str = "<profile>") -> Profile:
    """Build a Profile from parsed TOML, checking types; raises ReadError."""
    values: list[KnownValue] = []
    for (table, key), entity in PROFILE_KEYS.items():
        section = data.get(table)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ReadError(path, f"[{table}] must be a table")
        if key in section:
            for v in _as_list(section[key], f"{table}.{key}", path):
                values.append(KnownValue(entity, f"{table}.{key}", v))
    contacts = data.get("contacts", [])
    if not isinstance(contacts, list):
        raise ReadError(path, "[[contacts]] must be an array of tables")
    for i, contact in enumerate(contacts):
        if not isinstance(contact, dict):
            raise ReadError(path, "[[contacts]] must be an array of tables")
        for key in CONTACT_KEYS:
            if key in contact:
                for v in _as_list(contact[key], f"contacts.{key}", path):
                    values.append(KnownValue("CONTACTS", f"contacts.{i}.{key}", v))
    location = None
    loc = data.get("location")
    if loc is not None:
        if not isinstance(loc, dict) or "lat" not in loc or "lon" not in loc:
            raise ReadError(path, "[location] needs lat and lon")
        try:
            lat, lon = float(loc["lat"]), float(loc["lon"])
            radius = float(loc.get("radius_m", 500))
        except (TypeError, ValueError):
            raise ReadError(path, "[location] lat, lon and radius_m must be numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or radius <= 0:
            raise ReadError(path, "[location] lat/lon out of range or radius_m not positive")
        location = Location(lat, lon, radius)
    apps: Iterable[str] = ()
    app_table = data.get("apps")
    if app_table is not None:
        if not isinstance(app_table, dict):
            raise ReadError(path, "[apps] must be a table")
        apps = _as_list(app_table.get("installed", []), "apps.installed", path)
    return Profile(tuple(values), location, tuple(apps), path)


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read a profile TOML file; raises ReadError naming the file and reason."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ReadError(p, "no such file") from None
    except IsADirectoryError:
        raise ReadError(p, "is a directory, not a profile file") from None
    except OSError as e:
        raise ReadError(p, e.strerror or str(e)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ReadError(p, f"not a valid TOML profile ({e})") from None
    return parse_profile(data, str(p))


TEMPLATE = '''\
# trafficscope profile of the test phone.
# Every key is optional; a value may be a list (dual SIM, several contacts).
# trafficscope looks for these values, and their encodings and hashes, in
# the traffic. Use a dedicated test phone and test accounts.

[device]
# imei = ["490154203237518"]        # *#06# on the phone; both SIM slots
# meid = "A0000000002329"
# imsi = "460001234567890"          # subscriber id of the SIM
# iccid = "89860012345678901234"    # SIM card serial
# serial = "R58M1234ABC"
# android_id = "a1b2c3d4e5f60718"   # Settings.Secure.ANDROID_ID
# ad_id = "38400000-8cf0-11bd-b23e-10b96e40000d"   # GAID / IDFA / OAID
# wifi_mac = "02:1a:11:f0:c3:7e"
# bluetooth_mac = "02:1a:11:f0:c3:7f"
# wifi_ssid = "HomeWiFi-5G"
# wifi_bssid = "a4:2b:b0:5e:11:9c"
# device_name = "Jane's Pixel"

[owner]
# name = "Jane Doe"
# email = "jane.doe.test@example.org"
# phone = "+8613812345678"
# national_id = "11010519491231002X"

# [location]
# lat = 39.9042
# lon = 116.4074
# radius_m = 500                    # any coordinate this close counts

# [[contacts]]
# name = "Li Lei"
# phone = "+8613900001111"

# [apps]
# installed = ["com.tencent.mm", "com.eg.android.AlipayGphone"]
'''
