"""A labelled corpus of SDK-style requests with random values: what detection is scored on.

`generate(seed, flows)` makes a random test phone (`Phone`: IMEI, IMSI,
ICCID, Android ID, advertising id, MACs, SSID, device name, owner's phone and
email, resident id, home location, cell, contacts, installed apps) and
`flows` requests that leak some of its values in one of `STYLES` (query
strings, form-encoded JSON, base64 JSON in GET, gzip JSON batches with and
without Content-Encoding, protobuf, MessagePack, envelopes with JSON in
strings, zlib+base64 form fields, hex JSON, JWT headers, cookies, headers),
plain or hashed (MD5/SHA-1/SHA-256, chained), mixed with noise that looks
like identifiers (times, request UUIDs, signatures, versions, order numbers).

Each `Sample` says which entities it must reveal (`required`, with how each
was hidden in `encodings`) and which it may (`allowed`: a contact's phone is
also a phone number, an access point's BSSID is a MAC address). A hashed
value is recoverable only with the profile: `required_bare` leaves it out.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import uuid
import zlib
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

import msgpack
from stdnum.cn import ric as _ric

from ..detection.checksums import luhn_digit
from ..model import Flow
from ..profile import Profile as _Profile
from ..profile import parse_profile

APPS = ("com.tencent.mm", "com.eg.android.AlipayGphone", "com.ss.android.ugc.aweme",
        "com.sina.weibo", "com.taobao.taobao", "com.baidu.searchbox", "com.netease.cloudmusic",
        "com.jingdong.app.mall", "com.xunmeng.pinduoduo", "tv.danmaku.bili")
OWN_APP = "com.example.shop"  # the app sending: its own id is no app list
HOSTS = ("log.umeng.com", "api.adkwai.com", "sdk.e.qq.com", "mobads.baidu.com",
         "api.jpush.cn", "ulogs.umeng.com", "app.adjust.com", "t.appsflyer.com",
         "api.example-app.cn", "data.bytedance.com")
#: (entity, key names apps use for it)
KEYS: dict[str, tuple[str, ...]] = {
    "IMEI": ("imei", "imei1", "device_imei", "IMEI"),
    "IMSI": ("imsi", "subscriberId"),
    "ICCID": ("iccid", "simSerialNumber"),
    "ANDROID_ID": ("android_id", "androidId", "ssaid"),
    "AD_ID": ("oaid", "gaid", "idfa", "adid", "advertising_id"),
    "MAC": ("mac", "wifi_mac", "macAddress"),
    "WIFI_BSSID": ("bssid", "wifi_bssid"),
    "WIFI_SSID": ("ssid", "wifi_ssid"),
    "DEVICE_NAME": ("device_name", "deviceName", "bluetooth_name"),
    "PHONE": ("phone", "mobile", "msisdn", "tel"),
    "EMAIL": ("email", "user_email", "mail"),
    "NATIONAL_ID": ("id_card", "idcard", "idCardNo"),
    "SERIAL": ("serial", "serialNo", "build_serial"),
    "PERSON_NAME": ("realname", "real_name", "fullName"),
}
HASHES = (("md5",), ("sha1",), ("sha256",), ("md5", "sha256"))


@dataclass(frozen=True, slots=True)
class Phone:
    values: dict[str, str]
    lat: float
    lon: float
    cell: tuple[str, str, str, str]
    contacts: tuple[tuple[str, str], ...]
    apps: tuple[str, ...]

    def profile(self) -> _Profile:
        v = self.values
        return parse_profile({
            "device": {"imei": v["IMEI"], "imsi": v["IMSI"], "iccid": v["ICCID"],
                       "android_id": v["ANDROID_ID"], "ad_id": v["AD_ID"], "wifi_mac": v["MAC"],
                       "wifi_bssid": v["WIFI_BSSID"], "wifi_ssid": v["WIFI_SSID"],
                       "device_name": v["DEVICE_NAME"], "serial": v["SERIAL"]},
            "owner": {"phone": v["PHONE"], "email": v["EMAIL"], "national_id": v["NATIONAL_ID"],
                      "name": v["PERSON_NAME"]},
            "location": {"lat": self.lat, "lon": self.lon, "radius_m": 200},
            "contacts": [{"name": n, "phone": p} for n, p in self.contacts],
            "apps": {"installed": list(self.apps)},
        })


@dataclass(frozen=True, slots=True)
class Sample:
    flow: Flow
    style: str
    required: frozenset[str]
    encodings: tuple[tuple[str, str], ...]  # (entity, how it was hidden)
    hashed: frozenset[str] = frozenset()
    allowed: frozenset[str] = frozenset()

    @property
    def required_bare(self) -> frozenset[str]:
        return self.required - self.hashed


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _mac(r: random.Random) -> str:
    first = r.randrange(0, 256) & 0xFC | 0x02  # unicast, locally administered like phones
    return ":".join(f"{b:02x}" for b in [first, *(r.randrange(256) for _ in range(5))])


def _cn_mobile(r: random.Random) -> str:
    return "1" + r.choice("3578") + r.choice("0123456789") + _digits(r, 8)


def _resident_id(r: random.Random) -> str:
    body = r.choice(("110105", "310104", "440305", "330106")) + str(r.randint(1960, 2004)) \
        + f"{r.randint(1, 12):02d}{r.randint(1, 28):02d}" + _digits(r, 3)
    return body + _ric.calc_check_digit(body + "0")  # it reads the first 17 characters


def make_phone(r: random.Random) -> Phone:
    imei14 = r.choice(("86", "35", "49")) + _digits(r, 12)
    iccid18 = "8986" + _digits(r, 14)
    values = {
        "IMEI": imei14 + luhn_digit(imei14),
        "IMSI": "460" + r.choice(("00", "01", "02", "03", "11")) + _digits(r, 10),
        "ICCID": iccid18 + luhn_digit(iccid18),
        "ANDROID_ID": _hex(r, 16),
        "AD_ID": str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "MAC": _mac(r),
        "WIFI_BSSID": _mac(r),
        "WIFI_SSID": r.choice(("TP-LINK_", "ChinaNet-", "CMCC-", "Home-")) + _hex(r, 4).upper(),
        "DEVICE_NAME": r.choice(("Redmi K40 of ", "HUAWEI P40 ", "Xiaomi ")) + _hex(r, 3),
        "PHONE": "+86" + _cn_mobile(r),
        "EMAIL": f"{r.choice(('li', 'wang', 'zhang', 'jane'))}.{_hex(r, 6)}@"
                 f"{r.choice(('qq.com', '163.com', 'example.org', 'gmail.com'))}",
        "NATIONAL_ID": _resident_id(r),
    }
    lat, lon = round(r.uniform(22.5, 40.0), 6), round(r.uniform(108.0, 121.0), 6)
    cell = ("460", "0", str(r.randint(1000, 60000)), str(r.randint(10000, 250000000)))
    contacts = tuple((r.choice(("Li Lei", "Han Meimei", "王伟", "张敏")) + str(i), "+86" +
                      _cn_mobile(r)) for i in range(r.randint(2, 4)))
    apps = tuple(r.sample(APPS, 5))
    # (drawn last: the values above are those an earlier version drew for a seed)
    values["SERIAL"] = r.choice(("R58M", "ZY22", "8CKX")) + "".join(
        r.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7))
    values["PERSON_NAME"] = r.choice(("Zhang Wei", "张伟", "Li Na", "王芳", "Jane Doe"))
    return Phone(values, lat, lon, cell, contacts, apps)


def _noise(r: random.Random) -> dict[str, object]:
    return {
        "ts": str(r.randint(1_600_000_000_000, 1_800_000_000_000)),
        "request_id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "sign": _hex(r, 32),
        "ver": f"{r.randint(1, 12)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
        "order_no": _digits(r, 16),
        "sw": str(r.choice((1080, 1440, 720))), "sh": str(r.choice((1920, 2400, 1280))),
        "pkg": OWN_APP,
        "seq": str(r.randint(0, 10_000)),
        "net": r.choice(("wifi", "4g", "5g")),
        "session": _hex(r, 40),
    }


def _hash(steps: tuple[str, ...], value: str) -> str:
    for h in steps:
        value = hashlib.new(h, value.encode()).hexdigest()
    return value


def varint(n: int) -> bytes:
    """`n` (not negative) as a protobuf base-128 varint."""
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([*out, n])


def protobuf_strings(fields: dict[str, str]) -> bytes:
    """A protobuf message of string fields numbered 1, 2, ... (a schema we do not ship)."""
    out = b""
    for i, value in enumerate(fields.values(), 1):
        data = value.encode()
        out += bytes([i << 3 | 2]) + varint(len(data)) + data
    return out


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


#: How a payload dict is put on the wire: style -> (steps recorded, builder).
STYLES = (
    "query", "form-json", "b64-json-get", "gzip-batch", "gzip-raw-body", "protobuf",
    "msgpack", "envelope", "zlib-b64-form", "hex-json", "jwt-header", "cookie", "header",
)


def _request(r: random.Random, style: str, payload: dict[str, object], host: str) -> Flow:
    url = f"https://{host}/v{r.randint(1, 3)}/collect"
    headers: list[tuple[str, str]] = [("User-Agent", "okhttp/4.9.0")]
    body = b""
    text = json.dumps(payload, ensure_ascii=False)
    if style == "query":
        url += "?" + urlencode({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                                for k, v in payload.items()})
    elif style == "form-json":
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        body = ("data=" + quote(text, safe="") + "&appkey=" + _hex(r, 24)).encode()
    elif style == "b64-json-get":
        url += "?d=" + quote(_b64(text.encode()), safe="") + "&t=" + str(r.randint(1, 10**12))
    elif style == "gzip-batch":
        headers += [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        body = gzip.compress(json.dumps({"batch": [payload, _noise(r)]}).encode())
    elif style == "gzip-raw-body":
        headers.append(("Content-Type", "application/octet-stream"))
        body = gzip.compress(text.encode())
    elif style == "protobuf":
        headers.append(("Content-Type", "application/x-protobuf"))
        body = protobuf_strings({k: v if isinstance(v, str) else json.dumps(v)
                                 for k, v in payload.items()})
    elif style == "msgpack":
        headers.append(("Content-Type", "application/msgpack"))
        body = msgpack.packb(payload)
    elif style == "envelope":
        headers.append(("Content-Type", "application/json"))
        body = json.dumps({"header": {"app": OWN_APP, "sdk": "3.1"},
                           "events": [{"name": "launch", "props": text}]}).encode()
    elif style == "zlib-b64-form":
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        body = ("p=" + quote(_b64(zlib.compress(text.encode())), safe="")).encode()
    elif style == "hex-json":
        url += "?x=" + text.encode().hex()
    elif style == "jwt-header":
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        claims = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        headers.append(("Authorization", f"Bearer {head}.{claims}.{_hex(r, 43)}"))
    elif style == "cookie":
        headers.append(("Cookie", "; ".join(f"{k}={quote(str(v), safe='')}"
                                            for k, v in payload.items())))
    else:  # header
        headers += [(f"X-{k.replace('_', '-')}", str(v)) for k, v in payload.items()]
    return Flow(flow_id="", ts=1.7e9, source="har", kind="http", host=host,
                method="POST" if body else "GET", url=url, request_headers=tuple(headers),
                request_body=body)


_SIMPLE = tuple(KEYS)
_FLAT_STYLES = ("cookie", "header", "protobuf")  # no nested structures there


def generate(seed: int | None = None, flows: int = 600) -> tuple[Phone, list[Sample]]:
    """A random phone and `flows` labelled requests leaking its values."""
    r = random.Random(seed)
    phone = make_phone(r)
    samples: list[Sample] = []
    for i in range(flows):
        style = STYLES[i % len(STYLES)]
        payload: dict[str, object] = {}
        noise = _noise(r)
        for k in r.sample(sorted(noise), 4):
            payload[k] = noise[k]
        required: set[str] = set()
        allowed: set[str] = set()
        hashed: set[str] = set()
        how: list[tuple[str, str]] = []
        for entity in r.sample(_SIMPLE, r.randint(1, 3)):
            value = phone.values[entity]
            key = r.choice(KEYS[entity])
            if entity in ("IMEI", "AD_ID", "EMAIL", "PHONE", "MAC", "ANDROID_ID") and \
                    r.random() < 0.25:
                steps = r.choice(HASHES)
                plain = value.lower() if entity != "PHONE" else value.lstrip("+")
                payload[key + "_" + steps[-1]] = _hash(steps, plain)
                hashed.add(entity)
                how.append((entity, style + ">" + ">".join(steps)))
            else:
                payload[key] = value
                how.append((entity, style))
            required.add(entity)
            if entity == "WIFI_BSSID":
                allowed.add("MAC")  # a BSSID is a MAC address: without its key, that is all
        extra = r.random()
        if style not in _FLAT_STYLES and extra < 0.15:
            payload["location"] = {"lat": f"{phone.lat:.6f}", "lng": f"{phone.lon:.6f}"}
            required.add("LOCATION")
            how.append(("LOCATION", style))
        elif style not in _FLAT_STYLES and extra < 0.25:
            payload["cell"] = dict(zip(("mcc", "mnc", "lac", "cid"), phone.cell, strict=True))
            required.add("CELL_ID")
            how.append(("CELL_ID", style))
        elif style not in _FLAT_STYLES and extra < 0.35:
            payload["contacts"] = [{"name": n, "phone": p} for n, p in phone.contacts]
            required.add("CONTACTS")
            allowed.update(("PHONE", "PERSON_NAME"))
            how.append(("CONTACTS", style))
        elif style not in _FLAT_STYLES and extra < 0.45:
            payload["apps"] = list(phone.apps)
            required.add("APP_LIST")
            how.append(("APP_LIST", style))
        flow = _request(r, style, payload, r.choice(HOSTS))
        samples.append(Sample(replace(flow, flow_id=f"gen-{i}"), style,
                              frozenset(required), tuple(how), frozenset(hashed),
                              frozenset(allowed)))
    return phone, samples

