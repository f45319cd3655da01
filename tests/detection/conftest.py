"""Shared fixtures: the DESIGN.md sample profile and scanners on both backends."""

from __future__ import annotations

import tomllib

import pytest

from trafficscope.detection import Scanner
from trafficscope.detection.engine import available_backends
from trafficscope.model import Detection, Field
from trafficscope.profile import Profile, parse_profile

PROFILE_TOML = """
[device]
imei = ["490154203237518"]
imsi = "460001234567890"
android_id = "a1b2c3d4e5f60718"
ad_id = "38400000-8cf0-11bd-b23e-10b96e40000d"
wifi_mac = "02:1a:11:f0:c3:7e"
wifi_ssid = "HomeWiFi-5G"
wifi_bssid = "a4:2b:b0:5e:11:9c"

[owner]
name = "Jane Doe"
email = "jane.doe.test@example.org"
phone = "+8613812345678"

[location]
lat = 39.9042
lon = 116.4074
radius_m = 500

[[contacts]]
name = "李雷"
phone = "+8613900001111"

[apps]
installed = ["com.tencent.mm", "com.eg.android.AlipayGphone"]
"""

BACKENDS = available_backends()


@pytest.fixture(scope="session")
def profile() -> Profile:
    return parse_profile(tomllib.loads(PROFILE_TOML))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def bare(backend: str) -> Scanner:
    """A scanner without a profile: patterns only (built once per backend)."""
    return Scanner(None, backend=backend)


@pytest.fixture(scope="session")
def known(backend: str, profile: Profile) -> Scanner:
    """A scanner with the sample profile (built once per backend)."""
    return Scanner(profile, backend=backend)


def scan_one(scanner: Scanner, value: str, key: str | None = None,
             location: str = "body") -> list[Detection]:
    return scanner.scan([Field(location, key, value)])
