"""Detection quality and speed: precision/recall/F1 per entity and encoding, and scan rate.

    python benchmarks/detection.py [--flows 1300] [--seed N] [--fukuda PATH] [--tcf DIR] [--mb 32]
                                   [--rounds 3] [--only generated|fukuda|tcf|speed]

1. Generated corpus (`trafficscope.eval.corpus`, new random values every run
   unless --seed): scored with the phone's profile and without one (without,
   hashed values are not expected: nothing can recover them).
2. The Fukuda et al. PII-leakage set, when present: recall per
   `encoding_form` and `leakage_method`, with the account's profile.
   The TCF set (`trafficscope.eval.tcf`), when present: recall of the
   advertising id with the phone's profile and without one, per key name as
   real SDKs used it, and what else is claimed about those requests.
3. Scan rate of the detection engine over decoded text: every pattern plus
   1,000 profile variants, one core, next to Hyperscan's own scan of the same
   bytes (the library's ceiling) and a reference `bytes.count` pass; in 4 KiB
   chunks, per flow in batches of `SCAN_FLOWS` (the fields of many flows per
   call, as `analyze` scans captures) and one flow per call (as the live proxy
   does: per-call costs count); over the
   generated corpus (identifier-dense: every flow leaks) and over
   the sample capture plus the corpus's HAR and flow files (ordinary app
   traffic). Startup: building a Scanner with and without the on-disk cache
   of compiled Hyperscan databases.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trafficscope.decoding.fields import extract_fields  # noqa: E402
from trafficscope.detection import Scanner, hscache  # noqa: E402
from trafficscope.detection.engine import Engine  # noqa: E402
from trafficscope.errors import ReadError  # noqa: E402
from trafficscope.eval import corpus, fukuda, tcf  # noqa: E402
from trafficscope.eval.metrics import Score, Tally, table  # noqa: E402
from trafficscope.pipeline import SCAN_FLOWS  # noqa: E402
from trafficscope.profile import KnownValue, Profile  # noqa: E402
from trafficscope.sources import iter_flows  # noqa: E402

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
    forms = fukuda.value_forms()
    for label, scanner in (("with profile", Scanner(fukuda.profile())),
                           ("without profile", Scanner(None))):
        by_form: dict[str, Score] = {}
        by_method: dict[str, Score] = {}
        total = Score()
        absent: Counter[str] = Counter()  # missed rows whose bytes do not carry the email
        for row in rows:
            found = any(d.pii_type == "EMAIL" and d.value == fukuda.EMAIL
                        for d in scanner.scan(list(extract_fields(row.flow))))
            if not found and not fukuda.holds_value(row, forms):
                absent[row.encoding_form] += 1
            for s in (by_form.setdefault(row.encoding_form, Score()),
                      by_method.setdefault(row.leakage_method, Score()), total):
                s.positive(found)
        print(f"\n== Fukuda set, {len(rows)} rows, {label}: recall {total.recall:.2%} "
              f"({total.tp}/{len(rows)})")
        n_abs = sum(absent.values())
        print(f"missed rows whose bytes do not contain the value (no form of "
              f"`fukuda.value_forms`, {len(forms)} forms, in the raw or decoded row): "
              f"{n_abs} of {total.fn} {dict(absent)}; recall over the rows that do: "
              f"{total.tp / max(1, len(rows) - n_abs):.2%} ({total.tp}/{len(rows) - n_abs})")
        print(table(by_form, "encoding_form"))
        print(table(by_method, "leakage_method"))


def tcf_set(folder: Path) -> None:
    if not all((folder / name).is_file() for name in tcf.FILE_NAMES):
        print(f"\n== TCF set not found in {folder}: skipped")
        return
    rows = list(tcf.load(folder))
    for label, scanner in (("with profile", Scanner(tcf.profile())),
                           ("without profile", Scanner(None))):
        by_key: dict[str, Score] = {}
        by_stage: dict[str, Score] = {}
        others: Counter[str] = Counter()  # other claims about these requests, >= 0.5
        for row in rows:
            dets = scanner.scan(list(extract_fields(row.flow)))
            found = any(d.pii_type == "AD_ID" and d.value == tcf.AAID for d in dets)
            others.update(d.pii_type for d in dets if d.confidence >= 0.5
                          and not (d.pii_type == "AD_ID" and d.value == tcf.AAID))
            for s in (by_key.setdefault(row.key or "(no key)", Score()),
                      by_stage.setdefault(f"stage {row.stage}, {row.where}", Score())):
                s.positive(found)
        tp = sum(s.tp for s in by_key.values())
        keyed = [s for k, s in by_key.items() if k != "(no key)"]
        k_tp, k_n = sum(s.tp for s in keyed), sum(s.tp + s.fn for s in keyed)
        print(f"\n== TCF set, {len(rows)} requests sending the advertising id, {label}: "
              f"recall {tp / len(rows):.2%} ({tp}/{len(rows)}); over the {k_n} with a key "
              f"{k_tp / max(k_n, 1):.2%}; other claims at confidence >= 0.5: {dict(others)}")
        print(table(by_stage, "stage, where"))
        common = {k[:28]: v for k, v in
                  sorted(by_key.items(), key=lambda kv: -(kv[1].tp + kv[1].fn))[:30]}
        print(table(common, "key (30 commonest)"))


def _rate(fn: Callable[[], object], size_mb: float, runs: int = 3) -> float:
    """MB/s of the best of `runs` in CPU time of this process (one core; the machine is shared)."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return size_mb / best


def _realistic_flows() -> tuple[list[list[str]], list[str]]:
    """Decoded field values of the sample capture and the corpus's HAR and flow files."""
    paths = [ROOT / "captures" / "sample.har"]
    corpus_dir = DEFAULT_FUKUDA.parents[1] / "mitmproxy"
    if corpus_dir.is_dir():
        paths += sorted(p for p in corpus_dir.iterdir() if p.suffix in (".har", ".mitm"))
    flows, used = [], []
    for path in paths:
        try:
            got = [[f.value for f in extract_fields(fl)] for fl in iter_flows(path)]
        except ReadError:
            continue  # the corpus holds broken files on purpose
        flows += [fl for fl in got if fl]
        used.append(path.name)
    return flows, used


def _density(texts: list[str]) -> float:
    """Identifier-like tokens (digit runs, hex runs and pairs, emails) per KiB."""
    size = sum(len(t) for t in texts) / 1024
    return sum(len(_TOKENS.findall(t)) for t in texts) / max(size, 1e-9)


_TOKENS = re.compile(r"[0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}|[0-9A-Fa-f]{12}|"
                     r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}|@[A-Za-z0-9-]")


def _rows(label: str, engine: Engine, flows: list[list[str]], mb: float, rounds: int) -> None:
    per_pass = sum(len(v.encode("utf-8", "surrogatepass")) for fl in flows for v in fl) / 1e6
    repeat = max(1, int(mb / per_pass))
    size = per_pass * repeat
    text = "\x00".join(v for fl in flows for v in fl) * repeat
    chunks = [text[i:i + 4096] for i in range(0, len(text), 4096)]
    groups = [chunks[i:i + 64] for i in range(0, len(chunks), 64)]
    datas = [b"\x00".join(c.encode("utf-8", "surrogatepass") for c in g) for g in groups]
    flow_datas = [b"\x00".join(v.encode("utf-8", "surrogatepass") for v in fl) for fl in flows]
    batches = [[v for fl in flows[i:i + SCAN_FLOWS] for v in fl]
               for i in range(0, len(flows), SCAN_FLOWS)]
    batch_datas = [b"\x00".join(v.encode("utf-8", "surrogatepass") for v in b) for b in batches]

    def per_flow(fn: Callable[[list[str]], object]) -> Callable[[], None]:
        return lambda: [fn(fl) for _ in range(repeat) for fl in flows] and None

    def per_chunk(fn: Callable[[list[str]], object]) -> Callable[[], None]:
        return lambda: [fn(g) for g in groups] and None

    def per_batch(fn: Callable[[list[str]], object]) -> Callable[[], None]:
        return lambda: [fn(b) for _ in range(repeat) for b in batches] and None

    def raw(blobs: list[bytes], times: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(times):
                for d in blobs:
                    engine._multi.scan(d, match_event_handler=_no_op)
        return run

    def matched(texts: list[str]) -> list[str]:  # what `Scanner` asks of the engine
        return [m for ti, hits, data in engine.hits(texts) for pid, ends in hits.items()
                for m in engine.matches(pid, texts[ti], ends, data)]

    jobs = {
        "chunks": (raw(datas, 1), per_chunk(engine.candidates), per_chunk(matched)),
        "batches": (raw(batch_datas, repeat), per_batch(engine.candidates), per_batch(matched)),
        "flows": (raw(flow_datas, repeat), per_flow(engine.candidates), per_flow(matched)),
    }
    best = {(k, i): float("inf") for k in jobs for i in range(3)}
    for _ in range(rounds):  # interleaved, best of `rounds`: the machine is shared
        for k, fns in jobs.items():
            for i, fn in enumerate(fns):
                t0 = time.process_time()
                fn()
                best[k, i] = min(best[k, i], time.process_time() - t0)
    print(f"{label}: {size:.0f} MB, {_density(chunks[:256]):.1f} identifier-like tokens/KiB")
    for k, name in (("chunks", "4 KiB chunks   "), ("batches", f"{SCAN_FLOWS} flows a call"),
                    ("flows", "one flow a call")):
        hs_, pre, spans = (size / best[k, i] for i in range(3))
        print(f"  {name}  Hyperscan alone {hs_:7.1f} MB/s   prefilter {pre:7.1f} MB/s "
              f"({pre / hs_:.2f})   + exact matches {spans:7.1f} MB/s ({spans / hs_:.2f})")


def _no_op(*_: object) -> None:
    return None


def scan_rate(mb: float, rounds: int) -> None:
    r = random.Random(7)
    # Profile values until there are 1,000 variants (each has ~40 forms and hashes).
    values: list[KnownValue] = []
    while len(Scanner(Profile(values=tuple(values)), backend="re").known.variants) < 1000:
        values.append(KnownValue("EMAIL", "owner.email",
                                 f"user{len(values)}.{r.getrandbits(32):x}@example.org"))
    profile = Profile(values=tuple(values))
    startup(profile)
    scanner = Scanner(profile)
    engine = scanner._engine
    if engine.backend != "hyperscan":
        print("\n== scan rate: skipped, the hyperscan backend is not available here")
        return
    _, samples = corpus.generate(11, 400)
    generated_flows = [[f.value for f in extract_fields(s.flow)] for s in samples]
    print(f"\n== scan rate: {len(engine.patterns)} patterns ({len(scanner.known.variants)} "
          f"profile variants), decoded field values, backend {engine.backend}, one core, "
          f"CPU time, best of {rounds} interleaved rounds;\n'Hyperscan alone' = the "
          f"library's scan of the same bytes, nothing done per match; 'prefilter' = "
          f"`Engine.candidates`: (field, pattern, match ends) for every field;\n'+ exact "
          f"matches' adds `Engine.matches`, the matched values (Python re in windows before "
          f"those ends), as `Scanner` uses them; (ratio to Hyperscan alone)")
    _rows("generated corpus (identifier-dense)", engine, generated_flows, mb, rounds)
    flows, used = _realistic_flows()
    _rows(f"sample capture + corpus HAR/flow files ({len(used)} files, {len(flows)} flows)",
          engine, flows, mb, rounds)
    data = ("\x00".join(v for fl in generated_flows for v in fl) * 64).encode()
    print(f"ref bytes.count   {_rate(lambda: data.count(b'@'), len(data) / 1e6):8.1f} MB/s")


def startup(profile: Profile) -> None:
    """Seconds to build a Scanner: compiling, and loading compiled databases from the cache."""
    with tempfile.TemporaryDirectory() as d:
        old = os.environ.get(hscache.ENV)
        os.environ[hscache.ENV] = ""
        try:
            t0 = time.perf_counter()
            Scanner(profile)
            t_off = time.perf_counter() - t0
            os.environ[hscache.ENV] = d
            t0 = time.perf_counter()
            Scanner(profile)
            t_cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            Scanner(profile)
            t_warm = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop(hscache.ENV, None)
            else:
                os.environ[hscache.ENV] = old
    print(f"\n== startup: Scanner with {len(profile.values)} profile values: no cache "
          f"{t_off:.2f} s, first run (compile + write) {t_cold:.2f} s, from cache "
          f"{t_warm:.2f} s ({t_off / t_warm:.1f}x faster)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--flows", type=int, default=1300, help="generated flows")
    p.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    p.add_argument("--fukuda", type=Path, default=DEFAULT_FUKUDA)
    p.add_argument("--mb", type=float, default=32.0, help="text scanned for the rate")
    p.add_argument("--rounds", type=int, default=3, help="scan-rate rounds (best is kept)")
    p.add_argument("--tcf", type=Path, default=DEFAULT_FUKUDA.parent,
                   help="folder of the TCF set's CSV files")
    p.add_argument("--only", choices=("generated", "fukuda", "tcf", "speed"), default=None)
    args = p.parse_args()
    if args.only in (None, "generated"):
        seed = args.seed if args.seed is not None else random.randrange(2**32)
        print(f"seed {seed}")
        generated(args.flows, seed)
    if args.only in (None, "fukuda"):
        fukuda_set(args.fukuda)
    if args.only in (None, "tcf"):
        tcf_set(args.tcf)
    if args.only in (None, "speed"):
        scan_rate(args.mb, args.rounds)


if __name__ == "__main__":
    main()
