"""Charts: every chart draws from findings with or without attribution, colours agree."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import PathPatch, Rectangle

from trafficscope.model import FINDING_FIELDS
from trafficscope.report import charts
from trafficscope.report.palette import ENTITY_STYLE, entity_colour


def finding(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {name: None for name in FINDING_FIELDS}
    base.update(session="s", flow_id="f", ts=1000.0, source="har", app="com.example.app",
                kind="http", host="t.tracker.example", domain="tracker.example",
                party="third", pii_type="IMEI", location="query", key="imei", encoding=[],
                match="known", confidence=1.0, value_masked="49*****18", value_sha256="ab")
    base.update(kw)
    return base


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(FINDING_FIELDS))


SAMPLE = frame(
    finding(),
    finding(ts=1010.0, pii_type="AD_ID", domain="ads.example", host="x.ads.example",
            encoding=["gzip", "json"], location="body", key="device.ifa"),
    finding(ts=1020.0, pii_type="EMAIL", domain="shop.example", party="first",
            key="$\\frac{a}{b}$", host="api.shop.example"),
    finding(ts=1030.0, pii_type="LOCATION", domain="$x$ <b>.example", host="$x$"),
)
OWNED = SAMPLE.assign(owner=["Tracker Inc", "Ads Ltd", None, "Tracker Inc"],
                      country=["US", "CN", None, "US"])


def colours(fig: object) -> set[str]:
    """Face colours of the patches and scatter points of a figure."""
    found: set[str] = set()
    for ax in fig.axes:  # type: ignore[attr-defined]
        for p in ax.patches:
            if isinstance(p, Rectangle | PathPatch):
                found.add(to_hex(p.get_facecolor(), keep_alpha=False))
        for c in ax.collections:
            found.update(to_hex(fc, keep_alpha=False) for fc in c.get_facecolors())
    return found


@pytest.mark.parametrize("df", [SAMPLE, OWNED], ids=["no-attribution", "attributed"])
def test_every_chart_draws(df: pd.DataFrame, tmp_path: Path) -> None:
    marks = pd.DataFrame({"ts": [1015.0], "name": ["consent $given$"]})
    figs = {
        "flow": charts.chart_flow(df),
        "entities_by_recipient": charts.chart_entities_by_recipient(df),
        "recipients": charts.chart_recipients(df),
        "timeline": charts.chart_timeline(df, marks, 990.0),
        "encodings": charts.chart_encodings(df),
        "compare": charts.chart_compare(df, df.iloc[:2], ("v1", "v2")),
    }
    for name, fig in figs.items():
        assert fig is not None, name
        written = charts.save(fig, tmp_path, name)
        assert written["png"].startswith(b"\x89PNG") and b"<svg" in written["svg"]
        for ext in ("png", "svg"):
            assert stat.S_IMODE(os.stat(tmp_path / f"{name}.{ext}").st_mode) == 0o600
    countries = charts.chart_countries(df)
    assert (countries is None) == df["country"].isna().all()


def test_same_entity_same_colour_everywhere() -> None:
    imei, ad = entity_colour("IMEI"), entity_colour("AD_ID")
    for fig in (charts.chart_flow(SAMPLE), charts.chart_entities_by_recipient(SAMPLE),
                charts.chart_recipients(SAMPLE), charts.chart_timeline(SAMPLE),
                charts.chart_compare(SAMPLE, SAMPLE, ("a", "b"))):
        found = colours(fig)
        assert imei in found and ad in found
        assert entity_colour("SMS") not in found  # no SMS in the sample
    assert len({c for c, _, _ in ENTITY_STYLE.values()}) == len(ENTITY_STYLE)


def test_owner_names_the_recipient_when_known() -> None:
    assert list(charts.recipients(OWNED)) == ["Tracker Inc", "Ads Ltd", "shop.example",
                                              "Tracker Inc"]
    assert list(charts.recipients(SAMPLE)) == list(SAMPLE["domain"])


def test_labels_are_never_mathtext() -> None:
    assert charts.label("$x$") == r"\$x\$"
    assert charts.label("a" * 100).endswith("…") and len(charts.label("a" * 100)) == 38
    assert charts.label(None) == "?" and charts.label("\x00\n") == "??"


def test_nothing_to_draw() -> None:
    empty = frame()
    for fn in (charts.chart_flow, charts.chart_entities_by_recipient, charts.chart_recipients,
               charts.chart_timeline, charts.chart_countries, charts.chart_encodings):
        assert fn(empty) is None
    assert charts.chart_compare(empty, empty, ("a", "b")) is None


def test_many_recipients_share_one_row() -> None:
    df = frame(*(finding(domain=f"d{i:02d}.example", ts=float(i)) for i in range(45)))
    rows = charts.top_recipients(df, limit=30)
    assert rows.nunique() == 30
    assert (rows == "16 other organisations").sum() == 16
    fig = charts.chart_entities_by_recipient(df)
    assert fig is not None and len(fig.axes[0].get_yticklabels()) == 30
