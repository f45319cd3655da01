"""Who received a flow: domain, owner, category, first/third party, country.

First party is the app's own organisation, known from

- the app id: its reverse-DNS domain (``com.tencent.mm`` -> ``tencent.com``)
  and the organisation the bundled app list or the owner database gives for
  it (Tencent): then every domain that organisation runs is first party
  (``bugly.qq.com``, ``gdt.qq.com``, ``weixin.qq.com``);
- ``--first-party DOMAIN``: those domains, and their organisations likewise.

CDN and cloud hosts (category ``cdn`` or ``cloud``) carry anybody's traffic:
they are attributed to their operator (owner Amazon, category cloud) and are
third party, even for the operator's own apps, unless their domain is named
with ``--first-party``. A first-party domain with no category of its own is
``first-party-api``. Without an app or first-party domains, party is
``unknown``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .domains import PartyRules, app_domain, registrable_domain
from .geoip import CountryDB, open_geoip
from .importers import load_owner_file
from .owners import OPERATOR_CATEGORIES, OwnerDB, app_organisation, bundled, org_key

_CACHE_MAX = 65536


@dataclass(frozen=True, slots=True)
class Recipient:
    """Attribution of one host: what findings and flows carry."""

    domain: str
    owner: str | None
    category: str | None
    party: str
    owner_country: str | None  # where the organisation sits (owner database)


class Attributor:
    """Attributes hosts and server addresses for one session."""

    def __init__(self, app: str | None = None, first_party: Iterable[str] = (), *,
                 owners: OwnerDB | None = None, geoip: CountryDB | None = None) -> None:
        self.owners = owners if owners is not None else bundled()
        self.geoip = geoip
        first = [d for d in first_party if d.strip()]
        self.rules = PartyRules(app, first)
        orgs: set[str] = set()
        if app and (org := app_organisation(app)):
            orgs.add(org)
        anchors = [*([app_domain(app)] if app else []), *first]
        for host in anchors:
            row = self.owners.lookup(host) if host else None
            if row is not None and row.category not in OPERATOR_CATEGORIES:
                orgs.add(row.organisation)
        self.first_party_orgs = frozenset(org_key(o) for o in orgs)
        self._cache: dict[str, Recipient] = {}

    @property
    def known(self) -> bool:
        return self.rules.known

    def party(self, host: str) -> str:
        """``first``, ``third`` or ``unknown`` for a host or domain."""
        return self.recipient(host).party

    def recipient(self, host: str) -> Recipient:
        key = host.strip().rstrip(".").lower()
        if key in self._cache:
            return self._cache[key]
        rec = self._recipient(key)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = rec
        return rec

    def _recipient(self, host: str) -> Recipient:
        domain = registrable_domain(host)
        row = self.owners.lookup(host)
        owner = row.organisation if row else None
        category = row.category if row else None
        party = self.rules.party(domain)
        if (party == "third" and row is not None and category not in OPERATOR_CATEGORIES
                and org_key(row.organisation) in self.first_party_orgs):
            party = "first"
        if party == "first" and not category:
            category = "first-party-api"
        country = (row.country or self.owners.country_of(row.organisation)) if row else None
        return Recipient(domain, owner, category, party, country)

    def country(self, server_ip: str | None) -> str | None:
        """Country of the server address (None when private or unknown)."""
        return self.geoip.country(server_ip) if self.geoip is not None else None


def build_attributor(app: str | None = None, first_party: Iterable[str] = (), *,
                     owner_files: Iterable[str | os.PathLike[str]] = (),
                     geoip: str | os.PathLike[str] | None = None,
                     countries: bool = True) -> Attributor:
    """An `Attributor` over the bundled owners plus `owner_files` (later files win),
    with the bundled GeoIP database or the user's mmdb file `geoip`.

    Raises ReadError naming the file when an owner list or the mmdb is unreadable.
    """
    db = bundled()
    for path in owner_files:
        _, rows, patterns = load_owner_file(path)
        db = db.layered(rows, patterns)
    return Attributor(app, first_party, owners=db,
                      geoip=open_geoip(geoip) if countries or geoip else None)
