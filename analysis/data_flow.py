"""Sankey-style flow: app -> recipient organisation -> personal data.

    python analysis/data_flow.py trafficscope.db [--session ID] [-o DIR]

Band widths count findings; bands into organisations are coloured by party,
bands into entities by entity.
"""

from trafficscope.report import charts, scripts


def draw(store, session, args):
    return charts.chart_flow(store.findings(session))


if __name__ == "__main__":
    print(scripts.run("flow", __doc__, draw))
