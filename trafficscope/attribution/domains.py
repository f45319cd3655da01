"""Registrable domains (eTLD+1) and first/third party decisions.

The Public Suffix List comes with the `publicsuffixlist` package, so nothing
is fetched at run time. Private suffixes (``appspot.com``, ``github.io``) count
as suffixes: ``x.appspot.com`` belongs to whoever runs ``x``, not to Google.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """eTLD+1 of `host`; IP addresses and bare suffixes come back as they are.

    >>> registrable_domain("ulogs.umeng.com")
    'umeng.com'
    """
    h = host.strip().rstrip(".").lower()
    if not h or _is_ip(h):
        return h.strip("[]")
    return _PSL.privatesuffix(h) or h


def app_domain(app_id: str) -> str | None:
    """The domain an Android package / iOS bundle id names, by reverse DNS.

    ``com.tencent.mm`` -> ``tencent.com``. None when the id has fewer than two
    labels or does not end in a known suffix.
    """
    labels = [p for p in app_id.strip().lower().split(".") if p]
    if len(labels) < 2:
        return None
    host = ".".join(reversed(labels))
    domain = _PSL.privatesuffix(host)
    return domain


class PartyRules:
    """Decides `first`, `third` or `unknown` for a registrable domain."""

    def __init__(self, app: str | None = None, first_party: Iterable[str] = ()) -> None:
        domains = {registrable_domain(d) for d in first_party if d.strip()}
        if app and (d := app_domain(app)):
            domains.add(d)
        self.first_party_domains = frozenset(domains)
        self.known = bool(app) or bool(domains)

    def party(self, domain: str) -> str:
        if not self.known:
            return "unknown"
        return "first" if domain in self.first_party_domains else "third"
