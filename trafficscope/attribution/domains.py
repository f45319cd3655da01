"""Registrable domains (eTLD+1) and first/third party decisions.

The Public Suffix List comes with the `publicsuffixlist` package, so nothing
is fetched at run time. Private suffixes (``appspot.com``, ``github.io``) count
as suffixes: ``x.appspot.com`` belongs to whoever runs ``x``, not to Google.
Parsing the list takes ~60 ms, so the parsed list is kept in the user's cache
(`trafficscope.cache`, ~3 ms to load) and read back with an unpickler that
builds nothing but the list object.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import pickle
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import publicsuffixlist
from publicsuffixlist import PublicSuffixList

from .. import cache

log = logging.getLogger(__name__)


class _ListUnpickler(pickle.Unpickler):
    """Builds a `PublicSuffixList` (its state is strings, a frozenset, numbers) and
    refuses any other class, so a damaged or foreign cache file cannot run code."""

    def find_class(self, module: str, name: str) -> type:
        if (module, name) == ("publicsuffixlist", "PublicSuffixList"):
            return PublicSuffixList
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def load_suffix_list() -> PublicSuffixList:
    """The package's Public Suffix List, parsed, from the cache when it holds it."""
    d = cache.directory("psl")
    if d is None:
        return PublicSuffixList()
    try:
        key = cache.source_key(publicsuffixlist.__version__, pickle.HIGHEST_PROTOCOL,
                               files=(Path(publicsuffixlist.PSLFILE),))
    except OSError:
        return PublicSuffixList()
    path = d / f"{key}.pickle"
    try:
        psl = _ListUnpickler(io.BytesIO(path.read_bytes())).load()
        if isinstance(psl, PublicSuffixList):
            return psl
    except FileNotFoundError:
        pass
    except Exception as exc:  # any bad file: parse again and rewrite it
        log.debug("suffix list cache unreadable (%s): parsing the list", type(exc).__name__)
    psl = PublicSuffixList()
    cache.write(path, pickle.dumps(psl, protocol=pickle.HIGHEST_PROTOCOL), keep=2)
    return psl


_PSL = load_suffix_list()


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


def known_suffix(domain: str) -> str | None:
    """The public suffix `domain` ends in, or None when its TLD is in no list
    (`vnu.watka`, `corp.internal`): `domain` lowercase."""
    return _PSL.publicsuffix(domain, accept_unknown=False)


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
