"""End-to-end speed on a large HAR, as ratios against references in this process.

    python benchmarks/har.py [--mb 60] [--profile captures/sample.profile.toml]

Builds a HAR of about --mb megabytes from the bundled sample's entries
(bodies and identifiers varied per entry) and times, on the same file:

  ref json      json.load of the whole file and a walk over its entries
                (what a naive reader costs; holds the file in memory)
  read          trafficscope's streaming HAR reader (Flow records)
  analyze       read + fields + detection + store (the full `analyze` run)

and prints MB/s and each figure as a ratio to `ref json`.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_har(path: Path, target_mb: float) -> int:
    sample = json.loads((ROOT / "captures" / "sample.har").read_text())
    base = sample["log"]["entries"]
    size = len(json.dumps(sample))
    copies = max(1, int(target_mb * 1e6 / size))
    with path.open("w") as f:
        f.write('{"log": {"version": "1.2", "creator": {"name": "bench"}, "entries": [')
        n = 0
        for i in range(copies):
            for entry in base:
                e = copy.deepcopy(entry)
                e["request"]["url"] += ("&" if "?" in e["request"]["url"] else "?") + f"seq={i}"
                f.write(("," if n else "") + json.dumps(e))
                n += 1
        f.write("]}}")
    return n


def timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mb", type=float, default=60.0, help="size of the generated HAR")
    p.add_argument("--profile", default=str(ROOT / "captures" / "sample.profile.toml"))
    args = p.parse_args()

    from trafficscope.batch import analyze_files
    from trafficscope.profile import load_profile
    from trafficscope.sources import iter_flows
    from trafficscope.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        har = Path(tmp) / "big.har"
        n = build_har(har, args.mb)
        mb = har.stat().st_size / 1e6

        def ref() -> int:
            with har.open() as f:
                return sum(1 for e in json.load(f)["log"]["entries"] if e["request"]["url"])

        t_ref, n_ref = timed(ref)
        t_read, n_read = timed(lambda: sum(1 for _ in iter_flows(har)))
        profile = load_profile(args.profile)

        def analyze() -> int:
            with Store(Path(tmp) / "bench.db") as store:
                s = analyze_files([har], store, profile=profile,
                                  app="example.shoppingmall.android")
            return s.findings

        t_an, n_findings = timed(analyze)
    assert n_ref == n_read == n, (n_ref, n_read, n)
    print(f"HAR {mb:.1f} MB, {n} entries, {n_findings} findings")
    print(f"{'':12} {'seconds':>8} {'MB/s':>8} {'flows/s':>9} {'vs ref':>7}")
    for name, t in (("ref json", t_ref), ("read", t_read), ("analyze", t_an)):
        print(f"{name:12} {t:8.2f} {mb / t:8.1f} {n / t:9.0f} {t_ref / t:7.2f}x")


if __name__ == "__main__":
    main()
