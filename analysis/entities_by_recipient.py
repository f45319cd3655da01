"""Heatmap of a session: which personal data went to which recipient.

    python analysis/entities_by_recipient.py trafficscope.db [--session ID] -o chart.png

Rows are registrable domains (with first/third party), columns are entities,
cells count findings. Reads the session through the pandas API
(`trafficscope.open(db).findings()`); the report issue moves chart code into
one module that this script and `trafficscope report` share.
"""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import trafficscope


def crosstab(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings counted by recipient (rows) and entity (columns)."""
    if findings.empty:
        return pd.DataFrame()
    recipient = findings["domain"] + " (" + findings["party"] + ")"
    table = pd.crosstab(recipient, findings["pii_type"])
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def draw(table: pd.DataFrame, out: str) -> None:
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * max(len(table.columns), 1),
                                    1.0 + 0.4 * max(len(table), 1)))
    if table.empty:
        ax.text(0.5, 0.5, "no personal data found", ha="center", va="center")
        ax.axis("off")
    else:
        ax.imshow(table.values, cmap="Reds", aspect="auto")
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right")
        ax.set_yticks(range(len(table.index)), table.index)
        for (i, j), n in pd.DataFrame(table.values).stack().items():
            if n:
                ax.text(j, i, str(n), ha="center", va="center", fontsize=8)
        ax.set_title("Personal data by recipient")
    fig.tight_layout()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        fig.savefig(f, format="png", dpi=120)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("db", help="trafficscope session store")
    p.add_argument("--session", help="session id (default: the latest)")
    p.add_argument("-o", "--output", default="entities_by_recipient.png", help="PNG to write")
    args = p.parse_args()
    table = crosstab(trafficscope.open(args.db).findings(args.session))
    draw(table, args.output)
    print(table.to_string() if not table.empty else "no personal data found")


if __name__ == "__main__":
    main()
