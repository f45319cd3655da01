"""Owner lists that users already keep, read into `Owner` rows.

`load_owner_file` recognises the format by content, not by name:

- DuckDuckGo Tracker Radar / TDS (``tds.json``): ``trackers`` (domain ->
  owner, categories) and ``entities`` (organisation -> its ``domains``);
  also a single Tracker Radar domain file (``domain`` + ``owner``) or entity
  file (``name`` + ``properties``).
- Disconnect ``services.json``: ``categories`` -> organisation -> homepage ->
  domains.
- Exodus Privacy trackers JSON (the ``/api/trackers`` answer): ``trackers`` ->
  id -> ``name``, ``categories``, ``network_signature`` (a regular expression;
  plain domains in it become suffix rows, the rest stays a pattern).
- trafficscope's own owners CSV (the format of the bundled ``owners.csv``).

Every problem is a ReadError naming the file and the reason.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ReadError
from .owners import Owner, parse_owners_csv

log = logging.getLogger(__name__)

#: Owner lists are read whole; real ones are a few MB (TDS ~1-3 MB).
MAX_BYTES = 64 * 1024 * 1024

Pattern = tuple[re.Pattern[str], Owner]
Parsed = tuple[list[Owner], list[Pattern]]

#: Other lists' category names -> trafficscope's vocabulary, by priority:
#: when a domain has several categories, the first one listed here is kept.
CATEGORY_MAP: tuple[tuple[str, str], ...] = (
    ("advertising", "advertising"), ("advertisement", "advertising"),
    ("ad motivated tracking", "advertising"), ("action pixels", "advertising"),
    ("ad fraud", "advertising"), ("attribution", "attribution"),
    ("crash reporting", "crash-reporting"), ("analytics", "analytics"),
    ("audience measurement", "analytics"), ("third-party analytics marketing", "analytics"),
    ("session replay", "analytics"), ("social", "social"), ("social network", "social"),
    ("social - share", "social"), ("social - comment", "social"),
    ("federated login", "social"), ("sso", "social"), ("online payment", "payments"),
    ("cdn", "cdn"), ("push", "push"), ("profiling", "analytics"),
    ("identification", "analytics"),
)
_PRIORITY = {name: i for i, (name, _) in enumerate(CATEGORY_MAP)}
_MAPPED = dict(CATEGORY_MAP)


def map_category(categories: Iterable[str]) -> str | None:
    """The trafficscope category for a list of another list's categories."""
    known = sorted((c.strip().casefold() for c in categories
                    if c.strip().casefold() in _MAPPED), key=_PRIORITY.__getitem__)
    return _MAPPED[known[0]] if known else None


def _name(owner: object) -> str | None:
    if isinstance(owner, str):
        return owner.strip() or None
    if isinstance(owner, Mapping):
        for key in ("displayName", "name"):
            value = owner.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _strings(value: object) -> list[str]:
    """The strings of a JSON list (anything else: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _domain(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    d = text.strip().lower().rstrip(".")
    return d if _DOMAIN.fullmatch(d) else None


_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}")


# -- DuckDuckGo ------------------------------------------------------------
def _is_tds(obj: Any) -> bool:
    trackers = obj.get("trackers")
    if isinstance(trackers, Mapping) and trackers:
        first = next(iter(trackers.values()))
        return isinstance(first, Mapping) and ("owner" in first or "domain" in first)
    return isinstance(obj.get("entities"), Mapping) and isinstance(obj.get("domains"), Mapping)


def _parse_tds(obj: Any, src: str) -> Parsed:
    rows: dict[str, Owner] = {}
    entities = obj.get("entities") if isinstance(obj.get("entities"), Mapping) else {}
    for key, entity in entities.items():
        if not isinstance(entity, Mapping):
            continue
        org = _name(entity) or str(key)
        for d in _strings(entity.get("domains")) or _strings(entity.get("properties")):
            if (dom := _domain(d)) is not None:
                rows[dom] = Owner(dom, org, None, None, f"{src} entity {key}")
    trackers = obj.get("trackers") if isinstance(obj.get("trackers"), Mapping) else {}
    for key, tracker in trackers.items():
        if not isinstance(tracker, Mapping):
            continue
        dom = _domain(tracker.get("domain") or key)
        owner = _name(tracker.get("owner"))
        if dom is None or owner is None:
            continue
        rows[dom] = Owner(dom, owner, map_category(_strings(tracker.get("categories"))),
                          None, f"{src} tracker")
    return list(rows.values()), []


def _is_radar_domain(obj: Any) -> bool:
    return isinstance(obj.get("domain"), str) and "owner" in obj


def _parse_radar_domain(obj: Any, src: str) -> Parsed:
    return _parse_tds({"trackers": {obj["domain"]: obj}}, src)


def _is_radar_entity(obj: Any) -> bool:
    return isinstance(obj.get("name"), str) and isinstance(obj.get("properties"), list)


def _parse_radar_entity(obj: Any, src: str) -> Parsed:
    return _parse_tds({"entities": {obj["name"]: obj}}, src)


# -- Disconnect ------------------------------------------------------------
def _is_disconnect(obj: Any) -> bool:
    cats = obj.get("categories")
    return isinstance(cats, Mapping) and bool(cats) and all(
        isinstance(v, list) for v in cats.values())


def _parse_disconnect(obj: Any, src: str) -> Parsed:
    rows: dict[str, Owner] = {}
    for category, services in obj["categories"].items():
        cat = map_category([str(category)])
        for service in services:
            if not isinstance(service, Mapping):
                continue
            for org, sites in service.items():
                if not isinstance(sites, Mapping):
                    continue
                for homepage, domains in sites.items():
                    if not isinstance(domains, list):
                        continue  # flags such as "performance": "true"
                    for d in _strings(domains):
                        if (dom := _domain(d)) is None:
                            continue
                        old = rows.get(dom)
                        best = cat if old is None else map_category(
                            [x for x in (old.category, cat) if x])
                        rows[dom] = Owner(dom, str(org), best, None,
                                          f"{src} {category} ({homepage})")
    return list(rows.values()), []


# -- Exodus ----------------------------------------------------------------
def _is_exodus(obj: Any) -> bool:
    trackers = obj.get("trackers")
    if not isinstance(trackers, Mapping) or not trackers:
        return False
    first = next(iter(trackers.values()))
    return isinstance(first, Mapping) and "network_signature" in first


_PLAIN = re.compile(r"\^?(?:\\?\.)?((?:[a-z0-9_-]+(?:\\\.|\.))+[a-z0-9-]+)\$?")


def signature_parts(signature: str) -> tuple[list[str], list[str]]:
    """Split an Exodus network signature into plain domains and other regexes.

    >>> signature_parts(r"umeng\\.com|\\.umengcloud\\.com|^ads[0-9]+\\.x\\.com")
    (['umeng.com', 'umengcloud.com'], ['^ads[0-9]+\\\\.x\\\\.com'])
    """
    domains, regexes = [], []
    for alt in signature.split("|"):
        alt = alt.strip()
        if not alt:
            continue
        m = _PLAIN.fullmatch(alt.lower())
        if m and (dom := _domain(m.group(1).replace("\\.", "."))):
            domains.append(dom)
        else:
            regexes.append(alt)
    return domains, regexes


def _parse_exodus(obj: Any, src: str) -> Parsed:
    rows: dict[str, Owner] = {}
    patterns: list[Pattern] = []
    for key, tracker in obj["trackers"].items():
        if not isinstance(tracker, Mapping):
            continue
        name = _name(tracker) or f"Exodus tracker {key}"
        cat = map_category(_strings(tracker.get("categories")))
        signature = tracker.get("network_signature")
        if not isinstance(signature, str) or not signature.strip():
            continue
        domains, regexes = signature_parts(signature)
        for dom in domains:
            rows[dom] = Owner(dom, name, cat, None, f"{src} tracker {key}")
        for rx in regexes:
            try:
                compiled = re.compile(rx, re.IGNORECASE)
            except re.error as e:
                log.warning("%s: tracker %s: skipping network signature %r (%s)",
                            src, key, rx, e)
                continue
            patterns.append((compiled, Owner(rx, name, cat, None, f"{src} tracker {key}")))
    return list(rows.values()), patterns


#: Formats in the order they are tried: (name, recognise, parse).
FORMATS: tuple[tuple[str, Callable[[Any], bool], Callable[[Any, str], Parsed]], ...] = (
    ("exodus", _is_exodus, _parse_exodus),
    ("tds", _is_tds, _parse_tds),
    ("radar-domain", _is_radar_domain, _parse_radar_domain),
    ("radar-entity", _is_radar_entity, _parse_radar_entity),
    ("disconnect", _is_disconnect, _parse_disconnect),
)

_EXPECTED = ("expected a DuckDuckGo Tracker Radar / TDS file, Disconnect services.json, "
             "Exodus trackers JSON or an owners CSV")


def load_owner_file(path: str | os.PathLike[str]) -> tuple[str, list[Owner], list[Pattern]]:
    """Read an owner list: (format name, suffix rows, pattern rows)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ReadError(p, e.strerror or str(e)) from None
    if len(data) > MAX_BYTES:
        raise ReadError(p, f"owner list larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(p, f"not UTF-8 text; {_EXPECTED}") from None
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        if _looks_like_owners_csv(stripped):
            return "csv", parse_owners_csv(text, str(p)), []
        raise ReadError(p, f"not a known owner list; {_EXPECTED}")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ReadError(p, f"invalid JSON ({e})") from None
    if isinstance(obj, Mapping):
        for name, recognise, parse in FORMATS:
            if recognise(obj):
                rows, patterns = parse(obj, f"{p.name}")
                if not rows and not patterns:
                    raise ReadError(p, f"{name} file names no domain")
                log.info("%s: %s list, %d domains, %d patterns", p, name, len(rows),
                         len(patterns))
                return name, rows, patterns
    raise ReadError(p, f"not a known owner list; {_EXPECTED}")


def _looks_like_owners_csv(text: str) -> bool:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            header = [c.strip() for c in line.split(",")]
            return "domain" in header and "organisation" in header
    return False
