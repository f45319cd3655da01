"""Bars: how many kinds of personal data each organisation received, by party.

    python analysis/recipients_by_party.py trafficscope.db [--session ID] [-o DIR]

Third parties first; each bar is stacked by entity in the report's colours.
"""

from trafficscope.report import charts, scripts


def draw(store, session, args):
    return charts.chart_recipients(store.findings(session))


if __name__ == "__main__":
    print(scripts.run("recipients", __doc__, draw))
