"""The live session: flows from the running proxy -> store, and one line per leak.

The mitmproxy addon (addons/trafficscope.py) must stay within ~0.15 ms per
request, and analysis plus an SQLite commit cost ~0.6 ms; so the addon only
converts each finished flow and writes it, pickled, to the stdin of a worker
process (`python -m trafficscope.live`). The worker runs `Analyzer.process`
on each flow, commits every batch it has read (a flow is committed as soon as
the worker has it; when flows arrive faster than it commits, the ones already
waiting share one commit) and then prints one line per finding (a line shown
is a leak stored). The worker runs in its own process session at a lower
priority: when the proxy is killed (even with its whole process group), the
worker still reads what reached the pipe, commits it and exits. The addon
writes a flow to the pipe in the `response` hook, before the client gets the
response; so every flow the client saw answered is stored, and `kill -9`
loses only the flows in flight.

Messages on the pipe: a 4-byte big-endian length, then a pickle of one of
`("flow", Flow)` (the Flow as the tuple of its fields),
`("mark", name, ts, note)`,
`("subst", flow_id, ts, (Substitution, ...))`. Only the addon that started
the worker writes to it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import operator
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import IO, Any

from .attribution.apps import infer_app
from .model import Finding, Flow
from .pipeline import Analyzer
from .profile import Profile, load_profile
from .store import Store, is_consent_mark

log = logging.getLogger(__name__)

_LEN = struct.Struct(">I")
READ_CHUNK = 1 << 20
PIPE_SIZE = 1 << 20  # bytes of flows the worker may lag behind before the proxy waits
MARK_DELAY = 1.0  # seconds a consent mark may take from its timestamp to its commit
WORKER_NICE = 10  # the worker yields the CPU to the proxy (and the phone's traffic)


#: A Flow crosses the pipe as the tuple of its fields: pickling a slotted dataclass
#: goes through Python-level __getstate__, the tuple is C (~15 us less per flow
#: inside mitmdump).
_FLOW_VALUES = operator.attrgetter(*(f.name for f in dataclasses.fields(Flow)))


def frame(message: tuple[Any, ...]) -> bytes:
    """One message as written on the worker's pipe."""
    if message[0] == "flow" and isinstance(message[1], Flow):
        message = ("flow", _FLOW_VALUES(message[1]))
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LEN.pack(len(data)) + data


def split_frames(buf: bytearray) -> Iterator[tuple[Any, ...]]:
    """Pop every complete message off the front of `buf` (the rest stays)."""
    pos = 0
    while len(buf) - pos >= _LEN.size:
        (n,) = _LEN.unpack_from(buf, pos)
        if len(buf) - pos - _LEN.size < n:
            break
        start = pos + _LEN.size
        pos = start + n
        yield pickle.loads(bytes(buf[start:pos]))
    del buf[:pos]


class Tally:
    """Running counts for the live lines."""

    def __init__(self) -> None:
        self.flows = 0
        self.findings = 0
        self.by_entity: Counter[str] = Counter()
        self.pre_consent = 0

    def add(self, finding: Finding, pre_consent: bool = False) -> None:
        self.findings += 1
        self.by_entity[finding.pii_type] += 1
        self.pre_consent += pre_consent


class ConsentClock:
    """When consent was first marked in a running session, as the store says.

    `trafficscope mark consent` writes the mark from another process, so the
    store is asked again whenever a finding is recent enough that a mark may
    have been committed since the last look (one indexed query); older findings
    are answered from memory. A finding is pre-consent when it was sent before
    the first consent mark, or while there is none yet (as `findings_consent`).
    """

    def __init__(self, store: Store, session: str) -> None:
        self.store, self.session = store, session
        self.consent: float | None = None
        self.known_until = float("-inf")  # no consent mark has a timestamp before this

    def marked(self, name: str, ts: float) -> None:
        """A mark this worker stored itself (the mitmproxy command)."""
        if is_consent_mark(name) and (self.consent is None or ts < self.consent):
            self.consent = ts

    def pre_consent(self, ts: float) -> bool:
        if self.consent is None and ts >= self.known_until:
            now = time.time()
            self.consent = self.store.first_consent_ts(self.session)
            self.known_until = now - MARK_DELAY
        return self.consent is None or ts < self.consent


def live_line(f: Finding, tally: Tally, pre_consent: bool = False) -> str:
    """One leak as one line: time, app, recipient and owner, entity, where, encoding,
    "pre-consent" when sent before consent, tally.

    Only the masked value's type and place are shown, never the value.
    """
    when = time.strftime("%H:%M:%S", time.localtime(f.ts))
    owner = f"{f.owner}, {f.party}" if f.owner else f.party
    where = f"{f.location}:{f.key}" if f.key else f.location
    encoding = ">".join(f.encoding) or "plain"
    consent = "  pre-consent" if pre_consent else ""
    pre = f", {tally.pre_consent} pre-consent" if tally.pre_consent else ""
    return (f"{when}  {f.app or '?'}  -> {f.host} ({f.domain}, {owner})  {f.pii_type}  "
            f"{where}  [{encoding}]{consent}  | {f.pii_type} x{tally.by_entity[f.pii_type]}, "
            f"{tally.findings} leaks in {tally.flows} flows{pre}")


class LiveSession:
    """Stores flows of a running proxy session and reports each finding."""

    def __init__(self, store: Store, session: str, *, profile: Profile | None,
                 app: str | None = None, first_party: Sequence[str] = (),
                 out: IO[str] | None = None) -> None:
        self.store = store
        self.analyzer = Analyzer(store, profile=profile, source="proxy", app=app,
                                 first_party=first_party, session=session)
        self.app = app
        self.out = out
        self.tally = Tally()
        self.consent = ConsentClock(store, session)
        self.lines: list[str] = []  # shown once committed: a line means the leak is stored

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "flow":
            flow = message[1]
            self.flow(Flow(*flow) if isinstance(flow, tuple) else flow)
        elif kind == "mark":
            _, name, ts, note = message
            self.store.add_mark(self.analyzer.session, name, ts=ts, note=note)
            self.consent.marked(name, ts)
        elif kind == "subst":
            _, flow_id, ts, subs = message
            for s in subs:
                self.store.add_substitution(
                    self.analyzer.session, flow_id, ts, pii_type=s.pii_type,
                    location=s.location, key=s.key, encoding=s.encoding,
                    value_sha256=s.value_sha256, fake_masked=s.fake_masked)
        else:
            log.warning("ignoring unknown message %r", kind)

    def flow(self, flow: Flow) -> list[Finding]:
        if not self.app and flow.app is None:
            app = infer_app(flow)
            if app:
                flow = replace(flow, app=app)
        findings = self.analyzer.process(flow)
        self.tally.flows += 1
        pre_consent = self.consent.pre_consent
        for f in findings:
            pre = pre_consent(f.ts)
            self.tally.add(f, pre)
            if self.out is not None:
                self.lines.append(live_line(f, self.tally, pre))
        return findings

    def show(self) -> None:
        """Print the lines of the findings stored so far (call after the commit)."""
        if self.out is not None and self.lines:
            print("\n".join(self.lines), file=self.out, flush=True)
        self.lines.clear()


def serve(fd: int, live: LiveSession) -> int:
    """Read messages from `fd` until EOF, committing after every read. Returns flows stored."""
    buf = bytearray()
    while True:
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:
            break
        buf += chunk
        for message in split_frames(buf):
            try:
                live.handle(message)
            except Exception:  # one bad flow must not end the session
                log.exception("could not store a flow")
        live.store.commit()
        live.show()
    if buf:
        log.warning("proxy ended in the middle of a message; %d bytes dropped", len(buf))
    return live.tally.flows


def start_worker(db: str, session: str, profile: str | None, app: str | None,
                 first_party: Sequence[str], live: bool) -> subprocess.Popen[bytes]:
    """Start `python -m trafficscope.live` for a session; write to it with `send`."""
    argv = [sys.executable, "-m", "trafficscope.live", "--db", db, "--session", session]
    if profile:
        argv += ["--profile", profile]
    if app:
        argv += ["--app", app]
    if first_party:
        argv += ["--first-party", *first_party]
    if not live:
        argv.append("--quiet")
    # its own session: a signal to the proxy's process group (kill -9, a closed
    # terminal) leaves the worker to store what it was sent, then see EOF
    worker = subprocess.Popen(argv, stdin=subprocess.PIPE, bufsize=0, start_new_session=True)
    if sys.platform == "linux" and worker.stdin is not None:
        import fcntl

        # slack for the worker's commit pauses, so they do not stall the proxy
        with contextlib.suppress(OSError):
            fcntl.fcntl(worker.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    return worker


def send(worker: subprocess.Popen[bytes], message: tuple[Any, ...]) -> None:
    """Write one message to the worker (waits while its pipe is full); OSError if gone."""
    if worker.stdin is None:
        raise BrokenPipeError("worker has no input pipe")
    data = memoryview(frame(message))
    while data:
        data = data[os.write(worker.stdin.fileno(), data):]


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Close the pipe; the worker stores what it was sent and exits."""
    if worker.stdin:
        worker.stdin.close()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.error("worker still busy after %.0f s: stopped", timeout)
        worker.kill()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trafficscope.live",
                                description="Worker of the live proxy: reads flows on stdin.")
    p.add_argument("--db", required=True, help="session store")
    p.add_argument("--session", required=True, help="existing session id")
    p.add_argument("--profile", help="TOML profile of the test phone")
    p.add_argument("--app", help="app id for every flow")
    p.add_argument("--first-party", nargs="*", default=[], help="the app's own domains")
    p.add_argument("--quiet", action="store_true", help="no live lines on stdout")
    args = p.parse_args(argv)
    # Ctrl-C reaches the whole process group: the worker ends when the proxy
    # closes the pipe (or dies), after storing everything it was sent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):  # lags behind rather than slow the proxy
        os.nice(int(os.environ.get("TRAFFICSCOPE_WORKER_NICE", WORKER_NICE)))
    logging.basicConfig(level=logging.WARNING, format="trafficscope worker: %(message)s")
    profile = load_profile(args.profile) if args.profile else None
    with Store(args.db) as store:
        live = LiveSession(store, args.session, profile=profile, app=args.app,
                           first_party=args.first_party,
                           out=None if args.quiet else sys.stdout)
        _ = live.analyzer.scanner  # compiled now, while the first flows queue in the pipe
        serve(sys.stdin.fileno(), live)
    return 0


if __name__ == "__main__":
    sys.exit(main())
