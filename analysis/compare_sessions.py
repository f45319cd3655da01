"""Compare two sessions: recipients of each kind of personal data, side by side.

    python analysis/compare_sessions.py trafficscope.db --other B [--session A] [-o DIR]

For two app versions, or the same app before and after consent. `--session`
defaults to the latest session.
"""

from trafficscope.report import charts, scripts


def options(parser):
    parser.add_argument("--other", required=True, help="the session to compare with")


def draw(store, session, args):
    other = store.resolve_session(args.other)
    return charts.chart_compare(store.findings(session), store.findings(other),
                                (session, other))


if __name__ == "__main__":
    print(scripts.run("compare", __doc__, draw, options=options))
