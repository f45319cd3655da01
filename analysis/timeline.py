"""Timeline: when each piece of personal data left the phone, with marks (consent).

    python analysis/timeline.py trafficscope.db [--session ID] [-o DIR]

Time runs from the first flow of the session; marks come from the store's
`marks` table when it has one (columns session, ts, name).
"""

from trafficscope.report import build, charts, scripts


def draw(store, session, args):
    flows = store.flows(session)
    start = float(flows["ts"].min()) if not flows.empty else None
    return charts.chart_timeline(store.findings(session), build.marks(store, session), start)


if __name__ == "__main__":
    print(scripts.run("timeline", __doc__, draw))
