"""Bars: recipient organisations by the country of the server.

    python analysis/countries.py trafficscope.db [--session ID] [-o DIR]

Needs the `country` column (filled by attribution); says so when it is empty.
"""

from trafficscope.report import charts, scripts


def draw(store, session, args):
    return charts.chart_countries(store.findings(session))


if __name__ == "__main__":
    print(scripts.run("countries", __doc__, draw))
