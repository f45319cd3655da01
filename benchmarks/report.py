"""Report speed on a large session, as a ratio against a reference in this process.

    python benchmarks/report.py [--mb 5]

Builds a HAR of about --mb megabytes from the bundled sample (as
benchmarks/har.py does), analyzes it into a temporary store (not timed), then
times, on that session:

  ref csv       exporting its findings as CSV (`trafficscope findings`)
  report        `trafficscope report`: every chart as PNG and SVG, index.html,
                findings.csv

and prints seconds, findings per second, and the report as a ratio to `ref csv`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from har import build_har  # noqa: E402

from trafficscope.export import export  # noqa: E402
from trafficscope.pipeline import analyze_files  # noqa: E402
from trafficscope.profile import load_profile  # noqa: E402
from trafficscope.report import write_report  # noqa: E402
from trafficscope.store import Store  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mb", type=float, default=5.0, help="HAR size in MB (default 5)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        build_har(d / "big.har", args.mb)
        profile = load_profile(ROOT / "captures" / "sample.profile.toml")
        with Store(d / "s.db") as store:
            summary = analyze_files([d / "big.har"], store, profile=profile,
                                    app="example.shoppingmall.android")
            t0 = time.perf_counter()
            n = export(store.iter_findings(summary.session), "csv", str(d / "ref.csv"))
            ref = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = write_report(store, d / "report", session=summary.session)
            took = time.perf_counter() - t0
        size = (d / "report" / "index.html").stat().st_size / 1e6
    print(f"session: {summary.flows} flows, {n} findings")
    print(f"ref csv   {ref:7.2f} s  {n / ref:9.0f} findings/s")
    print(f"report    {took:7.2f} s  {n / took:9.0f} findings/s  x{took / ref:.1f} of ref csv"
          f"  (index.html {size:.1f} MB, {len(report.charts)} chart files)")


if __name__ == "__main__":
    main()
