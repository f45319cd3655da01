"""Detection quality and speed: precision/recall/F1 per entity and encoding, and scan rate.

    python benchmarks/detection.py [--flows 1300] [--seed N] [--fukuda PATH] [--mb 32]

1. Generated corpus (`trafficscope.eval.corpus`, new random values every run
   unless --seed): scored with the phone's profile and without one (without,
   hashed values are not expected: nothing can recover them).
2. The Fukuda et al. PII-leakage set, when present: recall per
   `encoding_form` and `leakage_method`, with the account's profile.
3. Scan rate of the detection engine over decoded text: every pattern plus
   1,000 profile variants, one core, against a reference `bytes.count` pass.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trafficscope.decoding.fields import extract_fields  # noqa: E402
from trafficscope.detection import Scanner  # noqa: E402
from trafficscope.eval import corpus, fukuda  # noqa: E402
from trafficscope.eval.metrics import Score, Tally, table  # noqa: E402
from trafficscope.profile import KnownValue, Profile  # noqa: E402

DEFAULT_FUKUDA = Path(os.environ.get("TRAFFICSCOPE_CORPUS") or ROOT.parent / "shared" / "corpus"
                      ) / "labeled" / fukuda.FILE_NAME


def generated(flows: int, seed: int | None) -> None:
    phone, samples = corpus.generate(seed, flows)
    for label, scanner in (("with profile", Scanner(phone.profile())),
                           ("without profile", Scanner(None))):
        tally = Tally()
        for s in samples:
            found = {d.pii_type for d in scanner.scan(list(extract_fields(s.flow)))}
            bare = label.startswith("without")
            required = s.required_bare if bare else s.required
            hows = [(e, h) for e, h in s.encodings if not bare or e not in s.hashed]
            tally.add(found, required, s.allowed | (s.hashed if bare else set()), hows)
        t = tally.total
        print(f"\n== generated corpus, {len(samples)} flows, {label}: "
              f"P {t.precision:.2%}  R {t.recall:.2%}  F1 {t.f1:.2%}  "
              f"(TP {t.tp}, FP {t.fp}, FN {t.fn})")
        print(table(tally.entity, "entity"))
        print(table(tally.encoding, "encoding"))
        if tally.false_positives:
            print("false positives by entity:", dict(tally.false_positives))


def fukuda_set(path: Path) -> None:
    if not path.is_file():
        print(f"\n== Fukuda set not found at {path}: skipped")
        return
    rows = list(fukuda.load(path))
    for label, scanner in (("with profile", Scanner(fukuda.profile())),
                           ("without profile", Scanner(None))):
        by_form: dict[str, Score] = {}
        by_method: dict[str, Score] = {}
        total = Score()
        for row in rows:
            found = any(d.pii_type == "EMAIL" and d.value == fukuda.EMAIL
                        for d in scanner.scan(list(extract_fields(row.flow))))
            for s in (by_form.setdefault(row.encoding_form, Score()),
                      by_method.setdefault(row.leakage_method, Score()), total):
                if found:
                    s.tp += 1
                else:
                    s.fn += 1
        print(f"\n== Fukuda set, {len(rows)} rows, {label}: recall {total.recall:.2%} "
              f"({total.tp}/{len(rows)})")
        print(table(by_form, "encoding_form"))
        print(table(by_method, "leakage_method"))


def scan_rate(mb: float) -> None:
    r = random.Random(7)
    # Profile values until there are 1,000 variants (each has ~40 forms and hashes).
    values: list[KnownValue] = []
    while len(Scanner(Profile(values=tuple(values)), backend="re").known.variants) < 1000:
        values.append(KnownValue("EMAIL", "owner.email",
                                 f"user{len(values)}.{r.getrandbits(32):x}@example.org"))
    scanner = Scanner(Profile(values=tuple(values)))
    n_variants = len(scanner.known.variants)
    engine = scanner._engine
    _, samples = corpus.generate(11, 400)
    flows = [[f.value for f in extract_fields(s.flow)] for s in samples]
    per_pass = sum(len(v.encode()) for fl in flows for v in fl) / 1e6
    repeat = max(1, int(mb / per_pass))
    for fl in flows:  # compile-once work (the lazy single-match database)
        engine.candidates(fl)
    engine._single_ids(flows[0][0])
    t0 = time.perf_counter()
    for _ in range(repeat):
        for fl in flows:
            engine.candidates(fl)
    t_flows = time.perf_counter() - t0
    text = "\x00".join(v for fl in flows for v in fl) * repeat
    fields = [text[i:i + 4096] for i in range(0, len(text), 4096)]
    t0 = time.perf_counter()
    for i in range(0, len(fields), 64):
        engine.candidates(fields[i:i + 64])
    t_big = time.perf_counter() - t0
    data = text.encode()
    t0 = time.perf_counter()
    data.count(b"@")
    t_ref = time.perf_counter() - t0
    size = per_pass * repeat
    print(f"\n== scan rate: {len(engine.patterns)} patterns ({n_variants} profile variants), "
          f"decoded field values of the generated corpus, {size:.0f} MB, backend "
          f"{engine.backend}, one core")
    print(f"per flow (as analyze)  {size / t_flows:8.1f} MB/s")
    print(f"4 KiB chunks           {size / t_big:8.1f} MB/s")
    print(f"ref bytes.count        {size / t_ref:8.1f} MB/s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--flows", type=int, default=1300, help="generated flows")
    p.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    p.add_argument("--fukuda", type=Path, default=DEFAULT_FUKUDA)
    p.add_argument("--mb", type=float, default=32.0, help="text scanned for the rate")
    p.add_argument("--only", choices=("generated", "fukuda", "speed"), default=None)
    args = p.parse_args()
    if args.only in (None, "generated"):
        seed = args.seed if args.seed is not None else random.randrange(2**32)
        print(f"seed {seed}")
        generated(args.flows, seed)
    if args.only in (None, "fukuda"):
        fukuda_set(args.fukuda)
    if args.only in (None, "speed"):
        scan_rate(args.mb)
    _ = Counter


if __name__ == "__main__":
    main()
