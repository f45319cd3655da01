"""Many captures: in this process, in local worker processes, or on Dask.

Workers read, analyze and attribute (`analyze_capture`) and send back ready
rows (`Part`s of `FlowRows`); this process only makes flow ids unique and
writes them, a part per transaction, in input order, so every mode gives the
same session. The serial run streams the same parts through the same writer.
A rerun with the same inputs and settings continues its session and skips
captures it finished (by content hash); a capture that fails is reported and
the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blake3 import blake3

from .attribution import Attributor, build_attributor
from .errors import ReadError, TrafficscopeError
from .model import Finding
from .pipeline import BATCH, Analyzer, FlowRows, Summary, Tally, finding_from_row
from .profile import Profile
from .sources import expand_inputs, iter_flows
from .store import Store

if TYPE_CHECKING:
    from concurrent.futures import Future

log = logging.getLogger(__name__)

#: Captures queued per worker: keeps workers busy while results are written
#: in input order, and bounds the results held in memory.
QUEUE_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class Settings:
    """What a worker needs to analyze a capture like this process would."""

    profile: Profile | None
    app: str | None
    first_party: tuple[str, ...] = ()
    owner_files: tuple[str, ...] = ()
    geoip: str | None = None
    keylog: str | None = None  # SSLKEYLOGFILE: decrypt TLS in pcap inputs (tshark)

    def attributor(self) -> Attributor:
        return build_attributor(self.app, self.first_party, owner_files=self.owner_files,
                                geoip=self.geoip)


@dataclass(frozen=True, slots=True)
class Part:
    """Up to BATCH analyzed flows of one capture, as rows for the store.

    The last part of a capture says why reading stopped early, if it did.
    """

    flows: tuple[FlowRows, ...]
    tally: Tally
    error: str | None = None


_ANALYZERS: dict[tuple[Settings, str], Analyzer] = {}


def _analyzer(settings: Settings, session: str) -> Analyzer:
    """This process's analyzer for a batch (built once: scanner, owners, GeoIP)."""
    key = (settings, session)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        _ANALYZERS.clear()  # one batch at a time per worker
        analyzer = _ANALYZERS[key] = Analyzer(
            None, profile=settings.profile, source="files", app=settings.app,
            first_party=settings.first_party, session=session,
            attribution=settings.attributor())
    return analyzer


def warm(settings: Settings, session: str) -> None:
    """Build a worker's analyzer before its first capture (while the batch starts)."""
    _analyzer(settings, session).scanner  # noqa: B018  (compiles the patterns)


def analyze_capture(path: str, settings: Settings, session: str) -> tuple[Part, ...]:
    """Read and analyze one capture (runs in a worker; touches no store)."""
    return tuple(iter_parts(_analyzer(settings, session), path, settings.keylog))


def iter_parts(analyzer: Analyzer, path: str, keylog: str | None) -> Iterator[Part]:
    """Analyze one capture into parts of BATCH flows, streamed; never raises."""
    flows: list[FlowRows] = []
    tally = Tally()
    done = 0
    error = None
    try:
        for flow, detections in analyzer.scanned(iter_flows(path, keylog=keylog)):
            flows.append(analyzer.rows(flow, detections, tally))
            if len(flows) == BATCH:
                yield Part(tuple(flows), tally)
                done += len(flows)
                flows, tally = [], Tally()
    except ReadError as e:
        error = str(e)
    except Exception as e:  # a bug on one capture must not stop the batch
        log.debug("analyzing %s failed", path, exc_info=True)
        error = f"{path}: internal error after {done + len(flows)} flows ({type(e).__name__})"
    yield Part(tuple(flows), tally, error)


#: Names the hash in stored capture digests. Stores written before BLAKE3 hold
#: bare SHA-256 hex, which never equals a `blake3:` digest: a rerun over such a
#: store analyzes those captures again (once) instead of mistaking them for done.
DIGEST_SCHEME = "blake3:"


def file_digest(path: Path) -> str:
    """Content digest of a capture (`blake3:<hex>`): reruns skip captures by it.

    Cryptographic, so a crafted capture cannot collide with another and be
    skipped; BLAKE3 is ~1.9x as fast as SHA-256 here (a CPU with SHA
    extensions), single-threaded so as not to add CPU time. Plain 1 MiB reads
    measured a little faster than a memory map.
    """
    h = blake3()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return DIGEST_SCHEME + h.hexdigest()


def fingerprint(inputs: Iterable[str | Path], settings: Settings) -> str:
    """Same inputs and settings, same fingerprint (values are only hashed)."""
    doc = json.dumps({"inputs": sorted(str(Path(p).resolve()) for p in inputs),
                      "settings": repr(settings)})
    return hashlib.sha256(doc.encode()).hexdigest()


#: Hands one capture path to a worker; `.result()` of what it returns gives its parts.
Submit = Callable[[str], Any]


def _ordered(todo: Sequence[tuple[Path, str]], submit: Submit,
             window: int) -> Iterator[tuple[Path, str, tuple[Part, ...]]]:
    """Submit captures `window` at a time; yield results in input order."""
    pending: deque[tuple[Path, str, Any]] = deque()
    items = iter(todo)
    for path, digest in items:
        pending.append((path, digest, submit(str(path))))
        if len(pending) >= window:
            break
    while pending:
        path, digest, fut = pending.popleft()
        yield path, digest, fut.result()
        nxt = next(items, None)
        if nxt is not None:
            pending.append((nxt[0], nxt[1], submit(str(nxt[0]))))


@contextmanager
def _local_workers(settings: Settings, session: str,
                   workers: int) -> Iterator[tuple[Submit, int]]:
    from concurrent.futures import ProcessPoolExecutor  # only here: ~30 ms to import
    from multiprocessing import get_context

    # spawn, not fork: the parent holds SQLite and Hyperscan handles.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=warm,
                             initargs=(settings, session)) as pool:
        for _ in range(workers):  # start them now: they warm up while files are hashed
            pool.submit(int)

        def submit(path: str) -> Future[tuple[Part, ...]]:
            return pool.submit(analyze_capture, path, settings, session)

        yield submit, workers * QUEUE_PER_WORKER


@contextmanager
def _dask_workers(settings: Settings, session: str,
                  scheduler: str) -> Iterator[tuple[Submit, int]]:
    from distributed import Client, fire_and_forget

    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as e:
        raise TrafficscopeError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    try:
        nworkers = max(1, sum(w.get("nthreads", 1) for w in
                              client.scheduler_info()["workers"].values()))
        for address in client.scheduler_info()["workers"]:  # each warms up now
            fire_and_forget(client.submit(warm, settings, session, workers=[address],
                                          allow_other_workers=False, pure=False))

        def submit(path: str) -> Any:
            return client.submit(analyze_capture, path, settings, session, pure=False)

        yield submit, nworkers * QUEUE_PER_WORKER
    finally:
        client.close()


def analyze_files(inputs: Sequence[str | Path], store: Store, *, profile: Profile | None,
              app: str | None = None, first_party: Iterable[str] = (),
              owner_files: Iterable[str] = (), geoip: str | None = None,
              keylog: str | None = None, workers: int = 1,
              scheduler: str | None = None, new_session: bool = False,
              on_finding: Callable[[Finding], None] | None = None,
              progress: bool = False) -> Summary:
    """Analyze capture files and folders into a session of `store`."""
    errors: list[str] = []
    files: list[Path] = []
    for item in inputs:
        try:
            files.extend(expand_inputs([item]))
        except ReadError as e:
            errors.append(str(e))
    settings = Settings(profile, app, tuple(first_party), tuple(map(str, owner_files)),
                        str(geoip) if geoip else None, str(keylog) if keylog else None)
    attribution = settings.attributor()  # unreadable owner or GeoIP files fail here
    fp = fingerprint(inputs, settings)
    session = None if new_session else store.batch_session(fp)
    analyzer = Analyzer(store, profile=profile, source="files", app=app,
                        first_party=first_party, inputs=[str(p) for p in inputs],
                        session=session, attribution=attribution)
    summary = analyzer.summary
    summary.errors.extend(errors)
    sid = analyzer.session
    if session is None:
        store.mark_batch(sid, fp)
    store.commit()
    with ExitStack() as stack:
        pool = (stack.enter_context(_dask_workers(settings, sid, scheduler)) if scheduler
                else stack.enter_context(_local_workers(settings, sid, workers)) if workers > 1
                else None)
        todo = _todo(files, store, analyzer, resumed=session is not None)

        def write(path: Path, digest: str, parts: Iterable[Part]) -> None:
            _write(analyzer, path, digest, parts, on_finding)

        if pool is not None:
            results = _ordered(todo, *pool)
            for path, digest, parts in _progress(results, len(todo), progress):
                write(path, digest, parts)
        else:
            for path, digest in _progress(iter(todo), len(todo), progress):
                write(path, digest, iter_parts(analyzer, str(path), settings.keylog))
    return summary


def _todo(files: Iterable[Path], store: Store, analyzer: Analyzer,
          resumed: bool) -> list[tuple[Path, str]]:
    """(path, content hash) of the captures still to analyze in the analyzer's session."""
    summary, sid = analyzer.summary, analyzer.session
    done = store.done_captures(sid) if resumed else set()
    todo: list[tuple[Path, str]] = []
    for path in files:
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the hash
                summary.errors.append(str(ReadError(path, "not a regular file")))
                continue
            digest = file_digest(path)
        except OSError as e:
            summary.errors.append(str(ReadError(path, e.strerror or str(e))))
            continue
        if digest in done:
            summary.skipped += 1
        else:
            done.add(digest)  # the same content twice in one run is read once
            todo.append((path, digest))
    if resumed:
        # Drop what an interrupted run stored of unfinished captures, then keep
        # the flow ids of the finished ones taken.
        for path, _ in todo:
            store.forget_capture(sid, str(path))
        analyzer.reserve_ids(store.flow_ids(sid))
    store.commit()
    return todo


def _write(analyzer: Analyzer, path: Path, digest: str, parts: Iterable[Part],
           on_finding: Callable[[Finding], None] | None) -> None:
    """Store one capture's parts, one transaction each; the capture's row ends the last."""
    store, summary = analyzer.store, analyzer.summary
    assert store is not None
    n = nf = 0
    error = None
    try:
        for part in parts:
            if n:
                store.commit()
            stored = analyzer.store_rows(part.flows)
            summary.merge(part.tally)
            n += len(stored)
            nf += part.tally.findings
            error = part.error
            if on_finding:
                for rows in stored:
                    for row in rows.findings:
                        on_finding(finding_from_row(row))
    except Exception as e:  # a bug on one capture must not stop the batch
        log.debug("storing %s failed", path, exc_info=True)
        error = f"{path}: internal error after {n} flows ({type(e).__name__})"
    if error:
        summary.errors.append(error)
    store.add_capture(analyzer.session, digest, str(path), flows=n, findings=nf, error=error)
    store.commit()
    summary.files += 1


def _progress(items: Iterator[Any], total: int, enabled: bool) -> Iterator[Any]:
    if not enabled or total < 2:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, unit="capture", desc="analyzing", leave=False)
