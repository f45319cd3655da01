"""Many captures: in this process, in local worker processes, or on Dask.

Workers only read and analyze (`analyze_capture`); this process writes the
store, one capture per transaction, in input order, so every mode gives the
same session. A rerun with the same inputs and settings continues its session
and skips captures it finished (by content hash); a capture that fails is
reported and the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from .attribution import Attributor, build_attributor
from .errors import ReadError, TrafficscopeError
from .model import Finding, Flow
from .pipeline import BATCH, Analyzer, Summary
from .profile import Profile
from .sources import expand_inputs, iter_flows
from .store import Store

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
class CaptureResult:
    path: str
    flows: tuple[tuple[Flow, tuple[Finding, ...]], ...]
    error: str | None = None


_ANALYZERS: dict[tuple[Settings, str], Analyzer] = {}


def analyze_capture(path: str, settings: Settings, session: str) -> CaptureResult:
    """Read and analyze one capture (runs in a worker; touches no store)."""
    key = (settings, session)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        _ANALYZERS.clear()  # one batch at a time per worker
        analyzer = _ANALYZERS[key] = Analyzer(
            None, profile=settings.profile, source="files", app=settings.app,
            first_party=settings.first_party, session=session,
            attribution=settings.attributor())
    flows: list[tuple[Flow, tuple[Finding, ...]]] = []
    error = None
    try:
        for flow in iter_flows(path, keylog=settings.keylog):
            findings = tuple(analyzer.findings_for(flow))
            flows.append((_slim(flow), findings))
    except ReadError as e:
        error = str(e)
    except Exception as e:  # a bug on one capture must not stop the batch
        log.debug("analyzing %s failed", path, exc_info=True)
        error = f"{path}: internal error after {len(flows)} flows ({type(e).__name__})"
    return CaptureResult(path, tuple(flows), error)


def _slim(flow: Flow) -> Flow:
    """What the store keeps of a flow: no bodies, headers or messages to ship back."""
    return replace(flow, request_headers=(), request_body=b"", response_headers=(),
                   messages=())


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(inputs: Iterable[str | Path], settings: Settings) -> str:
    """Same inputs and settings, same fingerprint (values are only hashed)."""
    doc = json.dumps({"inputs": sorted(str(Path(p).resolve()) for p in inputs),
                      "settings": repr(settings)})
    return hashlib.sha256(doc.encode()).hexdigest()


class _Executor(Protocol):
    def submit(self, fn: Callable[..., CaptureResult], *args: Any) -> Any: ...


def _ordered(todo: Sequence[tuple[Path, str]], submit: Callable[[str], Any],
             window: int) -> Iterator[tuple[Path, str, CaptureResult]]:
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


def _local_results(todo: Sequence[tuple[Path, str]], settings: Settings, session: str,
                   workers: int) -> Iterator[tuple[Path, str, CaptureResult]]:
    # spawn, not fork: the parent holds SQLite and Hyperscan handles.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        def submit(path: str) -> Future[CaptureResult]:
            return pool.submit(analyze_capture, path, settings, session)

        yield from _ordered(todo, submit, workers * QUEUE_PER_WORKER)


def _dask_results(todo: Sequence[tuple[Path, str]], settings: Settings, session: str,
                  scheduler: str) -> Iterator[tuple[Path, str, CaptureResult]]:
    from distributed import Client

    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as e:
        raise TrafficscopeError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    try:
        nworkers = max(1, sum(w.get("nthreads", 1) for w in
                              client.scheduler_info()["workers"].values()))

        def submit(path: str) -> Any:
            return client.submit(analyze_capture, path, settings, session, pure=False)

        yield from _ordered(todo, submit, nworkers * QUEUE_PER_WORKER)
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
        done: set[str] = set()
    else:
        done = store.done_captures(sid)
    todo: list[tuple[Path, str]] = []
    for path in files:
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the hash
                summary.errors.append(str(ReadError(path, "not a regular file")))
                continue
            digest = file_sha256(path)
        except OSError as e:
            summary.errors.append(str(ReadError(path, e.strerror or str(e))))
            continue
        if digest in done:
            summary.skipped += 1
        else:
            done.add(digest)  # the same content twice in one run is read once
            todo.append((path, digest))
    if session is not None:
        # Drop what an interrupted run stored of unfinished captures, then keep
        # the flow ids of the finished ones taken.
        for path, _ in todo:
            store.forget_capture(sid, str(path))
        analyzer.reserve_ids(store.flow_ids(sid))
    store.commit()

    def write(path: Path, digest: str, flows: Iterable[tuple[Flow, Sequence[Finding]]]) -> None:
        n = nf = 0
        error = None
        try:
            for flow, findings in flows:
                for f in analyzer.store_analyzed(flow, findings):
                    nf += 1
                    if on_finding:
                        on_finding(f)
                n += 1
                if n % BATCH == 0:
                    store.commit()
        except ReadError as e:
            error = str(e)
        except Exception as e:  # a bug on one capture must not stop the batch
            log.debug("analyzing %s failed", path, exc_info=True)
            error = f"{path}: internal error after {n} flows ({type(e).__name__})"
        if error:
            summary.errors.append(error)
        store.add_capture(sid, digest, str(path), flows=n, findings=nf, error=error)
        store.commit()
        summary.files += 1

    if scheduler or workers > 1:
        results = (_dask_results(todo, settings, sid, scheduler) if scheduler
                   else _local_results(todo, settings, sid, workers))
        for path, digest, result in _progress(results, len(todo), progress):
            write(path, digest, _replay(result))
    else:
        for path, digest in _progress(iter(todo), len(todo), progress):
            write(path, digest, _stream(analyzer, path, settings.keylog))
    return summary


def _stream(analyzer: Analyzer, path: Path,
            keylog: str | None) -> Iterator[tuple[Flow, list[Finding]]]:
    for flow in iter_flows(path, keylog=keylog):
        yield flow, analyzer.findings_for(flow)


def _replay(result: CaptureResult) -> Iterator[tuple[Flow, tuple[Finding, ...]]]:
    yield from result.flows
    if result.error:
        raise _ResultError(result.error)


class _ResultError(ReadError):
    """A worker's error message, raised again where the results are written."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.path, self.reason = "", message

    def __str__(self) -> str:
        return self.reason


def _progress(items: Iterator[Any], total: int, enabled: bool) -> Iterator[Any]:
    if not enabled or total < 2:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, unit="capture", desc="analyzing", leave=False)
