"""Batch analysis speed: N workers against the serial run, in this process.

    python benchmarks/parallel.py [--captures 60] [--repeat 8] [--workers 2] [--dask]

Generates a folder of HAR captures like the bundled sample (each
`--repeat` times the sample's entries), analyzes it serially, with local
worker processes, and (with --dask) on a Dask LocalCluster on 127.0.0.1, each
into a fresh store, and prints the time of each run and its speed-up over the
serial one. The findings of every run are checked to be the serial ones.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from trafficscope.batch import analyze_files
from trafficscope.profile import load_profile
from trafficscope.store import Store

ROOT = Path(__file__).resolve().parents[1]
APP = "example.shoppingmall.android"


def _make_sample():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "captures"))
    import make_sample

    return make_sample


def run(folder: Path, db: Path, **kw: object) -> tuple[float, int]:
    profile = load_profile(ROOT / "captures" / "sample.profile.toml")
    t = time.perf_counter()
    with Store(db) as store:
        s = analyze_files([folder], store, profile=profile, app=APP, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - t, s.findings


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--captures", type=int, default=60)
    p.add_argument("--repeat", type=int, default=8, help="sample entries repeated per capture")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--dask", action="store_true", help="also run on a Dask LocalCluster")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "captures"
        folder.mkdir()
        _make_sample().write_variants(folder, args.captures, repeat=args.repeat)
        mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        t_serial, n = run(folder, Path(tmp) / "serial.db")
        rows = [("serial", t_serial, n)]
        t, m = run(folder, Path(tmp) / "local.db", workers=args.workers)
        rows.append((f"{args.workers} processes", t, m))
        if args.dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None) as cluster:
                t, m = run(folder, Path(tmp) / "dask.db", scheduler=cluster.scheduler_address)
            rows.append((f"dask {args.workers} workers", t, m))
    print(f"{args.captures} captures, {mb:.1f} MB, {n} findings each run")
    print(f"{'':18} {'seconds':>8} {'captures/s':>11} {'speed-up':>9}")
    for name, t, m in rows:
        assert m == n, (name, m, n)
        print(f"{name:18} {t:8.2f} {args.captures / t:11.1f} {t_serial / t:8.2f}x")


if __name__ == "__main__":
    main()
