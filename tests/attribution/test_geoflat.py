"""The bundled GeoIP data as a flat cached file: the same countries as geoip2fast, fast to open."""

from __future__ import annotations

import gzip
import ipaddress
import pickle
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from trafficscope import cache as tcache
from trafficscope.attribution import geoflat
from trafficscope.attribution.geoip import BundledGeoIP


@cache
def data_file() -> Path:
    import geoip2fast

    return Path(geoip2fast.__file__).parent / "geoip2fast-ipv6.dat.gz"


@cache
def reference() -> Any:
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(verbose=False, geoip2fast_data_file=str(data_file()))


def reference_country(ip: int) -> str | None:
    cc = reference().lookup(str(ipaddress.ip_address(ip))).country_code
    return None if not cc or cc == "--" else cc


@cache
def network_starts() -> list[int]:
    with gzip.open(data_file(), "rb") as f:
        main = pickle.load(f)[3]
    return [ip for chunk in main[2] for ip in chunk]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(tcache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "geoip"


def test_same_countries_as_geoip2fast(cache_dir: Path) -> None:
    flat = geoflat.open_flat(data_file(), lambda: "test")
    assert flat is not None
    starts = network_starts()
    rnd = random.Random(4)
    # Both edges of networks (every 40th of 788,735, IPv4 and IPv6), the gaps between them,
    # random addresses of either family, and the ends of the address spaces.
    addresses = {ip + d for ip in starts[::40] for d in (-1, 0, 1)}
    addresses |= {rnd.getrandbits(32) for _ in range(5000)}
    addresses |= {(0x2000 << 112) | rnd.getrandbits(112) for _ in range(5000)}
    addresses |= {0, 2**32 - 1, 2**32, 2**32 + 1, 2**128 - 1}
    addresses = {ip for ip in addresses if 0 <= ip < 2**128}
    countries = {ip: flat.country(ip) for ip in addresses}
    assert countries == {ip: reference_country(ip) for ip in addresses}
    assert sum(cc is not None for cc in countries.values()) > len(addresses) // 3


def test_written_once_then_read_back(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert geoflat.open_flat(data_file(), lambda: "test") is not None
    (written,) = cache_dir.glob("*.geo")
    assert written.stat().st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700

    def no_build(*_: object) -> bytes:
        raise AssertionError("rebuilt although the cache holds the file")

    monkeypatch.setattr(geoflat, "build", no_build)
    flat = geoflat.open_flat(data_file(), lambda: "test")
    assert flat is not None and flat.country(int(ipaddress.ip_address("106.11.86.22"))) == "CN"
    assert flat.version == "test" and "GeoLite2-Country" in flat.info


def test_damaged_cache_file_is_rebuilt(cache_dir: Path) -> None:
    assert geoflat.open_flat(data_file(), lambda: "test") is not None
    (written,) = cache_dir.glob("*.geo")
    for damage in (b"junk", written.read_bytes()[:5000]):  # not ours; cut short
        written.write_bytes(damage)
        flat = geoflat.open_flat(data_file(), lambda: "test")
        assert flat is not None and flat.country(int(ipaddress.ip_address("8.8.8.8"))) == "US"


def test_bundled_geoip_same_with_and_without_cache(cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ips = ["142.250.72.142", "106.11.86.22", "2a03:2880:f12f:83:face:b00c:0:25de",
           "10.0.0.1", "203.0.113.10", "::ffff:183.3.235.111", "1.1.1.1", "41.0.0.1"]
    cached = BundledGeoIP()
    with_cache = [cached.country(ip) for ip in ips]
    assert cached._flat is not None and cached._db is None  # the flat file, not geoip2fast
    monkeypatch.setenv(tcache.ENV, "")  # caching off: geoip2fast loads its own file
    plain = BundledGeoIP()
    assert [plain.country(ip) for ip in ips] == with_cache
    assert plain._flat is None and plain._db is not None
    assert (cached.name, cached.date) == (plain.name, plain.date)
    assert with_cache[:2] == ["US", "CN"] and with_cache[2] and with_cache[3:5] == [None, None]


def test_cache_directory_open_to_others_is_not_used(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tcache.ENV, str(tmp_path))
    shared = tmp_path / "geoip"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert tcache.directory("geoip") is None
    assert geoflat.open_flat(data_file(), lambda: "test") is None
    assert BundledGeoIP().country("106.11.86.22") == "CN"  # geoip2fast itself, then
    assert not list(shared.iterdir())
