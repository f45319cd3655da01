"""Cost of attribution per flow, as ratios against a reference in this process.

    python benchmarks/attribution.py [--hosts 50000]

Builds --hosts distinct host names (subdomains of the bundled owner rows and
of unknown domains) and public IPv4 addresses, then times:

  ref psl       registrable_domain() on each host (the eTLD+1 the core already pays)
  owners        OwnerDB.lookup() on each host, uncached (longest-suffix walk)
  recipient     Attributor.recipient() on each host, first call (eTLD+1, owner, party)
  geoip         country of each address in the bundled GeoLite2 data, first call
  geoip load    loading the bundled GeoLite2 data once (seconds)

and prints per-lookup microseconds and each figure as a ratio to `ref psl`.
"""

from __future__ import annotations

import argparse
import random
import time

from trafficscope.attribution import Attributor, OwnerDB, bundled, registrable_domain
from trafficscope.attribution.geoip import BundledGeoIP


def timed(fn, items) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for x in items:
        fn(x)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=50_000)
    n = ap.parse_args().hosts
    rng = random.Random(7)
    rows = sorted(r.domain for r in bundled().rows())
    hosts = [f"h{i}.{rng.choice(rows)}" if i % 3 else f"h{i}.unknown{i % 997}.example"
             for i in range(n)]
    ips = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{i % 250 + 1}"
           for i in range(n)]
    registrable_domain.cache_clear()
    ref = timed(registrable_domain, hosts)
    owners = timed(OwnerDB(bundled().rows()).lookup, hosts)  # a fresh, empty cache
    registrable_domain.cache_clear()
    attributor = Attributor("com.tencent.mm", owners=OwnerDB(bundled().rows()))
    recipient = timed(attributor.recipient, hosts)
    geo = BundledGeoIP()
    t = time.perf_counter()
    geo.load()
    load = time.perf_counter() - t
    geoip = timed(geo.country, ips)
    print(f"{n} hosts / addresses")
    for name, secs in (("ref psl", ref), ("owners", owners), ("recipient", recipient),
                       ("geoip", geoip)):
        print(f"{name:10s} {secs / n * 1e6:8.2f} us/lookup  {secs / ref:6.2f}x ref")
    print(f"geoip load {load:8.2f} s (once per process)")


if __name__ == "__main__":
    main()
