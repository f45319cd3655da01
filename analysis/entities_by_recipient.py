"""Heatmap of a session: which personal data went to which recipient.

    python analysis/entities_by_recipient.py trafficscope.db [--session ID] [-o DIR]

Rows are recipient organisations (the owner when known, else the registrable
domain; labels coloured by party), columns are entities, cells count
findings. Same chart as in `trafficscope report`.
"""

from trafficscope.report import charts, scripts


def draw(store, session, args):
    return charts.chart_entities_by_recipient(store.findings(session))


if __name__ == "__main__":
    print(scripts.run("entities_by_recipient", __doc__, draw))
