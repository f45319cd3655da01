import tomllib
from pathlib import Path

import pytest

from trafficscope.errors import ReadError
from trafficscope.profile import TEMPLATE, load_profile, parse_profile

DESIGN_PROFILE = """
[device]
imei = ["490154203237518", "490154203237526"]
ad_id = "38400000-8cf0-11bd-b23e-10b96e40000d"
wifi_mac = "02:1a:11:f0:c3:7e"
[owner]
email = "jane.doe.test@example.org"
phone = "+8613812345678"
[location]
lat = 39.9042
lon = 116.4074
radius_m = 500
[[contacts]]
name = "Li Lei"
phone = "+8613900001111"
[apps]
installed = ["com.tencent.mm", "com.eg.android.AlipayGphone"]
"""


def test_parse_design_profile(tmp_path: Path) -> None:
    p = tmp_path / "phone.toml"
    p.write_text(DESIGN_PROFILE)
    prof = load_profile(p)
    by_entity = {(v.entity, v.value) for v in prof.values}
    assert ("IMEI", "490154203237518") in by_entity
    assert ("IMEI", "490154203237526") in by_entity  # lists: dual SIM
    assert ("MAC", "02:1a:11:f0:c3:7e") in by_entity
    assert ("CONTACTS", "+8613900001111") in by_entity
    assert prof.location is not None and prof.location.radius_m == 500
    assert prof.installed_apps == ("com.tencent.mm", "com.eg.android.AlipayGphone")
    # keys, never values
    assert "device.imei" in prof.keys_used and "contacts" in prof.keys_used
    assert not any("4901" in k for k in prof.keys_used)


def test_template_is_valid_and_empty() -> None:
    assert not parse_profile(tomllib.loads(TEMPLATE))


@pytest.mark.parametrize(("text", "reason"), [
    ("[device\nimei=1", "not a valid TOML"),
    ("device = 3", "must be a table"),
    ("[device]\nimei = [{a=1}]", "string or a list"),
    ("[location]\nlat = 1", "needs lat and lon"),
    ("[location]\nlat = 100\nlon = 0", "out of range"),
])
def test_bad_profiles_name_file_and_reason(tmp_path: Path, text: str, reason: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ReadError) as e:
        load_profile(p)
    assert str(p) in str(e.value) and reason in str(e.value)


def test_missing_profile(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        load_profile(tmp_path / "nope.toml")
