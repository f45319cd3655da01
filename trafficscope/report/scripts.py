"""What the chart scripts in `analysis/` share: arguments, loading a session, saving.

    python analysis/<chart>.py trafficscope.db [--session ID] [-o DIR]

Each script passes a `draw(store, session, args)` function that reads the
session through the pandas API and calls one chart of `charts.py`; `options`
adds arguments of its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from ..store import Store
from ..store import open as open_store
from . import charts
from .build import private_dir

Draw = Callable[[Store, str, argparse.Namespace], Figure | None]


def parser(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.strip().split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=doc)
    p.add_argument("db", help="trafficscope session store")
    p.add_argument("--session", help="session id (default: the latest)")
    p.add_argument("-o", "--output", default=".", metavar="DIR",
                   help="folder for NAME.png and NAME.svg (default: .)")
    return p


def run(name: str, doc: str, draw: Draw, argv: Sequence[str] | None = None,
        options: Callable[[argparse.ArgumentParser], None] | None = None) -> str:
    """Parse `argv`, draw the chart of the session, save it; returns what to print."""
    p = parser(doc)
    if options:
        options(p)
    args = p.parse_args(argv)
    with open_store(args.db) as store:
        sid = store.resolve_session(args.session)
        fig = draw(store, sid, args)
    if fig is None:
        return f"session {sid}: nothing to draw for {name}"
    out = Path(args.output)
    private_dir(out)
    charts.save(fig, out, name)
    return f"session {sid}: wrote {out / name}.png and {out / name}.svg"
