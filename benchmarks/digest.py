"""The capture digest a rerun skips captures by: BLAKE3 (`batch.file_digest`) against SHA-256.

    python benchmarks/digest.py FILE [--rounds 5]

Hashes FILE with `trafficscope.batch.file_digest` (BLAKE3, 1 MiB reads, one
thread) and with SHA-256 read the same way (what `analyze` used before),
alternately in this process, and prints the least CPU time of each over the
rounds (the machine is shared), MB/s and the ratio. The first pass of each is
not counted, so both read FILE from the page cache.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trafficscope.batch import file_digest


def sha256_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file", type=Path)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    hashers = {"BLAKE3 (file_digest)": file_digest, "SHA-256": sha256_digest}
    best = dict.fromkeys(hashers, float("inf"))
    for n in range(args.rounds + 1):
        for name, fn in hashers.items():
            start = time.process_time()
            fn(args.file)
            if n:
                best[name] = min(best[name], time.process_time() - start)
    mb = args.file.stat().st_size / 1e6
    print(f"{mb:.0f} MB; least CPU of {args.rounds} interleaved rounds each")
    for name, s in best.items():
        print(f"{name:22} {s:6.3f} s  {mb / s:7.0f} MB/s")
    blake3, sha256 = best.values()
    print(f"BLAKE3 is {sha256 / blake3:.1f}x as fast as SHA-256 here")


if __name__ == "__main__":
    main()
