"""Who runs a domain: the owner database (organisation, category, country).

The bundled database is ``data/owners.csv`` (one row per domain or host, each
with its source); ``data/apps.csv`` maps app ids to organisations where the
package name does not say it. A lookup takes the longest matching suffix on
label boundaries, so ``android.bugly.qq.com`` finds the ``bugly.qq.com`` row
(Tencent, crash-reporting) and ``mail.qq.com`` the ``qq.com`` row. Lists that
users keep (Tracker Radar, Disconnect, Exodus) are read by `importers` and
layered over the bundled rows: for the same suffix, the later list wins.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import ReadError

log = logging.getLogger(__name__)

#: The category vocabulary of the bundled data (imported lists may add others).
CATEGORIES = (
    "advertising", "analytics", "attribution", "push", "crash-reporting", "social",
    "payments", "maps", "cdn", "cloud", "first-party-api",
)

#: Categories whose operator carries other people's traffic: a CDN or cloud host
#: is attributed to its operator, but never makes the app's organisation the
#: recipient (``x.cloudfront.net`` is somebody's bucket, not Amazon's API).
OPERATOR_CATEGORIES = frozenset({"cdn", "cloud"})

_CACHE_MAX = 65536


@dataclass(frozen=True, slots=True)
class Owner:
    """One row of an owner list: who runs `domain` (and every host under it)."""

    domain: str
    organisation: str
    category: str | None = None
    country: str | None = None
    source: str = ""


def org_key(name: str) -> str:
    """Normalised organisation name, to compare names from different lists.

    >>> org_key("Tencent Holdings Ltd.") == org_key("tencent")
    True
    """
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


_LEGAL_SUFFIXES = frozenset({
    "inc", "llc", "ltd", "limited", "co", "corp", "corporation", "company", "gmbh", "sa",
    "ag", "ab", "bv", "plc", "pte", "holdings", "group", "technologies", "technology",
})


class OwnerDB:
    """Suffix table of `Owner` rows plus regular-expression rows (Exodus).

    Suffix rows win over pattern rows; among suffix rows the longest suffix
    wins. `layered` returns a new database with more rows on top.
    """

    def __init__(self, rows: Iterable[Owner] = (),
                 patterns: Iterable[tuple[re.Pattern[str], Owner]] = ()) -> None:
        self._rows: dict[str, Owner] = {}
        for row in rows:
            self._rows[row.domain] = row
        self._patterns = tuple(patterns)
        self._cache: dict[str, Owner | None] = {}
        self._countries: dict[str, str] = {}
        for row in self._rows.values():
            if row.country:
                self._countries.setdefault(org_key(row.organisation), row.country)

    def __len__(self) -> int:
        return len(self._rows) + len(self._patterns)

    def layered(self, rows: Iterable[Owner],
                patterns: Iterable[tuple[re.Pattern[str], Owner]] = ()) -> OwnerDB:
        """This database with `rows` and `patterns` on top (they win ties)."""
        return OwnerDB([*self._rows.values(), *rows], (*tuple(patterns), *self._patterns))

    def lookup(self, host: str) -> Owner | None:
        """The row covering `host` (a host name or a domain), or None."""
        h = host.strip().rstrip(".").lower()
        if h in self._cache:
            return self._cache[h]
        found = self._lookup(h)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[h] = found
        return found

    def _lookup(self, h: str) -> Owner | None:
        labels = h.split(".")
        for i in range(len(labels)):
            row = self._rows.get(".".join(labels[i:]))
            if row is not None:
                return row
        for pattern, row in self._patterns:
            if pattern.search(h):
                return row
        return None

    def country_of(self, organisation: str) -> str | None:
        """Country of `organisation` as some row of this database states it."""
        return self._countries.get(org_key(organisation))

    def rows(self) -> tuple[Owner, ...]:
        """The suffix rows (pattern rows are not included)."""
        return tuple(self._rows.values())

    def organisations(self) -> frozenset[str]:
        return frozenset(r.organisation for r in self._rows.values())


def parse_owners_csv(text: str, path: str) -> list[Owner]:
    """Rows of an owners CSV (``domain,organisation,category,country,source``).

    Lines starting with ``#`` are comments. Raises ReadError naming the line
    when a row lacks a domain or an organisation.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = {"domain", "organisation"} - set(reader.fieldnames or ())
    if missing:
        raise ReadError(path, f"owners CSV needs the columns {sorted(missing)}")
    rows = []
    for n, rec in enumerate(reader, start=2):
        domain = (rec.get("domain") or "").strip().lower().rstrip(".")
        org = (rec.get("organisation") or "").strip()
        if not domain or not org:
            raise ReadError(path, f"row {n}: a domain and an organisation are required")
        rows.append(Owner(domain, org, (rec.get("category") or "").strip() or None,
                          (rec.get("country") or "").strip().upper() or None,
                          (rec.get("source") or "").strip()))
    return rows


def _data(name: str) -> str:
    return (resources.files("trafficscope.attribution") / "data" / name).read_text("utf-8")


@lru_cache(maxsize=1)
def bundled() -> OwnerDB:
    """The owner database shipped with trafficscope."""
    return OwnerDB(parse_owners_csv(_data("owners.csv"), "owners.csv"))


@lru_cache(maxsize=1)
def _app_prefixes() -> dict[str, str]:
    text = _data("apps.csv")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return {rec["app_prefix"].strip().lower(): rec["organisation"].strip()
            for rec in csv.DictReader(io.StringIO("\n".join(lines)))}


def app_organisation(app_id: str) -> str | None:
    """Organisation behind an app id, from the bundled app list (longest prefix).

    >>> app_organisation("com.ss.android.ugc.aweme")
    'ByteDance'
    """
    labels = app_id.strip().lower().split(".")
    prefixes = _app_prefixes()
    for i in range(len(labels), 0, -1):
        org = prefixes.get(".".join(labels[:i]))
        if org:
            return org
    return None
