"""The Android TCF analysis set (2025) as flows: where real SDKs put the advertising id.

The set ("Automatic Privacy Analysis and Compliance of TCF-based Android
Applications") lists 6,400 requests in which apps sent the test phone's
advertising id (`AAID`) or public address (`public_IP`), from a passive and an
active stage (two CSV files). A row gives the app, the method, whether the
value was in the URL or the payload, the key it was under and the URL; not the
request's bytes. `to_flow` rebuilds a request from that:

- URL rows: the value under its key in the query (`key=value`), or the URL as
  it is when it already holds the value (a path segment); a key written with
  its path (`/config?gaid`) keeps its query name; a key holding `=` is the
  start of a parameter the value ends (`c=42|...|<value>`).
- payload rows: a JSON body, a dotted key path (`unifiedconfig.pii.x`) as
  nested objects; a trailing backslash of the set's escaping is dropped. Rows
  without a key (`no_key_found (protobuf)`, `Improper request-key ...`) send the
  value alone: as field 1 of a protobuf message, or as the raw body.

So the set measures what the key names say, as SDKs name them: a UUID is an
advertising id only under such a key, or when it is the profile's value.
`public_IP` rows are not scored: a public address is not among the entities.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ..model import Flow
from ..profile import KnownValue, Profile
from .corpus import protobuf_strings

AAID = "60e5d787-7b10-4341-8289-a784280e7f1f"
FILE_NAMES = ("tcf_traffic_analysis_stage_1.csv", "tcf_traffic_analysis_stage_2.csv")
#: Keys the set gives for values it found without one.
NO_KEY = ("no_key_found", "Improper request-key")
_REQUEST = re.compile(r"(\w+) from (URL|payload): (.*)$", re.S)
_PATH_PART = re.compile(r"\.|\[([^\]]*)\]")


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled request: its stage, app and the key the id was under ('' for none)."""

    stage: str
    app: str
    key: str
    where: str  # "URL" or "payload"
    flow: Flow


def profile() -> Profile:
    """The test phone's values: its advertising id."""
    return Profile(values=(KnownValue("AD_ID", "device.ad_id", AAID),))


def _nested(path: str, value: str) -> object:
    """`a.b[c]` -> {"a": {"b": {"c": value}}}."""
    parts = [p for p in _PATH_PART.sub(lambda m: "." + (m.group(1) or ""), path).split(".")
             if p]
    out: object = value
    for part in reversed(parts or [path]):
        out = {part: out}
    return out


def to_flow(no: str, method: str, where: str, key: str, url: str) -> Flow:
    """A request that sends `AAID` as the row says (see the module's docstring)."""
    headers: tuple[tuple[str, str], ...] = ()
    body = b""
    if where == "URL":
        if AAID not in url:
            name = key.rsplit("?", 1)[-1]
            query = name + AAID if "=" in name else f"{quote(name, safe='[]')}={AAID}"
            url += ("&" if "?" in url else "?") + query
    elif key.startswith(NO_KEY[0]):
        headers = (("Content-Type", "application/x-protobuf"),)
        body = protobuf_strings({"id": AAID})
    elif key.startswith(NO_KEY[1]) or not key.strip(":[\\"):
        headers = (("Content-Type", "application/octet-stream"),)
        body = AAID.encode()
    else:
        headers = (("Content-Type", "application/json"),)
        body = json.dumps(_nested(key.rstrip("\\").lstrip("#"), AAID)).encode()
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return Flow(flow_id=f"tcf-{no}", ts=0.0, source="har", kind="http", host=host,
                method=method, url=url, request_headers=headers, request_body=body)


def load(folder: str | os.PathLike[str]) -> Iterator[Row]:
    """The advertising-id rows of both stages' CSV files in `folder`, as flows."""
    for name in FILE_NAMES:
        stage = name.split("_")[-1].removesuffix(".csv")
        with open(os.path.join(folder, name), encoding="utf-8-sig", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), 1):
                m = _REQUEST.match(row.get("Request", ""))
                if row.get("PD") != "AAID" or m is None:
                    continue
                method, where, rest = m.groups()
                i = rest.rfind(":" + AAID)
                if i < 0:
                    continue
                key = rest[:i]
                shown = "" if key.startswith(NO_KEY) or not key.strip(":[\\") else key
                yield Row(stage, row.get("App Package", ""), shown, where,
                          to_flow(f"{stage}-{n}", method, where, key, row.get("URL", "")))
