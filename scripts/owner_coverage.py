"""How much of real tracker traffic the bundled owner database attributes.

    python scripts/owner_coverage.py [CORPUS_DIR]

(default: $TRAFFICSCOPE_CORPUS, else ../shared/corpus beside the repository)

Reads the labelled request lists of the corpus (TCF: Android apps' requests
carrying the advertising ID; Fukuda: web trackers receiving an email) and
prints, per list, the share of requests whose host has an owner row, the
share of distinct registrable domains, and the most frequent misses.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from trafficscope.attribution import bundled, registrable_domain

LISTS = (("tcf_traffic_analysis_stage_1.csv", "URL"),
         ("tcf_traffic_analysis_stage_2.csv", "URL"),
         ("fukuda_pii_leakage_202105.csv", "url"))


def coverage(path: Path, column: str) -> tuple[int, int, int, int, Counter[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        hosts = [urlsplit(r[column]).hostname or "" for r in csv.DictReader(f)]
    db = bundled()
    hit = [h for h in hosts if db.lookup(h)]
    domains = {registrable_domain(h) for h in hosts}
    hit_domains = {registrable_domain(h) for h in hit}
    misses = Counter(registrable_domain(h) for h in hosts if not db.lookup(h))
    return len(hosts), len(hit), len(domains), len(hit_domains), misses


def main() -> None:
    default = os.environ.get("TRAFFICSCOPE_CORPUS") or (
        Path(__file__).resolve().parents[2] / "shared" / "corpus")
    root = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    for name, column in LISTS:
        n, hit, nd, hitd, misses = coverage(root / "labeled" / name, column)
        print(f"{name}: {hit}/{n} requests ({hit / n:.0%}), {hitd}/{nd} domains "
              f"({hitd / nd:.0%}) attributed")
        print("  most frequent misses:", ", ".join(f"{d} ({c})" for d, c in misses.most_common(8)))


if __name__ == "__main__":
    main()
