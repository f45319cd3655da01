"""The Fukuda et al. PII-leakage set (2021) as flows: 1,522 tracker requests, one email.

Each CSV row is a request from a web site to a third-party tracker that leaks
the test account's email (`EMAIL`) as plaintext, URL-encoded, base64, MD5,
SHA-1, SHA-256 or chains of these (column `encoding_form`), in the URL, a
cookie, the referer or the body (column `leakage_method`). The CSV doubles
every percent sign (`%%3A` for `%3A`), a printf-escaping artefact: reading
undoes it. Cells holding `null` are absent.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from ..decoding.fields import extract_fields
from ..model import Flow
from ..profile import KnownValue, Profile

EMAIL = "sonoroustada@protonmail.com"
FILE_NAME = "fukuda_pii_leakage_202105.csv"


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled request."""

    no: str
    flow: Flow
    encoding_form: str
    leakage_method: str
    pii_type: str


def profile() -> Profile:
    """The test account's values: its email."""
    return Profile(values=(KnownValue("EMAIL", "owner.email", EMAIL),))


def _cell(row: dict[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    return "" if value == "null" else value.replace("%%", "%")


def _content_type(body: str) -> str | None:
    head = body.lstrip()[:1]
    if head in ("{", "["):
        return "application/json"
    if "=" in body.split("&", 1)[0]:
        return "application/x-www-form-urlencoded"
    return None


def to_flow(row: dict[str, str]) -> Flow:
    url = _cell(row, "url")
    body = _cell(row, "payload_body")
    headers: list[tuple[str, str]] = []
    if cookie := _cell(row, "cookie"):
        headers.append(("Cookie", cookie))
    if referer := _cell(row, "referer"):
        headers.append(("Referer", referer))
    if body and (ctype := _content_type(body)):
        headers.append(("Content-Type", ctype))
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return Flow(
        flow_id=f"fukuda-{row.get('no', '')}", ts=0.0, source="har", kind="http", host=host,
        method=_cell(row, "http_method") or "GET", url=url, request_headers=tuple(headers),
        request_body=body.encode("utf-8", "surrogatepass"),
    )


def load(path: str | os.PathLike[str]) -> Iterator[Row]:
    """The rows of the CSV as labelled flows."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            yield Row(row.get("no", ""), to_flow(row), row.get("encoding_form", ""),
                      row.get("leakage_method", ""), row.get("pii_type", ""))


def _digests(data: bytes) -> list[bytes]:
    return [hashlib.new(h, data).hexdigest().encode() for h in ("md5", "sha1", "sha256")] + \
        [base64.b64encode(hashlib.new(h, data).digest()) for h in ("md5", "sha1", "sha256")]


def value_forms(value: str = EMAIL) -> frozenset[str]:
    """Written forms of `value` an app could send, lower-cased: as is, percent-encoded,
    base64, and MD5/SHA-1/SHA-256 (hex, base64) of it and of those, two deep.

    Independent of the detector's own variant list: `holds_value` uses it to tell
    a row the detector missed from a row whose bytes do not carry the value.
    """
    plain = {value, value.lower(), value.upper()}
    forms = set(plain) | {quote(v, safe="") for v in plain}
    raw = [v.encode() for v in plain]
    forms |= {base64.b64encode(v).decode() for v in raw}
    forms |= {base64.urlsafe_b64encode(v).decode().rstrip("=") for v in raw}
    once = [d for v in raw for d in _digests(v)]
    twice = [d for v in once for d in _digests(v)] + \
        [d for v in once for d in _digests(v.upper())]
    forms |= {d.decode() for d in once + twice}
    return frozenset(f.lower().rstrip("=") for f in forms)


def holds_value(row: Row, forms: frozenset[str] | None = None) -> bool:
    """Whether the row's bytes carry the email in any of `value_forms`: searched in
    the raw URL, headers and body (percent-decoded up to three times) and in every
    field value the decoders produced."""
    forms = value_forms() if forms is None else forms
    f = row.flow
    texts = [f.url or "", f.request_body.decode("utf-8", "replace"),
             *(v for _, v in f.request_headers)]
    for t in list(texts):
        for _ in range(3):
            t = unquote(t)
            texts.append(t)
    texts += [fld.value for fld in extract_fields(f)]
    hay = "\n".join(texts).lower()
    return any(form in hay for form in forms)
