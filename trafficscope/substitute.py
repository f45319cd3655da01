"""`--substitute`: the phone's values in a request replaced by consistent fakes.

As ReCon did: to see whether an app still works without its real identifiers,
every profile value (in each written form the detector knows: `forms`) is
replaced by a fake of the same shape before the request leaves. A fake keeps
length, separators and character classes (digit for digit, hex letter for hex
letter, case kept; an email keeps its domain; an IMEI gets a valid check
digit) and is the same for the whole session: each value's characters go
through one fixed permutation drawn from HMAC(seed, value), so `138 1234 5678`
and `+8613812345678` become the same fake number.

Values are also found inside the reversible encodings apps wrap them in:
percent-encoding (query strings, forms, `%22`-quoted JSON) and base64 (plain
and URL-safe), nested up to `MAX_DEPTH` layers; what is changed there is
re-encoded the same way. Each replacement is returned as a `Substitution`
(never the real value: its SHA-256 and the masked fake).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from stdnum import luhn

from .detection.known import forms, kind_of, normalize_known
from .detection.mask import mask, value_sha256
from .profile import Profile

MAX_DEPTH = 4
MAX_TEXT = 4 * 1024 * 1024  # bodies longer than this are sent unchanged
_B64_RE = re.compile(r"(?<![A-Za-z0-9+/_%-])[A-Za-z0-9+/_-]{16,}={0,2}")
_PCT_RE = re.compile(r"[^\s&=?;,\"']*%[0-9A-Fa-f]{2}[^\s&=?;,\"']*")
_ALPHABETS = ("0123456789", "abcdef", "ghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class Substitution:
    """One value replaced in one request."""

    pii_type: str
    location: str  # query, path, header, cookie, body
    key: str | None  # header name for headers
    encoding: tuple[str, ...]  # layers it was found under, e.g. ("percent", "base64")
    value_sha256: str  # of the normalised real value
    fake_masked: str


@dataclass(frozen=True, slots=True)
class _Entry:
    entity: str
    real: str  # written form as in the profile's variants (maybe percent-encoded)
    fake: str
    sha: str
    fake_masked: str
    encoding: tuple[str, ...]


def _derangement(alphabet: str, rng: random.Random) -> dict[str, str]:
    """A permutation of `alphabet` that moves every character."""
    while True:
        shuffled = list(alphabet)
        rng.shuffle(shuffled)
        if all(a != b for a, b in zip(alphabet, shuffled, strict=True)):
            return dict(zip(alphabet, shuffled, strict=True))


def char_map(seed: str, kind: str, norm: str) -> dict[str, str]:
    """The fixed character permutation used for one profile value."""
    key = hmac.new(seed.encode(), f"{kind}\0{norm}".encode("utf-8", "surrogatepass"),
                   hashlib.sha256).digest()
    rng = random.Random(key)
    table: dict[str, str] = {}
    for alphabet in _ALPHABETS:
        table.update(_derangement(alphabet, rng))
    table.update({k.upper(): v.upper() for k, v in table.items() if k.isalpha()})
    return table


def fake_form(kind: str, text: str, table: dict[str, str]) -> str:
    """`text` (one written form of a value) through `table`, keeping its shape."""
    if kind == "EMAIL" and "@" in text:
        local, _, domain = text.rpartition("@")
        return "".join(table.get(c, c) for c in local) + "@" + domain
    fake = "".join(table.get(c, c) for c in text)
    if kind == "IMEI":
        digits = [i for i, c in enumerate(fake) if c.isdigit()]
        if len(digits) == 15:
            body = "".join(fake[i] for i in digits[:14])
            last = digits[14]
            fake = fake[:last] + luhn.calc_check_digit(body) + fake[last + 1:]
    return fake


class Substituter:
    """Replaces a profile's values in text; the same fakes for the same seed."""

    def __init__(self, profile: Profile, seed: str) -> None:
        self.entries: dict[str, _Entry] = {}
        for kv in profile.values:
            kind = kind_of(kv)
            norm = normalize_known(kind, kv.value)
            if len(norm) < 3:
                continue
            table = char_map(seed, kind, norm)
            sha = value_sha256(norm)
            fake_masked = mask(fake_form(kind, norm, table))
            for text in forms(kind, norm):
                fake = fake_form(kind, text, table)
                for real, fk, enc in ((text, fake, ()),
                                      (quote(text, safe=""), quote(fake, safe=""), ("percent",)),
                                      (quote_plus(text), quote_plus(fake), ("percent",))):
                    self.entries.setdefault(real.lower(), _Entry(
                        kv.entity, real, fk, sha, fake_masked, enc))
        alternatives = sorted(self.entries, key=len, reverse=True)
        self._re = re.compile(
            r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(a) for a in alternatives) +
            r")(?![A-Za-z0-9])", re.IGNORECASE) if alternatives else None

    def rewrite(self, text: str, location: str, key: str | None = None
                ) -> tuple[str, list[Substitution]]:
        """`text` with every profile value replaced, and what was replaced."""
        if self._re is None or len(text) > MAX_TEXT:
            return text, []
        hits: list[tuple[_Entry, tuple[str, ...]]] = []
        new = self._rewrite(text, (), 0, hits)
        return new, [Substitution(e.entity, location, key, enc + e.encoding, e.sha,
                                  e.fake_masked) for e, enc in hits]

    def _rewrite(self, text: str, layers: tuple[str, ...], depth: int,
                 hits: list[tuple[_Entry, tuple[str, ...]]]) -> str:
        assert self._re is not None

        def literal(m: re.Match[str]) -> str:
            found = m.group(0)
            entry = self.entries[found.lower()]
            hits.append((entry, layers))
            if found == entry.real:
                return entry.fake
            return entry.fake.upper() if found.isupper() else (
                entry.fake.lower() if found.islower() else entry.fake)

        text = self._re.sub(literal, text)
        if depth >= MAX_DEPTH:
            return text
        text = _PCT_RE.sub(lambda m: self._percent(m.group(0), layers, depth, hits), text)
        return _B64_RE.sub(lambda m: self._base64(m.group(0), layers, depth, hits), text)

    def _percent(self, token: str, layers: tuple[str, ...], depth: int,
                 hits: list[tuple[_Entry, tuple[str, ...]]]) -> str:
        inner = unquote_plus(token, errors="surrogateescape")
        new = self._rewrite(inner, (*layers, "percent"), depth + 1, hits)
        return token if new == inner else quote_plus(new, safe="", errors="surrogateescape")

    def _base64(self, token: str, layers: tuple[str, ...], depth: int,
                hits: list[tuple[_Entry, tuple[str, ...]]]) -> str:
        urlsafe = "-" in token or "_" in token
        body = token.rstrip("=")
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4),
                                   altchars=b"-_" if urlsafe else None, validate=True)
            inner = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            return token
        if not all(c.isprintable() or c in "\r\n\t" for c in inner):
            return token
        new = self._rewrite(inner, (*layers, "base64"), depth + 1, hits)
        if new == inner:
            return token
        out = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(new.encode()).decode()
        return out if token.endswith("=") or len(body) % 4 == 0 else out.rstrip("=")


def substitute_request(request: Any, sub: Substituter) -> list[Substitution]:
    """Rewrite a mitmproxy request in place (path, query, headers, body).

    Duck-typed on mitmproxy's `Request` (path, headers.fields, get_content,
    content) so that the core does not import mitmproxy.
    """
    subs: list[Substitution] = []
    path, sep, query = request.path.partition("?")
    new_path, hits = sub.rewrite(path, "path")
    subs += hits
    new_query, hits = sub.rewrite(query, "query")
    subs += hits
    if new_path != path or new_query != query:
        request.path = new_path + sep + new_query
    fields = []
    changed = False
    for name, value in request.headers.fields:
        text = value.decode("utf-8", "surrogateescape")
        lname = name.decode("latin-1").lower()
        if lname == "host":
            fields.append((name, value))
            continue
        new, hits = sub.rewrite(text, "cookie" if lname == "cookie" else "header", lname)
        subs += hits
        changed |= new != text
        fields.append((name, new.encode("utf-8", "surrogateescape")))
    if changed:
        request.headers.fields = tuple(fields)
    content = request.get_content(strict=False)
    if content:
        text = content.decode("utf-8", "surrogateescape")
        new, hits = sub.rewrite(text, "body")
        if hits:
            subs += hits
            request.content = new.encode("utf-8", "surrogateescape")
    return subs


def fakes(sub: Substituter) -> Iterable[tuple[str, str]]:
    """(real form, fake form) pairs, for tests and the README's example."""
    return ((e.real, e.fake) for e in sub.entries.values() if not e.encoding)

