"""Lists of records: APP_LIST, CONTACTS, CALL_LOG and SMS.

A list is the fields of one flow whose key paths share a parent and differ by
an index (`data.contacts.3.phone`). Each item's leaf keys are given roles
(`ROLES`: name, phone, email, duration, date, body, package); an item is

- an SMS when it has a phone-ish address and a message body;
- a call when it has a number and a duration (or a date and a call type);
- a contact when it has a name and a phone or an email;

and a list with `MIN_ITEMS` such items (one is enough under a key naming the
entity: `contacts`, `calllog`, `sms`) is reported once, on its first field,
with the item count in the evidence. APP_LIST: at least `MIN_APPS` distinct
Android package ids as the items of a list (strings or a `pkg`/`packageName`
key), or comma-separated in one value under an app-list key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ...model import Field, dotted
from ..keys import key_priors, normalize_key
from .base import Detector, FlowCandidate

MIN_ITEMS = 2
MIN_APPS = 3
ROLES = {
    "name": "name", "displayname": "name", "fullname": "name", "contactname": "name",
    "nickname": "name", "cachedname": "name",
    "phone": "phone", "number": "phone", "mobile": "phone", "tel": "phone", "num": "phone",
    "phonenumber": "phone", "phones": "phone", "msisdn": "phone", "address": "phone",
    "from": "phone", "to": "phone", "sender": "phone",
    "email": "email", "mail": "email", "emails": "email",
    "duration": "duration", "dur": "duration", "calltime": "duration",
    "date": "date", "time": "date", "timestamp": "date", "ts": "date", "datesent": "date",
    "type": "type", "calltype": "type",
    "body": "body", "content": "body", "msg": "body", "message": "body", "text": "body",
    "smsbody": "body",
    "pkg": "package", "pkgname": "package", "packagename": "package", "package": "package",
    "bundleid": "package", "appid": "package",
}
_ITEM = re.compile(r"^(?:(.*)\.)?([0-9]+)(?:\.([^.]+))?$")  # the last index
PACKAGE = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+){1,8}")
_DIGITS = re.compile(r"[0-9]")
_NOT_APPS = re.compile(r"[0-9]+(?:\.[0-9]+)+|.*\.(?:com|cn|net|org|html|js|png|jpg)$")


_Lists = dict[tuple[str, str], dict[str, dict[str, Field]]]
#: (list key, its items in index order, each with its kind or None)
_Kinds = list[tuple[str, list[tuple[dict[str, Field], str | None]]]]
#: The last flow's fields, their lists and the kinds of their items: the four list
#: detectors of a flow run one after another on the same fields (one tuple, so a
#: read sees a matching set).
_last: tuple[object, _Lists, _Kinds] = (None, {}, [])


@lru_cache(maxsize=8192)
def _item_key(key: str) -> tuple[str, str, str] | None:
    """(list key, index, role or "" for a bare item) of a key path, or None when it
    is not an item of a list, or names no role."""
    m = _ITEM.match(dotted(key))
    if m is None:
        return None
    parent, index, leaf = m.group(1) or "", m.group(2), m.group(3)
    if leaf is None:
        return parent, index, ""
    role = ROLES.get(normalize_key(leaf), "")
    return (parent, index, role) if role else None


def _items(fields: Sequence[Field]) -> _Lists:
    """(location, list key) -> index -> role (or "" for a bare item) -> field."""
    return _lists(fields)[0]


def _lists(fields: Sequence[Field]) -> tuple[_Lists, _Kinds]:
    """The lists of a flow (`_items`) and the kind of each item, worked out once."""
    global _last
    seen, lists, kinds = _last
    if seen is fields and isinstance(fields, tuple):  # (a list may have changed since)
        return lists, kinds
    lists = {}
    for f in fields:
        if not f.key:
            continue
        item = _item_key(f.key)
        if item is None:
            continue
        parent, index, role = item
        lists.setdefault((f.location, parent), {}).setdefault(index, {}).setdefault(role, f)
    kinds = [(parent, [(item, _kind(item)) for _, item in
                       sorted(items.items(), key=lambda kv: int(kv[0]))])
             for (_loc, parent), items in lists.items()]
    _last = (fields, lists, kinds)
    return lists, kinds


def _kind(item: dict[str, Field]) -> str | None:
    phone = "phone" in item and len(_DIGITS.findall(item["phone"].value)) >= 5
    if phone and "body" in item:
        return "SMS"
    if phone and ("duration" in item or ("date" in item and "type" in item)):
        return "CALL_LOG"
    if "name" in item and (phone or "@" in item.get("email", item["name"]).value):
        return "CONTACTS"
    return None


def records(fields: Sequence[Field], entity: str) -> Iterable[FlowCandidate]:
    for parent, items in _lists(fields)[1]:
        hits = [item for item, kind in items if kind == entity]
        if not hits:
            continue
        keyed = bool(key_priors(parent or None).get(entity))
        if len(hits) >= MIN_ITEMS or (hits and keyed):
            first = min(hits[0].values(), key=lambda f: f.key or "")
            values = sorted(f.value for item in hits for f in item.values())
            yield FlowCandidate(first, "|".join(values), 0.8 if len(hits) > 1 else 0.6,
                                (f"items:{len(hits)}",))


def _apps(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
    for items in _items(fields).values():
        found: dict[str, Field] = {}
        for item in items.values():
            f = item.get("") or item.get("package")
            if f is not None and PACKAGE.fullmatch(f.value) and not _NOT_APPS.fullmatch(f.value):
                found.setdefault(f.value, f)
        if len(found) >= MIN_APPS:
            yield FlowCandidate(next(iter(found.values())), ",".join(sorted(found)), 0.75,
                                (f"apps:{len(found)}",))
    for f in fields:
        if key_priors(f.key).get("APP_LIST") and "," in f.value:
            names = {p.strip() for p in f.value.split(",")}
            apps = {n for n in names if PACKAGE.fullmatch(n) and not _NOT_APPS.fullmatch(n)}
            if len(apps) >= MIN_APPS:
                yield FlowCandidate(f, ",".join(sorted(apps)), 0.75, (f"apps:{len(apps)}",))


class AppListDetector(Detector):
    ENTITY = "APP_LIST"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return _apps(fields)

    @staticmethod
    def wants_key(key: str) -> bool:
        return _item_key(key) is not None or bool(key_priors(key).get("APP_LIST"))


class ContactsDetector(Detector):
    ENTITY = "CONTACTS"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return records(fields, "CONTACTS")

    @staticmethod
    def wants_key(key: str) -> bool:
        return _item_key(key) is not None


class CallLogDetector(Detector):
    ENTITY = "CALL_LOG"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return records(fields, "CALL_LOG")

    @staticmethod
    def wants_key(key: str) -> bool:
        return _item_key(key) is not None


class SmsDetector(Detector):
    ENTITY = "SMS"

    @staticmethod
    def from_flow(fields: Sequence[Field]) -> Iterable[FlowCandidate]:
        return records(fields, "SMS")

    @staticmethod
    def wants_key(key: str) -> bool:
        return _item_key(key) is not None
