"""Bars: how values were packed on the wire (decoding paths and locations).

    python analysis/encodings.py trafficscope.db [--session ID] [-o DIR]
"""

from trafficscope.report import charts, scripts


def draw(store, session, args):
    return charts.chart_encodings(store.findings(session))


if __name__ == "__main__":
    print(scripts.run("encodings", __doc__, draw))
