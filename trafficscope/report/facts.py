"""What a report says, in plain language and in rows: pure functions over DataFrames.

The sentences name organisations (a domain's `owner` when the attribution
knows it, else the registrable domain), count countries only when they are
known, and say how many recipients got a value before consent when the
session holds a consent mark (a mark whose name contains "consent").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from .charts import recipients
from .palette import entity_label, entity_order, entity_phrase

#: Organisations named per summary sentence; the rest are counted.
NAMES = 4


@dataclass(frozen=True, slots=True)
class Sentence:
    """One line of the summary: the entity (for its colour), the text, who got it."""

    entity: str
    text: str
    names: tuple[str, ...] = ()
    more: int = 0


def utc(ts: float | None) -> str:
    if ts is None or pd.isna(ts):
        return ""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for a duration in seconds."""
    s = max(round(seconds), 0)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def consent_time(marks: pd.DataFrame | None) -> float | None:
    """Time of the first mark whose name mentions consent, or None."""
    if marks is None or marks.empty:
        return None
    hits = marks[marks["name"].astype(str).str.contains("consent", case=False, regex=False)]
    return float(hits["ts"].min()) if not hits.empty else None


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def app_name(findings: pd.DataFrame, flows: pd.DataFrame, session_app: str | None) -> str:
    for df in (findings, flows):
        if "app" in df and df["app"].notna().any():
            return str(df["app"].dropna().iloc[0])
    return session_app or "the app"


def headline(app: str, findings: pd.DataFrame, flows: pd.DataFrame) -> str:
    """The report's first sentence."""
    if flows.empty and findings.empty:
        return ("This session holds no traffic: no requests were recorded, so there is "
                "nothing to report.")
    if findings.empty:
        return (f"No personal data was found in the {_plural(len(flows), 'request')} "
                "of this session.")
    orgs = recipients(findings)
    third = findings.loc[findings["party"] == "third", :].pipe(recipients).nunique()
    kinds = findings["pii_type"].nunique()
    parties = (f"{third} of them third parties" if (findings["party"] != "unknown").any()
               else "first or third party not known (no app id given)")
    subject = "The app" if app == "the app" else app
    return (f"{subject} sent {_plural(kinds, 'kind')} of personal data to "
            f"{_plural(orgs.nunique(), 'organisation')}, {parties}, "
            f"in {_plural(len(flows), 'request')}.")


def sentences(findings: pd.DataFrame, consent: float | None) -> list[Sentence]:
    """One sentence per entity, the most widely shared first."""
    if findings.empty:
        return []
    df = findings.assign(r=recipients(findings))
    out: list[tuple[int, int, Sentence]] = []
    for rank, ent in enumerate(entity_order(df["pii_type"])):
        sub = df[df["pii_type"] == ent]
        orgs = sub["r"].nunique()
        text = f"The app sent {entity_phrase(ent)} to {_plural(orgs, 'organisation')}"
        countries = sub["country"].dropna() if "country" in sub else pd.Series(dtype=str)
        if not countries.empty:
            text += f" in {_plural(countries.nunique(), 'country', 'countries')}"
        if consent is not None:
            before = sub[sub["ts"].astype(float) < consent]["r"].nunique()
            count = str(before) if before else "none"
            text += f", {count} of them before consent" if orgs > 1 else (
                ", before consent" if before else ", after consent")
        names = tuple(sub.sort_values("ts", kind="stable")["r"].drop_duplicates())
        out.append((-orgs, rank, Sentence(ent, text, names[:NAMES], max(len(names) - NAMES, 0))))
    return [s for _, _, s in sorted(out, key=lambda t: (t[0], t[1]))]


def hidden(value: str) -> str:
    """A masked value with no character of it left."""
    return "•" * min(len(value), 8)


def text(value: object) -> str:
    """A nullable store column as text: None and NaN (pandas' missing value) are ''."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def hide_in_url(url: str) -> str:
    """`url` with every path segment that held a (partly masked) value fully hidden."""
    return "/".join("••••" if "**" in seg else seg for seg in url.split("/"))


def finding_rows(findings: pd.DataFrame, start: float, reveal: bool) -> list[dict[str, Any]]:
    """Rows of the findings table; values fully hidden unless `reveal`."""
    rows = []
    for rec, r in zip(findings.to_dict("records"), recipients(findings), strict=True):
        enc = list(rec["encoding"] or [])
        rows.append({
            "t": float(rec["ts"]) - start, "clock": clock(float(rec["ts"]) - start),
            "when": utc(rec["ts"]), "entity": rec["pii_type"],
            "entity_label": entity_label(str(rec["pii_type"])), "recipient": r,
            "party": text(rec["party"]), "country": text(rec.get("country")),
            "host": text(rec["host"]), "location": text(rec["location"]),
            "url": text(rec.get("url")) if reveal else hide_in_url(text(rec.get("url"))),
            "key": text(rec.get("key")), "encoding": " › ".join(enc) if enc else "plain",
            "value": text(rec["value_masked"]) if reveal else hidden(text(rec["value_masked"])),
            "hash": rec["value_sha256"] if reveal else str(rec["value_sha256"])[:10],
            "match": rec["match"], "confidence": f"{float(rec['confidence']):.2f}",
        })
    return rows


def quiet_flows(flows: pd.DataFrame, start: float, reveal: bool) -> list[dict[str, Any]]:
    """Flows that carried no finding: where the phone connected, not what it sent."""
    if flows.empty:
        return []
    quiet = flows[flows["n_findings"] == 0]
    return [{
        "t": float(f["ts"]) - start, "clock": clock(float(f["ts"]) - start),
        "when": utc(f["ts"]), "host": text(f["host"]), "ip": text(f["server_ip"]),
        "port": "" if pd.isna(f["server_port"]) else int(f["server_port"]),
        "bytes_out": int(f["bytes_out"]), "bytes_in": int(f["bytes_in"]),
        "kind": text(f["kind"]),
        "url": text(f["url"]) if reveal else hide_in_url(text(f["url"])),
    } for f in quiet.to_dict("records")]


def metadata(session: dict[str, Any], flows: pd.DataFrame, meta: Iterable[tuple[str, str]],
             tool_version: str) -> list[tuple[str, str]]:
    """Session facts as (label, text) pairs: never profile values, only their keys."""
    import json

    keys = json.loads(session.get("profile_keys") or "[]")
    inputs = json.loads(session.get("inputs") or "[]")
    rows = [
        ("Session", str(session["id"])),
        ("App", session.get("app") or "not given"),
        ("Source", str(session.get("source") or "")),
        ("Session created", utc(session.get("created"))),
    ]
    if not flows.empty:
        rows.append(("Traffic captured", f"{utc(flows['ts'].min())} to {utc(flows['ts'].max())}"
                     f" ({clock(float(flows['ts'].max() - flows['ts'].min()))})"))
    rows += [
        ("Input files", ", ".join(PurePath(p).name for p in inputs) or "none"),
        ("Profile keys used", ", ".join(keys) if keys else "none (patterns only)"),
        ("Analysed with", f"trafficscope {session.get('tool_version', '?')}"),
        ("Report made with", f"trafficscope {tool_version}"),
    ]
    rows += [(f"Database: {k}", v) for k, v in meta if k != "schema_version"]
    return rows
