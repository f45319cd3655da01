"""`trafficscope report`: a session as DIR/index.html, DIR/charts/*.png|svg, DIR/findings.csv.

Everything is written readable by its owner only (files 0600, folders 0700).
The store never holds raw values; the report hides even the stored, partly
masked values unless `reveal` is set (then it shows them and full hashes).
"""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..export import export
from ..store import Store
from . import charts, facts
from .html import render_page

log = logging.getLogger(__name__)

#: Chart name -> (caption, alt text), in report order.
CAPTIONS: dict[str, tuple[str, str]] = {
    "flow": ("Read from left to right: the app, the organisations that received personal "
             "data (first party grey, third parties red), and which data each one got. "
             "Band widths count findings.",
             "Flow diagram from the app to recipient organisations to kinds of personal data"),
    "entities_by_recipient": ("Each row is a recipient, each column a kind of personal data; "
                              "numbers count how often it was sent.",
                              "Heat map of personal data by recipient"),
    "recipients": ("How many kinds of personal data each organisation received, third "
                   "parties first.", "Bar chart of recipients by party and organisation"),
    "timeline": ("Each dot is one piece of personal data leaving the phone, in time order; "
                 "dashed lines mark events such as a consent dialog.",
                 "Timeline of personal data sent, by recipient"),
    "countries": ("Recipient organisations by the country of the server that received the data.",
                  "Bar chart of countries"),
    "encodings": ("How the values were packed in the requests: the decoding steps trafficscope "
                  "undid to find them, and where in the request they were.",
                  "Bar chart of encodings used"),
    "compare": ("Kinds of personal data in the two sessions, by number of recipient "
                "organisations: pale bars are this session, solid bars the compared one.",
                "Comparison of two sessions"),
}


@dataclass(frozen=True, slots=True)
class Report:
    """What `write_report` wrote."""

    index: Path
    charts: tuple[Path, ...]
    findings: int
    flows: int


def private_dir(path: Path) -> None:
    from ..store import make_private_dirs

    make_private_dirs(path)  # missing parents 0700 too
    os.chmod(path, 0o700)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def marks(store: Store, session: str) -> pd.DataFrame:
    """Marks of the session (columns ts, name) when the store has a marks table."""
    try:
        rows = store.db.execute(
            "SELECT ts, name FROM marks WHERE session=? ORDER BY ts", (session,)).fetchall()
    except sqlite3.OperationalError:  # no marks table in this store
        rows = []
    return pd.DataFrame(rows, columns=["ts", "name"])


def _meta(store: Store) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in store.db.execute("SELECT key, value FROM meta")]


def _session_row(store: Store, session: str) -> dict[str, Any]:
    cur = store.db.execute("SELECT * FROM sessions WHERE id=?", (session,))
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _figures(findings: pd.DataFrame, flows: pd.DataFrame, mk: pd.DataFrame,
             start: float, other: tuple[pd.DataFrame, tuple[str, str]] | None) -> dict[str, Any]:
    figs = {
        "flow": charts.chart_flow(findings),
        "entities_by_recipient": charts.chart_entities_by_recipient(findings),
        "recipients": charts.chart_recipients(findings),
        "timeline": charts.chart_timeline(findings, mk, start),
        "countries": charts.chart_countries(findings),
        "encodings": charts.chart_encodings(findings),
    }
    if other is not None:
        figs["compare"] = charts.chart_compare(findings, other[0], other[1])
    return {k: v for k, v in figs.items() if v is not None}


def write_report(store: Store, out_dir: str | os.PathLike[str], *, session: str | None = None,
                 reveal: bool = False, compare: str | None = None) -> Report:
    """Write the report of `session` (latest when None) into `out_dir`."""
    sid = store.resolve_session(session)
    out = Path(out_dir)
    private_dir(out)
    private_dir(out / "charts")
    findings, flows = store.findings(sid), store.flows(sid)
    mk = marks(store, sid)
    row = _session_row(store, sid)
    start = float(min(flows["ts"].min() if not flows.empty else float("inf"),
                      findings["ts"].min() if not findings.empty else float("inf"),
                      mk["ts"].min() if not mk.empty else float("inf")))
    start = 0.0 if start == float("inf") else start
    other = None
    if compare:
        osid = store.resolve_session(compare)
        names = (f"{sid} ({row.get('app') or 'app'})",
                 f"{osid} ({_session_row(store, osid).get('app') or 'app'})")
        other = (store.findings(osid), names)
    chart_list, paths = [], []
    for name, fig in _figures(findings, flows, mk, start, other).items():
        w, h = (fig.get_size_inches() * 100).round().astype(int)
        images = charts.save(fig, out / "charts", name)
        paths += [out / "charts" / f"{name}.{fmt}" for fmt in images]
        caption, alt = CAPTIONS[name]
        chart_list.append({
            "name": name, "caption": caption, "alt": alt, "width": int(w), "height": int(h),
            "uri": "data:image/svg+xml;base64," + base64.b64encode(images["svg"]).decode()})
    app = facts.app_name(findings, flows, row.get("app"))
    consent = facts.consent_time(mk)
    context = {
        "version": __version__, "session_id": sid, "app": app, "reveal": reveal,
        "headline": facts.headline(app, findings, flows),
        "sentences": facts.sentences(findings, consent),
        "consent": facts.clock(consent - start) if consent is not None else None,
        "charts": chart_list,
        "findings": facts.finding_rows(findings, start, reveal),
        "has_country": bool(not findings.empty and findings["country"].notna().any()),
        "quiet": facts.quiet_flows(flows, start, reveal),
        "meta": facts.metadata(row, flows, _meta(store), __version__),
        "marks": [{"clock": facts.clock(float(t) - start), "name": str(n)}
                  for t, n in zip(mk["ts"], mk["name"], strict=True)],
    }
    data = {"session": sid, "app": app, "findings": len(findings), "flows": len(flows),
            "charts": [c["name"] for c in chart_list], "reveal": reveal,
            "tool_version": __version__}
    index = out / "index.html"
    _write_private(index, render_page(context, data))
    records = list(store.iter_findings(sid))
    if not reveal:
        records = [{**r, "value_masked": facts.hidden(str(r["value_masked"])),
                    "url": facts.hide_in_url(facts.text(r["url"])) or None} for r in records]
    # The report hides every value itself unless --reveal (its own --raw).
    export(records, "csv", str(out / "findings.csv"), raw=True)
    log.info("report of session %s: %d findings, %d flows, %d charts", sid, len(findings),
             len(flows), len(chart_list))
    return Report(index, tuple(paths), len(findings), len(flows))
