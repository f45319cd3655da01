"""Mutation runner: corrupted and truncated captures, each read in a limited child process.

Seeds are real captures (the corpus) and generated ones (`seeds.py`). Mutants
change bytes at p = 0.02 (as Wireshark's fuzzer does), or cut the file at
every record boundary and at random points. With `--structured`, HAR, zhar and
flow files are parsed and get hostile values instead (`structured.py`), so the
mutants pass the file's parser and reach the body and value decoders; each run
then also counts the decoding steps its fields went through. Each mutant is
read, taken apart into fields and scanned in a child forked from this process
(trafficscope and mitmproxy already imported, so a mutant costs milliseconds),
under RLIMIT_AS = 512 MiB and RLIMIT_CPU = 10 s, with a wall-clock timeout. Anything
but a clean return or `ReadError` is a failure: another exception (crash), the
CPU limit or the wall clock (hang), MemoryError or a kill under the memory
limit (oom).

    python tests/robustness/mutate.py --per-format 20000 [--corpus DIR]   # make soak
    python tests/robustness/mutate.py --structured --per-format 7000      # make soak
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

MEMORY_LIMIT = 512 * 1024 * 1024
CPU_LIMIT = 10  # seconds
WALL_LIMIT = 60.0  # seconds: generous, the machine is shared; CPU is the real limit
FLIP_P = 0.02

T = TypeVar("T")

# Child exit codes
_OK, _READ_ERROR, _CRASH, _OOM = 0, 3, 4, 5


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one limited run gave: `ok`, `read_error`, `crash`, `hang` or `oom`."""

    kind: str
    detail: str = ""
    flows: object = -1  # what the target returned: a count, or a description
    cpu: float = 0.0  # CPU seconds the child used

    @property
    def failed(self) -> bool:
        return self.kind not in ("ok", "read_error")


def run_limited(target: Callable[[], object], *, memory: int = MEMORY_LIMIT, cpu: int = CPU_LIMIT,
                wall: float = WALL_LIMIT) -> Outcome:
    """Run `target` (returning a count) in a forked child under memory and CPU limits."""
    ((_, outcome),) = run_all([(None, target)], memory=memory, cpu=cpu, wall=wall, parallel=1)
    return outcome


@dataclass
class _Running:
    pid: int
    fd: int
    deadline: float
    tag: object
    chunks: list[bytes] = field(default_factory=list)


def run_all(jobs: Iterable[tuple[T, Callable[[], object]]], *, memory: int = MEMORY_LIMIT,
            cpu: int = CPU_LIMIT, wall: float = WALL_LIMIT,
            parallel: int = 0) -> Iterator[tuple[T, Outcome]]:
    """Run each job's target in its own limited child, `parallel` at a time (0: one per
    CPU); yields (tag, outcome) as children finish."""
    parallel = parallel or os.cpu_count() or 1
    pending = iter(jobs)
    running: dict[int, _Running] = {}
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < parallel:
            job = next(pending, None)
            if job is None:
                exhausted = True
                break
            child = _start(job[1], memory, cpu, wall, job[0])
            running[child.fd] = child
        if not running:
            break
        timeout = max(0.0, min(c.deadline for c in running.values()) - time.monotonic())
        ready, _, _ = select.select(list(running), [], [], timeout)
        for fd in ready:
            child = running[fd]
            chunk = os.read(fd, 65536)
            if chunk:
                child.chunks.append(chunk)
                continue
            del running[fd]
            os.close(fd)
            yield child.tag, _reap(child, wall)  # type: ignore[misc]
        now = time.monotonic()
        for fd, child in list(running.items()):
            # a child that has ended is read and reaped above, however late: making the
            # next mutant may have kept this process busy past the child's deadline
            if now >= child.deadline and not _ended(child.pid):
                os.kill(child.pid, signal.SIGKILL)
                del running[fd]
                os.close(fd)
                _, _, usage = os.wait4(child.pid, 0)
                yield child.tag, Outcome(  # type: ignore[misc]
                    "hang", f"no result within {wall:.0f} s wall clock",
                    cpu=usage.ru_utime + usage.ru_stime)


def _ended(pid: int) -> bool:
    """True when the child has exited (it is left to reap)."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _start(target: Callable[[], object], memory: int, cpu: int, wall: float,
           tag: object) -> _Running:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        code, detail, count = _child(target, memory, cpu)
        try:
            os.write(write_end, json.dumps([count, detail[:2000]]).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    return _Running(pid, read_end, time.monotonic() + wall, tag)


def _child(target: Callable[[], object], memory: int, cpu: int) -> tuple[int, str, object]:
    from trafficscope.errors import ReadError

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        return _OK, "", target()
    except ReadError as e:
        return _READ_ERROR, str(e), -1
    except MemoryError:
        return _OOM, "MemoryError", -1
    except BaseException as e:
        return _CRASH, "".join(traceback.format_exception(e))[-2000:], -1


def _reap(child: _Running, wall: float) -> Outcome:
    _, status, usage = os.wait4(child.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        kind = "hang" if sig in (signal.SIGXCPU, signal.SIGKILL) else "crash"
        if sig == signal.SIGKILL and cpu < CPU_LIMIT:
            kind = "oom"
        return Outcome(kind, f"killed by {signal.Signals(sig).name}", cpu=cpu)
    code = os.WEXITSTATUS(status)
    try:
        count, detail = json.loads(b"".join(child.chunks) or b'[-1, ""]')
    except ValueError:
        count, detail = -1, "unreadable result"
    kind = {_OK: "ok", _READ_ERROR: "read_error", _OOM: "oom"}.get(code, "crash")
    return Outcome(kind, detail or ("" if code in (_OK, _READ_ERROR) else f"exit {code}"),
                   count, cpu)


# -- what a child does with a capture ----------------------------------------------------


def analyze_path(path: Path) -> int:
    """Read every flow, take it apart into fields and scan them; returns the flow count."""
    from trafficscope.decoding.fields import extract_fields
    from trafficscope.sources import iter_flows

    scanner = _scanner()
    n = 0
    for flow in iter_flows(path):
        scanner.scan(extract_fields(flow))
        n += 1
    return n


_SCANNER: list[Any] = []


def _scanner() -> Any:
    """One compiled scanner, built in the parent so each child inherits it."""
    if not _SCANNER:
        from trafficscope.detection import Scanner
        from trafficscope.profile import load_profile

        profile = Path(__file__).resolve().parents[2] / "captures" / "sample.profile.toml"
        _SCANNER.append(Scanner(load_profile(profile)))
    return _SCANNER[0]


#: Formats `--structured` mutates (structured.py).
STRUCTURED_FORMATS = ("har", "zhar", "mitm")

#: Decoding steps that are only parsing, not decoding.
_PARSE_STEPS = frozenset({"json", "form", "percent"})


def analyze_steps(path: Path) -> dict[str, object]:
    """As `analyze_path`, and what decoding reached: fields and detections whose encoding
    has a step beyond JSON, form and percent parsing, and the steps seen."""
    from trafficscope.decoding.fields import extract_fields
    from trafficscope.sources import iter_flows

    scanner = _scanner()
    flows = fields = decoded = found = 0
    steps: set[str] = set()
    for flow in iter_flows(path):
        flow_fields = tuple(extract_fields(flow))
        for f in flow_fields:
            steps.update(f.encoding)
            decoded += not _PARSE_STEPS.issuperset(f.encoding)
        found += sum(not _PARSE_STEPS.issuperset(d.field.encoding)
                     for d in scanner.scan(flow_fields))
        flows += 1
        fields += len(flow_fields)
    return {"flows": flows, "fields": fields, "decoded": decoded, "found": found,
            "steps": sorted(steps)}


def _warm_flow() -> Any:
    from trafficscope.model import Flow

    return Flow("warm", 0.0, "har", "http", "a.example", "POST", "https://a.example/?x=1",
                request_headers=(("Content-Type", "application/json"),),
                request_body=b'{"imei": "490154203237518"}')


def preload() -> None:
    """Import everything a child needs, once, before forking (also what trafficscope
    imports on first use: defusedxml, the suffix list), so no child maps a library
    under its memory limit. Not numpy (long strings of escapes): its 120 MB of
    address space would count against every child's limit."""
    import importlib

    for lazy in ("defusedxml.ElementTree", "trafficscope.attribution.domains"):
        importlib.import_module(lazy)
    import trafficscope.decoding.fields
    import trafficscope.errors
    import trafficscope.sources
    import trafficscope.sources.mitmflow

    _scanner().scan(trafficscope.decoding.fields.extract_fields(_warm_flow()))


# -- mutants ---------------------------------------------------------------------------


def flip(data: bytes, rng: random.Random, p: float = FLIP_P) -> bytes:
    """`data` with each byte replaced by a random one with probability `p`."""
    out = bytearray(data)
    pos = -1
    while True:  # geometric gaps between changed bytes: cost ~ p * len
        pos += 1 + int(_geometric(rng, p))
        if pos >= len(out):
            return bytes(out)
        out[pos] = rng.randrange(256)


def _geometric(rng: random.Random, p: float) -> float:
    import math

    return math.floor(math.log(1.0 - rng.random()) / math.log(1.0 - p))


def har_boundaries(data: bytes) -> list[int]:
    """Byte offsets just after each complete entry of a HAR's `log.entries`."""
    text = data.decode("utf-8", "surrogateescape")
    start = text.find('"entries"')
    if start < 0:
        return []
    pos = text.find("[", start) + 1
    decoder = json.JSONDecoder()
    offsets = []
    while pos > 0:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            _, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break
        offsets.append(len(text[:pos].encode("utf-8", "surrogateescape")))
    return offsets


def tnetstring_boundaries(data: bytes) -> list[int]:
    """Byte offsets just after each top-level tnetstring record of a flow file."""
    offsets, pos = [], 0
    while pos < len(data):
        colon = data.find(b":", pos, pos + 13)
        if colon < 0 or not data[pos:colon].isdigit():
            break
        pos = colon + 1 + int(data[pos:colon]) + 1
        if pos > len(data):
            break
        offsets.append(pos)
    return offsets


def boundaries(data: bytes) -> list[int]:
    """Record boundaries of a plain HAR or flow file ([] for compressed data)."""
    if data[:1].isdigit():
        return tnetstring_boundaries(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return har_boundaries(data)
    return []


def mutants(seed: bytes, n: int, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """`n` mutants of `seed`: every record-boundary cut, then random cuts and byte flips."""
    made = 0
    for cut in boundaries(seed):
        if made >= n:
            return
        yield f"cut@{cut}", seed[:cut]
        made += 1
    while made < n:
        if made % 4 == 0:
            cut = rng.randrange(len(seed))
            yield f"cut@{cut}", seed[:cut]
        else:
            yield "flip", flip(seed, rng)
        made += 1


# -- the run -----------------------------------------------------------------------------


@dataclass
class Report:
    runs: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str, Outcome]] = field(default_factory=list)
    max_cpu: float = 0.0
    cpu: float = 0.0  # CPU seconds of all runs
    seconds: float = 0.0
    #: structured runs: mutants with a decoded field, with a detection in one; per step,
    #: the mutants with a field decoded through it
    decoded: int = 0
    found: int = 0
    steps: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: Outcome) -> None:
        self.runs += 1
        self.kinds[outcome.kind] += 1
        self.max_cpu = max(self.max_cpu, outcome.cpu)
        self.cpu += outcome.cpu
        stats = outcome.flows
        if isinstance(stats, dict):
            self.decoded += stats["decoded"] > 0
            self.found += stats["found"] > 0
            self.steps.update(stats["steps"])


def run(seeds: dict[str, list[Path]], per_format: int, rng_seed: int = 9,
        keep: Path | None = None, parallel: int = 0, structured: bool = False,
        ) -> dict[str, Report]:
    """Mutate the seeds of each format `per_format` times in all; read each mutant limited.
    `structured`: hostile values in parsed HAR, zhar and flow files (other formats and
    seeds that do not parse are left out)."""
    preload()
    rng = random.Random(rng_seed)
    reports: dict[str, Report] = {}
    with tempfile.TemporaryDirectory(prefix="ts-mutants-") as tmp:
        for fmt, paths in seeds.items():
            report = reports[fmt] = Report()
            started = time.monotonic()
            # a folder per format: a killed child leaves its mutant's folder behind
            folder = Path(tmp) / fmt
            folder.mkdir()
            jobs = (_structured_jobs(fmt, paths, per_format, rng, folder) if structured
                    else _jobs(paths, per_format, rng, folder))
            for (name, label, data), outcome in run_all(jobs, parallel=parallel):
                report.count(outcome)
                if outcome.failed:
                    report.failures.append((name, label, outcome))
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{name}.{report.runs}").write_bytes(data)
            report.seconds = time.monotonic() - started
    return reports


def _jobs(paths: list[Path], per_format: int, rng: random.Random, tmp: Path
          ) -> Iterator[tuple[tuple[str, str, bytes], Callable[[], object]]]:
    counter = 0
    for i, seed_path in enumerate(paths):
        share = per_format // len(paths) + (i < per_format % len(paths))
        seed = seed_path.read_bytes()
        for label, data in mutants(seed, share, rng):
            counter += 1
            # The child writes its mutant under the seed's name (HAR flow ids use the stem).
            target = tmp / str(counter) / seed_path.name
            yield (seed_path.name, label, data), _write_and_analyze(target, data)


def _structured_jobs(fmt: str, paths: list[Path], per_format: int, rng: random.Random,
                     tmp: Path) -> Iterator[tuple[tuple[str, str, bytes], Callable[[], object]]]:
    from structured import parse_seed, structured_mutants

    parsed = [(p, s) for p in paths if (s := parse_seed(fmt, p.read_bytes())) is not None]
    counter = 0
    for i, (seed_path, seed) in enumerate(parsed):
        share = per_format // len(parsed) + (i < per_format % len(parsed))
        for label, data in structured_mutants(fmt, seed, share, rng):
            counter += 1
            target = tmp / str(counter) / seed_path.name
            yield (seed_path.name, label, data), _write_and_analyze(target, data, analyze_steps)


def _write_and_analyze(target: Path, data: bytes,
                       analyze: Callable[[Path], object] = analyze_path) -> Callable[[], object]:
    def job() -> object:
        target.parent.mkdir()
        target.write_bytes(data)
        try:
            return analyze(target)
        finally:
            target.unlink()
            target.parent.rmdir()

    return job


def default_corpus() -> Path:
    """`TRAFFICSCOPE_CORPUS`, else ../shared/corpus beside the repository (as conftest)."""
    return Path(os.environ.get("TRAFFICSCOPE_CORPUS")
                or Path(__file__).resolve().parents[3] / "shared" / "corpus")


def corpus_seeds(corpus: Path | None) -> dict[str, list[Path]]:
    """Corpus captures by format (HAR, zhar, mitm); {} when there is no corpus."""
    if corpus is None or not corpus.is_dir():
        return {}
    from trafficscope.errors import ReadError
    from trafficscope.sources import detect_format

    found: dict[str, list[Path]] = {}
    for path in sorted(corpus.rglob("*")):
        if not path.is_file():
            continue
        try:
            fmt = detect_format(path)
        except ReadError:
            continue
        head = path.read_bytes()[:2]
        if fmt == "har" and (head == b"\x1f\x8b" or zlib_header(head)):
            fmt = "zhar"
        found.setdefault(fmt, []).append(path)
    return found


def zlib_header(head: bytes) -> bool:
    from trafficscope.sources.files import is_zlib_header

    return is_zlib_header(head)


def describe_path(path: Path, scan: bool = True) -> list[list[object]]:
    """Per flow: request body length, notes and fields cut at a cap (read, fields, scan)."""
    from trafficscope.decoding.fields import extract_fields
    from trafficscope.sources import iter_flows

    scanner = _scanner()
    out: list[list[object]] = []
    for flow in iter_flows(path):
        if not scan:
            out.append([len(flow.request_body), list(flow.notes), 0])
            continue
        fields = list(extract_fields(flow))
        scanner.scan(fields)
        out.append([len(flow.request_body), list(flow.notes),
                    sum(f.truncated for f in fields)])
    return out


def read_one(path: Path, cpu: int, scan: bool = True) -> int:
    """`--read FILE`: one limited run, its outcome printed as JSON."""
    preload()
    o = run_limited(lambda: describe_path(path, scan), cpu=cpu)
    print(json.dumps({"kind": o.kind, "detail": o.detail, "flows": o.flows, "cpu": o.cpu}))
    return 0


def main(argv: list[str] | None = None) -> int:
    from seeds import generated_seeds  # this folder is on sys.path when run as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", type=Path, metavar="FILE",
                        help="only read FILE once, limited, and print the outcome as JSON")
    parser.add_argument("--read-only", action="store_true",
                        help="with --read: only read the flows (no fields, no scan)")
    parser.add_argument("--cpu", type=int, default=CPU_LIMIT, help="CPU seconds per run")
    parser.add_argument("--per-format", type=int, default=1000, help="mutants per format")
    parser.add_argument("--corpus", type=Path,
                        default=default_corpus(),
                        help="folder of real captures used as seeds too")
    parser.add_argument("--seed", type=int, default=9, help="random seed")
    parser.add_argument("--keep", type=Path, help="save failing mutants here")
    parser.add_argument("--format", action="append", dest="formats",
                        help="only this format (repeatable)")
    parser.add_argument("--structured", action="store_true",
                        help="hostile values in parsed HAR, zhar and flow files, not bytes")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.read:
        return read_one(args.read, args.cpu, not args.read_only)
    with tempfile.TemporaryDirectory(prefix="ts-seeds-") as tmp:
        seeds = generated_seeds(Path(tmp))
        for fmt, paths in corpus_seeds(args.corpus).items():
            seeds.setdefault(fmt, []).extend(paths)
        if args.formats:
            seeds = {f: seeds.get(f, []) for f in args.formats}
        if args.structured:
            seeds = {f: paths for f, paths in seeds.items() if f in STRUCTURED_FORMATS}
        seeds = {f: paths for f, paths in seeds.items() if paths}
        reports = run(seeds, args.per_format, args.seed, args.keep, structured=args.structured)
    if args.json:
        print(json.dumps({fmt: {
            "runs": r.runs, "kinds": dict(r.kinds), "max_cpu": r.max_cpu, "cpu": r.cpu,
            "seconds": r.seconds,
            "decoded": r.decoded, "found": r.found, "steps": dict(r.steps),
            "seeds": [p.name for p in seeds[fmt]],
            "failures": [[name, label, o.kind, o.detail] for name, label, o in r.failures],
        } for fmt, r in reports.items()}))
        return 1 if any(r.failures for r in reports.values()) else 0
    failed = 0
    for fmt, r in reports.items():
        print(f"{fmt}: {r.runs} mutants in {r.seconds:.1f} s "
              f"({1000 * r.seconds / max(r.runs, 1):.1f} ms each), "
              f"CPU {r.cpu:.1f} s (max {r.max_cpu:.2f} s), {dict(r.kinds)}")
        if args.structured:
            print(f"  decoded fields in {r.decoded}, detections in decoded fields in "
                  f"{r.found}; mutants per step: {dict(sorted(r.steps.items()))}")
        for name, label, outcome in r.failures:
            failed += 1
            print(f"  FAIL {name} {label}: {outcome.kind} {outcome.detail.splitlines()[-1:]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
