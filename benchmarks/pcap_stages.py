"""Where the CPU time of `trafficscope analyze` on a capture goes, stage by stage.

    python benchmarks/pcap_stages.py FILE.pcap [--rounds 3]

Runs the stages of the pipeline one after the other in a fresh process per
round (so imports and caches are as a new run finds them), with the sample
profile and app of `benchmarks/pcap.py`, and prints the CPU seconds of each
(the minimum over the rounds: the machine is shared) next to the per-packet
or per-flow cost. Flows are kept in memory between stages, unlike the
streaming CLI, so the sum is close to, not equal to, an end-to-end run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: One round, run in a child: every timing starts from the interpreter's own start.
ROUND = r"""
import json, os, sys, tempfile, time
from pathlib import Path
clock = time.process_time
t = {"start": clock()}  # interpreter start, before any trafficscope import
import trafficscope.cli  # noqa: F401  (the modules `analyze` loads)
import trafficscope.sources.pcap.reader  # noqa: F401
from trafficscope.batch import file_digest
from trafficscope.attribution import build_attributor
from trafficscope.decoding.fields import extract_fields
from trafficscope.pipeline import SCAN_FLOWS, Analyzer, Tally, flow_rows
from trafficscope.profile import load_profile
from trafficscope.sources import iter_flows
from trafficscope.store import Store
t["imports"] = clock() - t["start"]
pcap, root = sys.argv[1], Path(sys.argv[2])

def lap(name, since):
    t[name] = t.get(name, 0.0) + clock() - since

s = clock()
profile = load_profile(root / "captures" / "sample.profile.toml")
attribution = build_attributor("example.shoppingmall.android")
lap("attribution setup", s)
s = clock(); db = attribution.geoip; db.name; lap("geoip", s)
with tempfile.TemporaryDirectory() as tmp:
    store = Store(os.path.join(tmp, "s.db"))
    analyzer = Analyzer(store, profile=profile, source="files", app="example.shoppingmall.android",
                        attribution=attribution)
    s = clock(); analyzer.scanner; lap("patterns", s)
    s = clock(); file_digest(Path(pcap)); lap("digest", s)
    s = clock(); flows = list(iter_flows(pcap)); lap("read", s)
    s = clock(); fields = [list(extract_fields(f)) for f in flows]; lap("fields", s)
    s = clock(); found = [d for i in range(0, len(fields), SCAN_FLOWS)  # as `analyze` does
                          for d in analyzer.scanner.scan_many(fields[i:i + SCAN_FLOWS])]
    lap("scan", s)
    s = clock()
    tally = Tally()
    rows = [flow_rows(f, d, session=analyzer.session, app=analyzer.app,
                      attribution=attribution, tally=tally) for f, d in zip(flows, found)]
    for i in range(0, len(rows), 500):
        analyzer.store_rows(rows[i:i + 500])
        store.commit()
    lap("attribution+store", s)
    store.close()
t["flows"] = len(flows)
t["findings"] = sum(map(len, found))
t["fields_n"] = sum(map(len, fields))
print(json.dumps(t))
"""

STAGES = (
    ("imports", "Python start and imports (`trafficscope.cli`, `batch`, the pcap reader)"),
    ("attribution setup", "profile, owners, Public Suffix List"),
    ("geoip", "GeoIP database opened"),
    ("patterns", "pattern database (regex + Hyperscan, from its cache)"),
    ("digest", "BLAKE3 digest of the capture (reruns skip captures by content)"),
    ("read", "reading: records, reassembly, HTTP/DNS/TLS/QUIC"),
    ("fields", "fields (value decoders on HTTP flows)"),
    ("scan", "detection scan"),
    ("attribution+store", "attribution, findings, store (SQLite)"),
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pcap")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "trafficscope")],
                   check=True, stdout=subprocess.DEVNULL)
    runs = []
    for _ in range(args.rounds + 1):  # the first round fills the user's caches; not counted
        out = subprocess.run([sys.executable, "-c", ROUND, args.pcap, str(ROOT)], env=env,
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    runs = runs[1:]
    best = {name: min(r[name] for r in runs) for name, _ in STAGES}
    flows = runs[0]["flows"]
    print(f"{flows} flows, {runs[0]['fields_n']} fields, {runs[0]['findings']} findings;"
          f" CPU seconds, minimum of {args.rounds} rounds")
    for name, what in STAGES:
        per = f"{best[name] / flows * 1e6:5.0f} µs/flow" if name in (
            "fields", "scan", "attribution+store") else ""
        print(f"{best[name]:6.3f}  {per:14}  {what}")
    print(f"{sum(best.values()):6.3f}  {'':14}  in all")


if __name__ == "__main__":
    main()
