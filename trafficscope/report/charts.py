"""Every chart of a session, drawn with matplotlib (Agg) from the pandas API.

Each `chart_*` function takes finding (and flow) DataFrames as returned by
`Store.findings()` / `Store.flows()` and returns a matplotlib Figure, or None
when there is nothing to draw. `save` writes a figure as PNG and SVG,
readable by their owner only. The scripts in `analysis/` and
`trafficscope report` both call these functions; colours come from
`palette.py`, so an entity looks the same in every chart.

Captured strings (hosts, domains, owners) reach the charts as labels: they
are shortened and their `$` escaped so matplotlib never parses them as
mathtext.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .palette import GRID, INK, MUTED, entity_colour, entity_label, entity_order, party_colour

#: Chart names in report order; each is a `chart_<name>` function below.
CHARTS = ("flow", "entities_by_recipient", "recipients", "timeline", "countries", "encodings")
#: Recipients drawn one by one; the rest share one row ("N other organisations").
MAX_ROWS = 30

_RC: Any = {
    "font.family": "DejaVu Sans", "font.size": 9, "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.titlecolor": INK, "axes.titlelocation": "left", "axes.titlepad": 10,
    "xtick.color": MUTED, "ytick.color": INK, "axes.spines.top": False,
    "axes.spines.right": False, "svg.fonttype": "path", "svg.hashsalt": "trafficscope",
}


def label(text: object, limit: int = 38) -> str:
    """A captured string made safe and short for a chart label."""
    s = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("\\", "\\\\").replace("$", r"\$") or "?"


def recipients(findings: pd.DataFrame) -> pd.Series:
    """The organisation that received each finding: `owner` when known, else `domain`."""
    owner = findings["owner"] if "owner" in findings else pd.Series(None, index=findings.index)
    return owner.where(owner.notna() & (owner.astype(str) != ""), findings["domain"]).astype(str)


def top_recipients(findings: pd.DataFrame, limit: int = MAX_ROWS) -> pd.Series:
    """`recipients`, with all but the `limit - 1` most frequent grouped as "N others"."""
    r = recipients(findings)
    counts = r.value_counts()
    if len(counts) <= limit:
        return r
    keep = set(counts.index[: limit - 1])
    return r.where(r.isin(keep), f"{len(counts) - len(keep)} other organisations")


def _figure(width: float, height: float) -> Figure:
    with plt.rc_context(_RC):
        fig = plt.figure(figsize=(width, height), dpi=100)
    return fig


def _style(fig: Figure) -> None:
    for ax in fig.axes:
        ax.title.set_color(INK)


def chart_entities_by_recipient(findings: pd.DataFrame) -> Figure | None:
    """Heatmap: recipients as rows, entities as columns, finding counts in cells."""
    if findings.empty:
        return None
    table = pd.crosstab(top_recipients(findings), findings["pii_type"])
    table = table[entity_order(table.columns)]
    table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    party = findings.assign(r=top_recipients(findings)).groupby("r")["party"].first()
    with plt.rc_context(_RC):
        fig = _figure(max(6.0, 2.6 + 0.55 * len(table.columns)), 1.3 + 0.34 * len(table))
        ax = fig.add_subplot()
        peak = max(int(table.values.max()), 1)
        for i, rec in enumerate(table.index):
            for j, ent in enumerate(table.columns):
                n = int(table.loc[rec, ent])
                if not n:
                    ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, color="#f1f3f5"))
                    continue
                ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9,
                                       color=entity_colour(ent), alpha=0.7 + 0.3 * n / peak))
                ax.text(j, i, str(n), ha="center", va="center", color="white",
                        fontsize=8, fontweight="bold")
        ax.set_xlim(-0.5, len(table.columns) - 0.5)
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xticks(range(len(table.columns)), [label(entity_label(c)) for c in table.columns],
                      rotation=40, ha="right")
        ax.set_yticks(range(len(table)), [label(r) for r in table.index])
        for tick, rec in zip(ax.get_yticklabels(), table.index, strict=True):
            tick.set_color(party_colour(str(party.get(rec, "unknown"))))
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title("Which personal data each recipient received")
        fig.tight_layout()
    return fig


def chart_recipients(findings: pd.DataFrame) -> Figure | None:
    """Bars: kinds of personal data per recipient, grouped by party, stacked by entity."""
    if findings.empty:
        return None
    df = findings.assign(r=top_recipients(findings))
    kinds = df.drop_duplicates(["r", "pii_type"])
    order = (kinds.groupby("r").agg(n=("pii_type", "size"), party=("party", "first"))
             .assign(third=lambda t: t["party"] != "third")
             .sort_values(["third", "n"], ascending=[True, False], kind="stable"))
    with plt.rc_context(_RC):
        fig = _figure(8.0, 1.2 + 0.34 * len(order))
        ax = fig.add_subplot()
        for i, rec in enumerate(order.index):
            for left, ent in enumerate(entity_order(kinds.loc[kinds["r"] == rec, "pii_type"])):
                ax.barh(i, 1, left=left, color=entity_colour(ent), edgecolor="white",
                        height=0.7)
        ax.set_yticks(range(len(order)),
                      [f"{label(r)}  ·  {label(p)}" for r, p in zip(order.index, order["party"],
                                                             strict=True)])
        for tick, p in zip(ax.get_yticklabels(), order["party"], strict=True):
            tick.set_color(party_colour(str(p)))
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("kinds of personal data received")
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title("Recipients by party and organisation")
        _legend(ax, entity_order(kinds["pii_type"]))
        fig.tight_layout()
    return fig


def _legend(ax: plt.Axes, entities: Sequence[str]) -> None:
    handles = [Rectangle((0, 0), 1, 1, color=entity_colour(e)) for e in entities]
    ax.legend(handles, [label(entity_label(e)) for e in entities], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)


def _ribbon(ax: plt.Axes, x0: float, y0: tuple[float, float], x1: float,
            y1: tuple[float, float], colour: str) -> None:
    """A band from the span y0 at x0 to the span y1 at x1 (cubic Bézier edges)."""
    mid = (x0 + x1) / 2
    verts = [(x0, y0[0]), (mid, y0[0]), (mid, y1[0]), (x1, y1[0]),
             (x1, y1[1]), (mid, y1[1]), (mid, y0[1]), (x0, y0[1]), (x0, y0[0])]
    codes = [MPath.MOVETO, *[MPath.CURVE4] * 3, MPath.LINETO, *[MPath.CURVE4] * 3,
             MPath.CLOSEPOLY]
    ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colour, alpha=0.45, lw=0))


def _stack(sizes: dict[str, int], scale: float, gap: float) -> dict[str, tuple[float, float]]:
    """Vertical spans (top to bottom) for nodes of `sizes`, centred in 0..1."""
    height = scale * sum(sizes.values()) + gap * max(len(sizes) - 1, 0)
    spans, y = {}, 0.5 + height / 2
    for name, n in sizes.items():
        spans[name] = (y - n * scale, y)
        y -= n * scale + gap
    return spans


def chart_flow(findings: pd.DataFrame) -> Figure | None:
    """Sankey-style flow: app -> recipient organisation -> entity, widths = findings."""
    if findings.empty:
        return None
    df = findings.assign(r=top_recipients(findings),
                         a=findings["app"].fillna("the app").astype(str))
    apps = {str(k): int(n) for k, n in df["a"].value_counts().items()}
    orgs = {str(k): int(n) for k, n in df["r"].value_counts().items()}
    ents = {e: int((df["pii_type"] == e).sum()) for e in entity_order(df["pii_type"])}
    party = {str(r): str(p) for r, p in zip(df["r"], df["party"], strict=True)}
    links = Counter(zip(df["a"].astype(str), df["r"], strict=True))
    pairs = Counter(zip(df["r"], df["pii_type"].astype(str), strict=True))
    gap = 0.012
    scale = (1.0 - gap * (max(len(apps), len(orgs), len(ents)) - 1)) / len(df)
    a_span, o_span, e_span = (_stack(d, scale, gap) for d in (apps, orgs, ents))
    xs, w = (0.0, 1.0, 2.0), 0.05
    with plt.rc_context(_RC):
        fig = _figure(9.0, max(3.2, 0.30 * max(len(orgs), len(ents)) + 1.2))
        ax = fig.add_subplot()
        a_off = {a: a_span[a][1] for a in apps}
        o_in = {o: o_span[o][1] for o in orgs}
        o_out = {o: o_span[o][1] for o in orgs}
        e_in = {e: e_span[e][1] for e in ents}
        for a, o in ((a, o) for o in orgs for a in apps if links[(a, o)]):
            h = links[(a, o)] * scale
            _ribbon(ax, xs[0] + w, (a_off[a] - h, a_off[a]), xs[1] - w,
                    (o_in[o] - h, o_in[o]), party_colour(party[o]))
            a_off[a] -= h
            o_in[o] -= h
        for o in orgs:
            for e in ents:
                n = pairs[(o, e)]
                if not n:
                    continue
                h = n * scale
                _ribbon(ax, xs[1] + w, (o_out[o] - h, o_out[o]), xs[2] - w,
                        (e_in[e] - h, e_in[e]), entity_colour(e))
                o_out[o] -= h
                e_in[e] -= h
        for x, spans, colour_of, ha, dx in (
                (xs[0], a_span, lambda _n: INK, "right", -0.08),
                (xs[1], o_span, lambda n: party_colour(party[n]), "center", 0),
                (xs[2], e_span, entity_colour, "left", 0.08)):
            for name, (lo, hi) in spans.items():
                text = entity_label(name) if spans is e_span else name
                ax.add_patch(Rectangle((x - w, lo), 2 * w, hi - lo, color=colour_of(name)))
                y = (lo + hi) / 2
                if ha == "center":
                    ax.text(x + w + 0.02, y, label(text, 30), ha="left", va="center",
                            fontsize=8, color=INK,
                            bbox={"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 1})
                else:
                    ax.text(x + dx, y, label(text, 30), ha=ha, va="center", fontsize=8.5,
                            color=INK)
        for x, head in zip(xs, ("app", "recipient organisation", "personal data"),
                           strict=True):
            ax.text(x, 1.04, head, ha="center", va="bottom", fontsize=8, color=MUTED)
        ax.set_xlim(-0.75, 2.75)
        ax.set_ylim(-0.02, 1.1)
        ax.axis("off")
        ax.set_title("Where the personal data went")
        fig.tight_layout()
    return fig


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


def chart_timeline(findings: pd.DataFrame, marks: pd.DataFrame | None = None,
                   start: float | None = None) -> Figure | None:
    """Each finding as a dot: time since `start` across, recipient down, colour = entity.

    `marks` (columns `ts`, `name`, e.g. a consent dialog) are drawn as labelled
    vertical lines.
    """
    if findings.empty:
        return None
    t0 = float(start if start is not None else findings["ts"].min())
    df = findings.assign(r=top_recipients(findings), t=findings["ts"].astype(float) - t0)
    rows = list(df.groupby("r")["t"].min().sort_values(kind="stable").index)
    y = {r: i for i, r in enumerate(rows)}
    with plt.rc_context(_RC):
        fig = _figure(9.0, 1.4 + 0.32 * len(rows))
        ax = fig.add_subplot()
        for ent in entity_order(df["pii_type"]):
            sub = df[df["pii_type"] == ent]
            ax.scatter(sub["t"], [y[r] for r in sub["r"]], s=38, color=entity_colour(ent),
                       edgecolor="white", linewidth=0.6, label=label(entity_label(ent)),
                       zorder=3)
        top = -0.8
        if marks is not None and not marks.empty:
            for ts, name in zip(marks["ts"], marks["name"], strict=True):
                x = float(ts) - t0
                ax.axvline(x, color=INK, linewidth=1, linestyle="--", zorder=2)
                ax.text(x, top, " " + label(name, 24), color=INK, fontsize=8, va="bottom")
        ax.set_ylim(len(rows) - 0.5, top - 0.2)
        ax.set_yticks(range(len(rows)), [label(r) for r in rows])
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _p: _clock(v) if v >= 0 else ""))
        ax.set_xlabel("time since the capture started (minutes:seconds)")
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title("When the personal data left the phone")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def _bars(counts: pd.Series, title: str, xlabel: str, colour: str) -> Figure:
    with plt.rc_context(_RC):
        fig = _figure(7.0, 1.2 + 0.32 * len(counts))
        ax = fig.add_subplot()
        values = [int(n) for n in counts.to_numpy()]
        ax.barh(range(len(values)), values, color=colour, height=0.65)
        ax.set_yticks(range(len(values)), [label(i) for i in counts.index])
        ax.invert_yaxis()
        for i, n in enumerate(values):
            ax.text(n, i, f" {n}", va="center", fontsize=8, color=INK)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        fig.tight_layout()
    return fig


def chart_countries(findings: pd.DataFrame) -> Figure | None:
    """Bars: recipient organisations per server country (None until countries are known)."""
    if findings.empty or "country" not in findings or findings["country"].isna().all():
        return None
    df = findings.assign(r=recipients(findings), c=findings["country"].fillna("unknown"))
    counts = df.drop_duplicates(["c", "r"])["c"].value_counts()
    return _bars(counts, "Countries the data was sent to", "recipient organisations",
                 "#1c7ed6")


def chart_encodings(findings: pd.DataFrame) -> Figure | None:
    """Bars: how values were wrapped on the wire (encoding paths), by finding count."""
    if findings.empty:
        return None
    paths = findings["encoding"].map(
        lambda e: " › ".join(e) if len(e) else "plain text") + "  (" + findings["location"] + ")"
    return _bars(paths.value_counts().head(20), "How the data was packed on the wire",
                 "findings", "#5f3dc4")


def chart_compare(a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str]) -> Figure | None:
    """Grouped bars: recipients of each entity in session `a` versus session `b`."""
    if a.empty and b.empty:
        return None
    per = pd.DataFrame({
        names[0]: a.assign(r=recipients(a)).drop_duplicates(["pii_type", "r"])[
            "pii_type"].value_counts() if not a.empty else pd.Series(dtype=int),
        names[1]: b.assign(r=recipients(b)).drop_duplicates(["pii_type", "r"])[
            "pii_type"].value_counts() if not b.empty else pd.Series(dtype=int),
    }).fillna(0).astype(int)
    per = per.loc[entity_order(per.index)]
    with plt.rc_context(_RC):
        fig = _figure(8.0, 1.4 + 0.42 * len(per))
        ax = fig.add_subplot()
        for k, (name, hatch, alpha) in enumerate(((names[0], "", 0.45), (names[1], "", 1.0))):
            ys = [i + (k - 0.5) * 0.38 for i in range(len(per))]
            ax.barh(ys, per[name], height=0.36, hatch=hatch, alpha=alpha,
                    color=[entity_colour(e) for e in per.index], label=label(name, 40))
        ax.set_yticks(range(len(per)), [label(entity_label(e)) for e in per.index])
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("recipient organisations (pale bar: first session, solid: second)")
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_title("Comparison of two sessions")
        fig.tight_layout()
    return fig


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes (no timestamps, so output is reproducible)."""
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {"Software": None}
    with plt.rc_context(_RC):
        fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None, metadata=meta,
                    facecolor="white")
    return buf.getvalue()


def save(fig: Figure, out_dir: str | os.PathLike[str], name: str) -> dict[str, bytes]:
    """Write `out_dir/name.png` and `.svg` (0600); returns the bytes by format; closes fig."""
    out = Path(out_dir)
    images = {fmt: render(fig, fmt) for fmt in ("png", "svg")}
    plt.close(fig)
    for fmt, data in images.items():
        _write_private(out / f"{name}.{fmt}", data)
    return images
