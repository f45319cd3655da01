"""Key-name evidence, as data: what an app called a value says what it holds.

A key name is normalised (lowercase; `_ - . :` spaces and digits removed, so
`Device-IMEI1` -> `deviceimei`) and looked up exactly; failing that, the longest
table name of at least `SUFFIX_MIN` characters that ends the key is used
(`x_device_imei` -> `imei`). Names in `WHOLE_WORD` also end many ordinary words
(`upload_id`, `thread_id` end in `adid`; `process_id`, `business_id` in `ssid`;
`game_id` in `meid`): they count as a suffix only where a word of the key
begins (after a separator or digit, or at a capital after a small letter:
`gps_adid`, `deviceAdid`). Each row gives an entity and a prior, the
confidence a pattern match of that entity gains under such a key. A name may
point to several entities (`deviceid` holds an IMEI on some apps, an Android
ID on others) with lower priors. Patterns marked `needs_key` (a UUID as an
advertising id, 14-digit IMEIs, bare MACs, digits-only phones) are only
reported under a key of their entity.

`NEGATIVE_KEYS` name numbers that are not personal data (times, counters,
signatures): digit-based patterns under them lose half their confidence.
`TOKEN_COOKIE_FAMILIES` name cookies that read like personal data but are a
widely used service's session tokens, known by the company they keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from ..model import dotted, last_name

SUFFIX_MIN = 4
_DROP = str.maketrans("", "", "_-.: 0123456789")
#: Table names that end ordinary words (`load`+`id`, `proce`+`ssid`, `ga`+`meid`,
#: `m`+`apname`, `reco`+`rdid`, `lo`+`adsid`): matched as a suffix only at the start
#: of a word of the key.
WHOLE_WORD = frozenset({"adid", "gaid", "ssid", "meid", "apname", "rdid", "adsid"})

#: (normalised key name, entity, prior)
KEY_EVIDENCE: tuple[tuple[str, str, float], ...] = (
    ("imei", "IMEI", 0.4),
    ("deviceid", "IMEI", 0.2),
    ("deviceid", "ANDROID_ID", 0.2),
    ("meid", "MEID", 0.4),
    ("imsi", "IMSI", 0.4),
    ("iccid", "ICCID", 0.4),
    ("simserial", "ICCID", 0.4),
    ("serial", "SERIAL", 0.3),
    ("serialno", "SERIAL", 0.3),
    ("serialnumber", "SERIAL", 0.3),
    ("androidid", "ANDROID_ID", 0.4),
    ("ssaid", "ANDROID_ID", 0.4),
    ("adid", "AD_ID", 0.45),
    ("aaid", "AD_ID", 0.45),
    ("gaid", "AD_ID", 0.45),
    ("idfa", "AD_ID", 0.45),
    ("oaid", "AD_ID", 0.45),
    ("advertisingid", "AD_ID", 0.45),
    ("googleadid", "AD_ID", 0.45),
    # ... as SDKs name it in the TCF set (`eval.tcf`, 2025): Facebook, Unity Ads,
    # Singular, OpenRTB's `device.ifa` (Vungle, Outfit7), GameAnalytics and Yandex,
    # Google Ads' resettable device id, AppMetrica, Opera; InMobi's GPID (Prebid's
    # `gpid` is an ad slot's path, never a UUID)
    ("advertiserid", "AD_ID", 0.45),
    ("advertisingtrackingid", "AD_ID", 0.45),
    ("aifa", "AD_ID", 0.45),
    ("ifa", "AD_ID", 0.45),
    ("googleaid", "AD_ID", 0.45),
    ("rdid", "AD_ID", 0.4),
    ("advid", "AD_ID", 0.4),
    ("adsid", "AD_ID", 0.3),
    ("gpid", "AD_ID", 0.3),
    ("mac", "MAC", 0.4),
    ("macaddr", "MAC", 0.4),
    ("macaddress", "MAC", 0.4),
    ("wifimac", "MAC", 0.4),
    ("wlanmac", "MAC", 0.4),
    ("btmac", "MAC", 0.4),
    ("bluetoothmac", "MAC", 0.4),
    ("bssid", "WIFI_BSSID", 0.4),
    ("apmac", "WIFI_BSSID", 0.3),
    ("ssid", "WIFI_SSID", 0.4),
    ("wifiname", "WIFI_SSID", 0.3),
    ("devicename", "DEVICE_NAME", 0.3),
    ("phone", "PHONE", 0.4),
    ("phonenumber", "PHONE", 0.4),
    ("phoneno", "PHONE", 0.4),
    ("mobile", "PHONE", 0.4),
    ("mobileno", "PHONE", 0.4),
    ("tel", "PHONE", 0.4),
    ("msisdn", "PHONE", 0.4),
    ("mdn", "PHONE", 0.3),
    ("linenumber", "PHONE", 0.4),
    ("email", "EMAIL", 0.3),
    ("mail", "EMAIL", 0.3),
    ("emailaddress", "EMAIL", 0.3),
    ("realname", "PERSON_NAME", 0.3),
    ("fullname", "PERSON_NAME", 0.3),
    ("idcard", "NATIONAL_ID", 0.4),
    ("idcardno", "NATIONAL_ID", 0.4),
    ("idno", "NATIONAL_ID", 0.3),
    ("lat", "LOCATION", 0.4),
    ("latitude", "LOCATION", 0.4),
    ("lng", "LOCATION", 0.4),
    ("lon", "LOCATION", 0.4),
    ("longitude", "LOCATION", 0.4),
    ("ll", "LOCATION", 0.4),
    ("loc", "LOCATION", 0.4),
    ("location", "LOCATION", 0.4),
    ("coord", "LOCATION", 0.4),
    ("coords", "LOCATION", 0.4),
    ("coordinate", "LOCATION", 0.4),
    ("coordinates", "LOCATION", 0.4),
    ("latlng", "LOCATION", 0.4),
    ("latlon", "LOCATION", 0.4),
    ("lnglat", "LOCATION", 0.4),
    ("lonlat", "LOCATION", 0.4),
    ("gps", "LOCATION", 0.4),
    ("geo", "LOCATION", 0.3),
    ("position", "LOCATION", 0.3),
    ("cellid", "CELL_ID", 0.4),
    ("imsi", "IMSI", 0.4),
    ("subscriberid", "IMSI", 0.4),
    ("simserialnumber", "ICCID", 0.4),
    ("meid", "MEID", 0.4),
    ("deviceid", "MEID", 0.2),
    ("aid", "ANDROID_ID", 0.3),
    ("wifissid", "WIFI_SSID", 0.4),
    ("wifi", "WIFI_SSID", 0.2),
    ("apname", "WIFI_SSID", 0.3),
    ("networkname", "WIFI_SSID", 0.3),
    ("devname", "DEVICE_NAME", 0.3),
    ("bluetoothname", "DEVICE_NAME", 0.3),
    ("btname", "DEVICE_NAME", 0.3),
    ("phonename", "DEVICE_NAME", 0.3),
    ("calllog", "CALL_LOG", 0.3),
    ("calllogs", "CALL_LOG", 0.3),
    ("calls", "CALL_LOG", 0.3),
    ("sms", "SMS", 0.3),
    ("smslist", "SMS", 0.3),
    ("messages", "SMS", 0.2),
    ("apps", "APP_LIST", 0.3),
    ("applist", "APP_LIST", 0.3),
    ("packages", "APP_LIST", 0.3),
    ("packagelist", "APP_LIST", 0.3),
    ("oaid", "AD_ID", 0.45),
    ("vaid", "AD_ID", 0.3),
    ("cardno", "NATIONAL_ID", 0.2),
    ("identityno", "NATIONAL_ID", 0.4),
    ("applist", "APP_LIST", 0.3),
    ("installedapps", "APP_LIST", 0.3),
    ("pkglist", "APP_LIST", 0.3),
    ("contacts", "CONTACTS", 0.3),
    ("contactlist", "CONTACTS", 0.3),
    ("addressbook", "CONTACTS", 0.3),
)

#: Names of numbers that are not personal data (times, counters, signatures).
NEGATIVE_KEYS = frozenset({
    "t", "ts", "time", "timestamp", "date", "datetime", "created", "updated", "expires",
    "expire", "exp", "iat", "nbf", "duration", "elapsed", "ctime", "mtime", "utime",
    "starttime", "endtime", "seq", "nonce", "sign", "signature", "crc", "checksum",
    "version", "ver", "size", "length", "count", "offset",
})

#: Cookies (normalised names) that a widely used service sets together as its session
#: tokens. A cookie of a family sent beside another of its members is that token, not
#: what its name says: Google's `SSID` (its "secure session id", sent to every Google
#: site with `SID`, `HSID`, `APISID` and `SAPISID`) is not a Wi-Fi network's name.
TOKEN_COOKIE_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"sid", "hsid", "ssid", "apisid", "sapisid"}),  # Google accounts
)

_TABLE: dict[str, dict[str, float]] = {}
for _name, _entity, _prior in KEY_EVIDENCE:
    _TABLE.setdefault(_name, {})[_entity] = _prior
_EMPTY: Mapping[str, float] = MappingProxyType({})


def normalize_key(name: str) -> str:
    """`Device-IMEI1` -> `deviceimei`."""
    return name.lower().translate(_DROP)


@lru_cache(maxsize=8192)
def split_key(key: str) -> tuple[str, str]:
    """(parent path, normalised last name) of a key path: `a.b[2].Cell-ID` ->
    (`a.b.2`, `cellid`). Siblings share the parent."""
    parent, _, last = dotted(key).rpartition(".")
    return parent, normalize_key(last)


@lru_cache(maxsize=8192)
def key_priors(key: str | None) -> Mapping[str, float]:
    """Entity -> prior for a field's key path (its last name counts); empty when none."""
    name = last_name(key)
    if not name:
        return _EMPTY
    k = normalize_key(name)
    row = _TABLE.get(k)
    if row is None:
        starts: frozenset[int] | None = None
        for i in range(1, len(k) - SUFFIX_MIN + 1):
            row = _TABLE.get(k[i:])
            if row is not None and k[i:] in WHOLE_WORD:
                if starts is None:
                    starts = _word_starts(name)
                if i not in starts:
                    row = None  # the end of another word (`upload_id`)
            if row is not None:
                break
    return MappingProxyType(row) if row else _EMPTY


def _word_starts(name: str) -> frozenset[int]:
    """Offsets in `normalize_key(name)` where a word of `name` begins: after a dropped
    character (separator, digit) or at a capital letter after a small one."""
    out = {0}
    at = 0
    cut = small = False
    for ch in name:
        piece = ch.lower().translate(_DROP)
        if not piece:
            cut, small = True, False
            continue
        if cut or (small and ch.isupper()):
            out.add(at)
        at += len(piece)
        cut, small = False, ch.islower()
    return frozenset(out)


@lru_cache(maxsize=8192)
def is_negative_key(key: str | None) -> bool:
    """The key path names a time, counter or signature (`ts`, `client_time`, ...)."""
    name = last_name(key)
    if not name:
        return False
    k = normalize_key(name)
    return k in NEGATIVE_KEYS or k.endswith(("time", "timestamp", "date"))


@lru_cache(maxsize=8192)
def names_an_id(key: str | None) -> bool:
    """The key path's last name ends in the word `id` or `ids` (`id`, `app_id`,
    `pixelId`, `deviceIDs`; not `android`, `paid` or `uuid`)."""
    name = last_name(key)
    if not name:
        return False
    k = normalize_key(name)
    for word in ("id", "ids"):
        if k.endswith(word) and len(k) - len(word) in _word_starts(name):
            return True
    return False


def token_cookies(names: Iterable[str]) -> frozenset[str]:
    """Of a request's cookie names, those that are session tokens by
    `TOKEN_COOKIE_FAMILIES` (names normalised here): members of a family of which
    at least two are present."""
    present = {normalize_key(n) for n in names}
    out: set[str] = set()
    for family in TOKEN_COOKIE_FAMILIES:
        members = family & present
        if len(members) >= 2:
            out |= members
    return frozenset(out)
