"""`kill -9` of the live proxy at random moments, then a restart continues the session.

A real `mitmdump -s addons/trafficscope.py` on loopback, clients sending
requests that carry profile values through it to a local upstream, and
SIGKILL to the proxy's whole process group at a random moment (during
start-up or while requests flow). What the proxy promises, checked after
every kill once its worker has ended:

- the store passes `PRAGMA integrity_check`;
- every flow whose response a client received is stored (a flow is handed to
  the store before its response leaves the proxy); flows in flight, whose
  response never arrived, may be missing or stored;
- nothing stored before is lost, nothing is stored twice, and nothing is
  stored that was never sent;
- each stored flow has all its findings (the IMEI of its query and the email
  of its body, as `n_findings` says);
- all runs write to one session; a final run, stopped normally, adds its flows
  to it.

`TRAFFICSCOPE_PROXY_KILLS` sets the number of kills (`make soak` runs more);
`TRAFFICSCOPE_KILL_SEED` the seed, printed with every failure.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trafficscope.proxy import addon_path, mitmdump_path

pytestmark = pytest.mark.mitmproxy

REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("TRAFFICSCOPE_PROXY_KILLS", "20"))
SEED = int(os.environ.get("TRAFFICSCOPE_KILL_SEED", "5"))
CLIENTS = 3
IMEI, EMAIL = "490154203237518", "jane.doe.test@example.org"


class Clients:
    """Threads sending POST /k/<id>?imei=... with an email in a JSON body, one
    request per connection, until stopped; `sent` and `answered` hold the ids."""

    def __init__(self, proxy_port: int, upstream_port: int, run: int) -> None:
        self.proxy_port, self.upstream_port, self.run = proxy_port, upstream_port, run
        self.sent: set[str] = set()
        self.answered: set[str] = set()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, args=(k,), daemon=True)
                        for k in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def _loop(self, k: int) -> None:
        i = 0
        while not self.stopped.is_set():
            rid = f"r{self.run}-c{k}-{i}"
            conn = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
            try:
                conn.connect()
            except OSError:
                time.sleep(0.01)  # not listening yet, or killed
                continue
            i += 1
            with self.lock:
                self.sent.add(rid)
            try:
                conn.request("POST", f"http://127.0.0.1:{self.upstream_port}/k/{rid}"
                             f"?imei={IMEI}", body=json.dumps({"mail": EMAIL}).encode(),
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                conn.close()
            except (OSError, http.client.HTTPException):
                continue  # killed before the whole response was sent: not answered
            if resp.status == 200:
                with self.lock:
                    self.answered.add(rid)

    def stop(self) -> None:
        self.stopped.set()
        for t in self.threads:
            t.join(timeout=15)


def start_proxy(port: int, db: Path, confdir: Path, profile: Path) -> subprocess.Popen[bytes]:
    """mitmdump with the addon, as `trafficscope proxy` runs it, in its own process group."""
    argv = [mitmdump_path(), "-q", "-s", str(addon_path()), "--listen-host", "127.0.0.1",
            "--listen-port", str(port), "--set", f"confdir={confdir}",
            "--set", f"trafficscope_db={db}", "--set", f"trafficscope_profile={profile}",
            "--set", "trafficscope_session=latest", "--set", "trafficscope_live=false"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)


def wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> float:
    """Seconds until the proxy accepts connections."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, (proc.stderr.read() if proc.stderr else b"").decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise AssertionError("proxy did not start")


def workers_of(db: Path) -> list[int]:
    """Pids of live workers writing to `db` (they survive the proxy until they have stored
    what it sent them)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"trafficscope.live" in argv and str(db).encode() in argv and state != "Z":
            pids.append(int(cmdline.parent.name))
    return pids


def wait_workers_gone(db: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while workers_of(db):
        assert time.monotonic() < deadline, "the worker did not end after the proxy died"
        time.sleep(0.02)


def stored(db: Path) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Request id -> (n_findings, sorted pii types of its findings) of every stored flow;
    checks the store's integrity and that it holds at most one session."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {t for (t,) in con.execute("SELECT name FROM sqlite_master")}
        if "flows" not in tables:
            return {}
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] <= 1
        types: dict[str, list[str]] = {}
        for flow_id, pii_type in con.execute("SELECT flow_id, pii_type FROM findings"):
            types.setdefault(flow_id, []).append(pii_type)
        out: dict[str, tuple[int, tuple[str, ...]]] = {}
        for flow_id, url, n in con.execute("SELECT flow_id, url, n_findings FROM flows"):
            rid = url.rsplit("/", 1)[1]
            assert rid not in out, f"{rid} stored twice"
            out[rid] = (n, tuple(sorted(types.get(flow_id, []))))
        return out
    finally:
        con.close()


@pytest.fixture
def confdir(tmp_path: Path) -> Path:
    """A mitmproxy confdir with its CA made once (a kill must not hit CA creation each run)."""
    from mitmproxy.certs import CertStore

    folder = tmp_path / "mitmconf"
    folder.mkdir()
    CertStore.from_store(folder, "mitmproxy", 2048)
    return folder


@pytest.fixture
def kill_log() -> Iterator[list[str]]:
    lines: list[str] = []
    yield lines
    print("\n".join(lines))


def test_kill_9_of_the_proxy_at_random_moments_then_restart(
        tmp_path: Path, upstream: Any, profile_file: Path, confdir: Path,
        kill_log: list[str]) -> None:
    db = tmp_path / "live.db"
    rng = random.Random(SEED)
    sent: set[str] = set()
    answered: set[str] = set()
    before: dict[str, tuple[int, tuple[str, ...]]] = {}
    startup = 1.5  # seconds to listen, re-measured each run
    began = time.monotonic()
    for run in range(KILLS):
        where = f"seed {SEED}, kill {run + 1}"
        port = free_port()
        proc = start_proxy(port, db, confdir, profile_file)
        clients = Clients(port, upstream.port, run)
        if rng.random() < 0.2:  # during start-up: configure, session, worker
            time.sleep(rng.uniform(0, startup))
            moment = "start-up"
        else:
            startup = wait_listening(proc, port)
            time.sleep(rng.uniform(0, 0.8))
            moment = "traffic"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        clients.stop()
        wait_workers_gone(db)
        sent |= clients.sent
        answered |= clients.answered
        now = stored(db) if db.exists() else {}
        lost = answered - set(now)
        assert not lost, f"{where}: answered flows not stored: {sorted(lost)[:5]}"
        assert set(before) <= set(now), f"{where}: stored flows lost"
        assert set(now) <= sent, f"{where}: stored flows never sent"
        incomplete = {rid: v for rid, v in now.items() if v != (2, ("EMAIL", "IMEI"))}
        assert not incomplete, f"{where}: flows without all their findings: {incomplete}"
        kill_log.append(f"{where} ({moment}): {len(clients.answered)} answered, "
                        f"{len(set(now) - set(before))} stored, "
                        f"{len(clients.sent) - len(clients.answered)} in flight")
        before = now
    port = free_port()
    proc = start_proxy(port, db, confdir, profile_file)
    wait_listening(proc, port)
    clients = Clients(port, upstream.port, KILLS)
    deadline = time.monotonic() + 30
    while len(clients.answered) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    clients.stop()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else b""
    wait_workers_gone(db)
    answered |= clients.answered
    final = stored(db)
    assert len(clients.answered) >= 10, f"seed {SEED}: the restarted proxy answered too few"
    assert answered <= set(final) and set(before) <= set(final), f"seed {SEED}: lost flows"
    assert all(v == (2, ("EMAIL", "IMEI")) for v in final.values())
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    kill_log.append(f"{KILLS} kills in {time.monotonic() - began:.1f} s; "
                    f"{len(final)} flows stored of {len(answered)} answered")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
