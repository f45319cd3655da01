"""Server countries: the bundled GeoLite2 data, the user's own mmdb, non-public addresses."""

import re
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from trafficscope.attribution import geoip_info, open_geoip, public_ip
from trafficscope.attribution.geoip import MmdbGeoIP, record_country
from trafficscope.errors import ReadError


@pytest.mark.parametrize(("ip", "country"), [
    ("142.250.72.142", "US"),       # Google (the sample's app-measurement.com)
    ("157.240.22.19", "US"),        # Meta
    ("106.11.86.22", "CN"),         # Alibaba (ulogs.umeng.com)
    ("183.3.235.111", "CN"),        # Tencent (bugly)
    ("120.76.44.143", "CN"),        # Aliyun (jpush)
    ("::ffff:106.11.86.22", "CN"),  # IPv4-mapped IPv6
])
def test_bundled_countries_of_public_addresses(ip: str, country: str) -> None:
    assert open_geoip().country(ip) == country


def test_bundled_has_ipv6() -> None:
    cc = open_geoip().country("2a03:2880:f12f:83:face:b00c:0:25de")  # Meta's range
    assert cc is not None and re.fullmatch(r"[A-Z]{2}", cc)


@pytest.mark.parametrize("ip", [
    "10.0.0.1", "172.16.5.4", "192.168.1.10",     # private
    "127.0.0.1", "::1",                           # loopback
    "169.254.1.1", "fe80::1",                     # link-local
    "100.64.0.1",                                 # shared address space (CGNAT)
    "192.0.2.1", "198.51.100.7", "203.0.113.10",  # documentation (the sample's own API)
    "2001:db8::1", "fc00::1",                     # documentation, unique local
    "224.0.0.251", "0.0.0.0", "255.255.255.255",  # multicast, unspecified, broadcast
    "not-an-ip", "", None,
])
def test_no_country_for_non_public_addresses(ip: str | None) -> None:
    assert public_ip(ip) is None
    assert open_geoip().country(ip) is None


def test_bundled_database_name_and_date() -> None:
    name, date = geoip_info()
    assert "GeoLite2-Country" in name and "MaxMind" in name
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", date)


@pytest.fixture
def mmdb(tmp_path: Path) -> Path:
    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="DBIP-Country-Lite",
                   description={"en": "trafficscope test"})
    w.insert_network(IPSet(["142.250.0.0/15"]), {"country": {"iso_code": "CH"}})
    w.insert_network(IPSet(["2a03:2880::/32"]), {"country": {"iso_code": "IE"}})
    w.insert_network(IPSet(["10.0.0.0/8"]), {"country": {"iso_code": "ZZ"}})
    path = tmp_path / "mine.mmdb"
    w.to_db_file(str(path))
    return path


def test_user_mmdb(mmdb: Path) -> None:
    db = open_geoip(mmdb)
    assert isinstance(db, MmdbGeoIP)
    assert db.country("142.250.72.142") == "CH"     # the user's data, not the bundled one
    assert db.country("2a03:2880::1") == "IE"
    assert db.country("106.11.86.22") is None       # not in the file
    assert db.country("10.1.2.3") is None           # private, whatever the file says
    name, date = geoip_info(mmdb)
    assert name == "DBIP-Country-Lite" and re.fullmatch(r"\d{4}-\d\d-\d\d", date)


def test_bad_mmdb_is_a_read_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a maxmind database" * 10)
    with pytest.raises(ReadError, match=r"bad\.mmdb.*MaxMind DB"):
        open_geoip(bad)
    with pytest.raises(ReadError, match=r"missing\.mmdb.*no such file"):
        open_geoip(tmp_path / "missing.mmdb")


@pytest.mark.parametrize(("record", "country"), [
    ({"country": {"iso_code": "DE", "names": {"en": "Germany"}}}, "DE"),   # GeoLite2 / DB-IP
    ({"registered_country": {"iso_code": "FR"}}, "FR"),                    # anycast ranges
    ({"country_code": "JP", "country": "Japan"}, "JP"),                    # IPinfo lite
    ({"city": {"names": {}}}, None), (None, None), ("US", None),
])
def test_record_layouts(record: object, country: str | None) -> None:
    assert record_country(record) == country
