"""Country of a server address, offline.

The default database is the MaxMind GeoLite2 Country data (IPv4 and IPv6)
that the `geoip2fast` package ships in its wheel; nothing is fetched at run
time. ``--geoip FILE.mmdb`` reads the user's own MaxMind or DB-IP file with
`maxminddb`. Addresses that are not globally routable (private, loopback,
link-local, shared, documentation, multicast, reserved) get no country, from
whichever database.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ..errors import ReadError
from .geoflat import FlatCountries, open_flat

log = logging.getLogger(__name__)

_CACHE_MAX = 65536


def public_ip(ip: str | None) -> str | None:
    """`ip` normalised when it is a globally routable unicast address, else None."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip.strip().strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if not addr.is_global or addr.is_multicast:
        return None
    return str(addr)


class CountryDB(Protocol):
    """What attribution needs from a GeoIP database."""

    @property
    def name(self) -> str: ...

    @property
    def date(self) -> str: ...

    def country(self, ip: str | None) -> str | None: ...


class _Cached:
    """Per-address cache and the public-address rule, shared by the databases."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def country(self, ip: str | None) -> str | None:
        """ISO 3166 alpha-2 country of `ip`, or None (unknown or not public)."""
        if not ip:
            return None
        cache = self._cache
        if ip in cache:  # keyed by the text given: a flow's address is seen many times
            return cache[ip]
        addr = public_ip(ip)
        cc = self._lookup(addr) if addr is not None else None
        cc = cc.upper() if cc and re.fullmatch(r"[A-Za-z]{2}", cc) else None
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[ip] = cc
        return cc

    def _lookup(self, addr: str) -> str | None:
        raise NotImplementedError


class BundledGeoIP(_Cached):
    """GeoLite2 Country as shipped by `geoip2fast`, loaded on first use.

    Its data file takes ~0.2 s to load; the flat form of it in the user's cache
    (`geoflat`, written on first use) opens in ~1 ms and gives the same answers.
    Without the cache (`TRAFFICSCOPE_CACHE_DIR=`), geoip2fast loads its file.
    """

    def __init__(self) -> None:
        super().__init__()
        spec = importlib.util.find_spec("geoip2fast")  # not imported: ~20-80 ms
        origin = spec.origin if spec is not None else None
        self._file = Path(origin).parent / "geoip2fast-ipv6.dat.gz" if origin else Path()
        self._version = ""
        self._flat: FlatCountries | None = None
        self._db: Any = None
        self._name, self._date = "GeoLite2-Country (MaxMind, from geoip2fast)", ""

    @property
    def name(self) -> str:
        return self.load()._name

    @property
    def date(self) -> str:
        """Date of the MaxMind release the package ships (``YYYY-MM-DD``)."""
        return self.load()._date

    def load(self) -> BundledGeoIP:
        if self._db is None and self._flat is None:
            if self._file.is_file():
                self._flat = open_flat(self._file, _geoip2fast_version)
            if self._flat is not None:
                info, self._version = self._flat.info, self._flat.version
            else:
                from geoip2fast import GeoIP2Fast

                kwargs = {"geoip2fast_data_file": str(self._file)} if self._file.is_file() else {}
                self._db = GeoIP2Fast(verbose=False, **kwargs)
                self._version = _geoip2fast_version()
                # `get_database_info()` would inflate the file again and count every network.
                info = str(getattr(self._db, "source_info", ""))
            m = re.search(r"(GeoLite2-Country)\S*-(\d{4})(\d\d)(\d\d)$", info)
            if m:
                version = f" {self._version}" if self._version else ""
                self._name = f"{m[1]} (MaxMind, from geoip2fast{version})"
                self._date = f"{m[2]}-{m[3]}-{m[4]}"
            elif info:
                self._name = info
        return self

    def _lookup(self, addr: str) -> str | None:
        flat = self.load()._flat
        if flat is not None:
            return flat.country(int(ipaddress.ip_address(addr)))
        result = self._db.lookup(addr)
        cc = getattr(result, "country_code", None)
        return None if not cc or cc == "--" else str(cc)


def _geoip2fast_version() -> str:
    import geoip2fast

    return str(getattr(geoip2fast, "__version__", "") or _dist_version("geoip2fast"))


class MmdbGeoIP(_Cached):
    """A MaxMind DB file: GeoLite2/GeoIP2 Country or City, DB-IP, IPinfo lite."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        import maxminddb

        self.path = Path(path)
        try:
            self._reader = maxminddb.open_database(str(self.path))
        except FileNotFoundError:
            raise ReadError(self.path, "no such file") from None
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as e:
            raise ReadError(self.path, f"not a MaxMind DB (.mmdb) file ({e})") from None
        self._errors = (ValueError, maxminddb.InvalidDatabaseError)
        meta = self._reader.metadata()
        self.name = str(meta.database_type)
        self.date = dt.datetime.fromtimestamp(meta.build_epoch, dt.UTC).date().isoformat()

    def _lookup(self, addr: str) -> str | None:
        try:
            record = self._reader.get(addr)
        except self._errors as e:  # a corrupt data section
            log.warning("%s: lookup failed (%s)", self.path, type(e).__name__)
            return None
        return record_country(record)


def record_country(record: object) -> str | None:
    """Country code in a MaxMind DB record, whichever vendor's layout it has."""
    if not isinstance(record, Mapping):
        return None
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("iso_code"), str):
            return str(value["iso_code"])
        if isinstance(value, str) and len(value) == 2:
            return value
    code = record.get("country_code")
    return code if isinstance(code, str) else None


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


@lru_cache(maxsize=1)
def bundled_geoip() -> BundledGeoIP:
    return BundledGeoIP()


def open_geoip(path: str | os.PathLike[str] | None = None) -> CountryDB:
    """The user's mmdb file when given, else the bundled database."""
    return MmdbGeoIP(path) if path else bundled_geoip()


def geoip_info(path: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """(name, date) of the GeoIP database in use, for reports."""
    db = open_geoip(path)
    return db.name, db.date
