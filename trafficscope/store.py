"""The session store: one SQLite file holding sessions, flows and findings.

WAL mode; the file is created readable by its owner only (SQLite gives the
-wal and -shm files the same mode). Raw personal values are never stored:
findings keep a masked value and a SHA-256, flows keep URLs without query.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ReadError
from .model import FINDING_FIELDS, Finding, Flow

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    app TEXT,
    tool_version TEXT NOT NULL,
    profile_keys TEXT NOT NULL,   -- JSON list of profile keys used, never values
    inputs TEXT NOT NULL          -- JSON list of input paths
);
CREATE TABLE IF NOT EXISTS flows (
    session TEXT NOT NULL REFERENCES sessions(id),
    flow_id TEXT NOT NULL,
    ts REAL NOT NULL,
    ts_end REAL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    app TEXT,
    method TEXT,
    url TEXT,                     -- without query or fragment
    host TEXT NOT NULL,
    server_ip TEXT,
    server_port INTEGER,
    domain TEXT NOT NULL,
    party TEXT NOT NULL,
    status INTEGER,
    bytes_out INTEGER NOT NULL,
    bytes_in INTEGER NOT NULL,
    input_file TEXT,
    notes TEXT NOT NULL,          -- JSON list
    n_findings INTEGER NOT NULL,
    PRIMARY KEY (session, flow_id)
);
CREATE TABLE IF NOT EXISTS findings (
    session TEXT NOT NULL REFERENCES sessions(id),
    flow_id TEXT NOT NULL,
    ts REAL NOT NULL,
    source TEXT NOT NULL,
    app TEXT,
    kind TEXT NOT NULL,
    method TEXT,
    url TEXT,
    host TEXT NOT NULL,
    server_ip TEXT,
    domain TEXT NOT NULL,
    owner TEXT,
    category TEXT,
    party TEXT NOT NULL,
    country TEXT,
    pii_type TEXT NOT NULL,
    location TEXT NOT NULL,
    key TEXT,
    encoding TEXT NOT NULL,       -- JSON list
    match TEXT NOT NULL,
    confidence REAL NOT NULL,
    value_masked TEXT NOT NULL,
    value_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_session ON findings(session, ts);
-- Batch runs: a rerun of the same inputs and settings continues its session
-- and skips the captures (by content hash) it already finished.
CREATE TABLE IF NOT EXISTS batches (
    session TEXT PRIMARY KEY REFERENCES sessions(id),
    fingerprint TEXT NOT NULL     -- hash of inputs, profile and settings
);
CREATE TABLE IF NOT EXISTS captures (
    session TEXT NOT NULL REFERENCES sessions(id),
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    flows INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    error TEXT,                   -- why reading stopped early, if it did
    done REAL NOT NULL,
    PRIMARY KEY (session, sha256)
);
"""

_FLOW_COLUMNS = (
    "session", "flow_id", "ts", "ts_end", "source", "kind", "app", "method", "url", "host",
    "server_ip", "server_port", "domain", "party", "status", "bytes_out", "bytes_in",
    "input_file", "notes", "n_findings",
)


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents with mode 0700, whatever the umask.

    Folders that exist already are left as they are: they are the user's.
    """
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)
        os.chmod(level, 0o700)


def _create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (parents 0700)."""
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)  # whatever the umask said


def new_session_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class Store:
    """A session store. `Store(path)` opens or creates it."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ReadError(self.path, "is a directory, not a trafficscope database")
        if create:
            try:
                _create_private(self.path)
            except OSError as e:
                raise ReadError(self.path, e.strerror or str(e)) from None
        elif not self.path.exists():
            raise ReadError(self.path, "no such database (run 'trafficscope analyze' first)")
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            if create:
                self.db.executescript(_SCHEMA)
                self.db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._check_schema()
        except sqlite3.DatabaseError as e:
            raise ReadError(self.path, f"not a trafficscope database ({e})") from None
        self._in_tx = False

    def _check_schema(self) -> None:
        try:
            row = self.db.execute(
                "SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row is None:
            raise ReadError(self.path, "not a trafficscope database (no schema version)")
        if int(row[0]) > SCHEMA_VERSION:
            raise ReadError(self.path, f"written by a newer trafficscope (schema {row[0]})")

    # -- writing -----------------------------------------------------------
    def new_session(self, *, source: str, app: str | None, profile_keys: Iterable[str],
                    inputs: Iterable[str], tool_version: str,
                    session_id: str | None = None) -> str:
        sid = session_id or new_session_id()
        self.db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sid, time.time(), source, app, tool_version,
             json.dumps(list(profile_keys)), json.dumps(list(inputs))))
        return sid

    def begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def add_flow(self, session: str, flow: Flow, *, url: str | None, domain: str, party: str,
                 findings: Iterable[Finding]) -> None:
        """Add one flow and its findings (inside the current transaction)."""
        self.begin()
        rows = [_finding_row(f) for f in findings]
        self.db.execute(
            f"INSERT OR REPLACE INTO flows VALUES ({', '.join('?' * len(_FLOW_COLUMNS))})",
            (session, flow.flow_id, flow.ts, flow.ts_end, flow.source, flow.kind, flow.app,
             flow.method, url, flow.host, flow.server_ip, flow.server_port, domain, party,
             flow.status, flow.bytes_out, flow.bytes_in, flow.input_file,
             json.dumps(list(flow.notes)), len(rows)))
        if rows:
            self.db.executemany(
                f"INSERT INTO findings VALUES ({', '.join('?' * len(FINDING_FIELDS))})", rows)

    # -- batches -----------------------------------------------------------
    def batch_session(self, fingerprint: str) -> str | None:
        """The latest session of a batch run with this fingerprint, if any."""
        row = self.db.execute(
            "SELECT b.session FROM batches b JOIN sessions s ON s.id = b.session "
            "WHERE b.fingerprint=? ORDER BY s.created DESC LIMIT 1", (fingerprint,)).fetchone()
        return row[0] if row else None

    def mark_batch(self, session: str, fingerprint: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO batches VALUES (?, ?)", (session, fingerprint))

    def done_captures(self, session: str) -> set[str]:
        """Content hashes of the captures finished in `session`."""
        return {h for (h,) in self.db.execute(
            "SELECT sha256 FROM captures WHERE session=?", (session,))}

    def flow_inputs(self, session: str) -> dict[str, str | None]:
        """flow_id -> the capture file it was read from."""
        return dict(self.db.execute(
            "SELECT flow_id, input_file FROM flows WHERE session=?", (session,)))

    def flow_ids(self, session: str) -> set[str]:
        return {f for (f,) in self.db.execute(
            "SELECT flow_id FROM flows WHERE session=?", (session,))}

    def forget_capture(self, session: str, input_file: str) -> None:
        """Drop what an interrupted run stored of one capture, before redoing it."""
        self.begin()
        self.db.execute(
            "DELETE FROM findings WHERE session=? AND flow_id IN "
            "(SELECT flow_id FROM flows WHERE session=? AND input_file=?)",
            (session, session, input_file))
        self.db.execute("DELETE FROM flows WHERE session=? AND input_file=?",
                        (session, input_file))

    def add_capture(self, session: str, sha256: str, path: str, *, flows: int, findings: int,
                    error: str | None) -> None:
        self.begin()
        self.db.execute("INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (session, sha256, path, flows, findings, error, time.time()))

    def close(self) -> None:
        self.commit()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------
    def sessions(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query("SELECT * FROM sessions ORDER BY created", self.db)

    def latest_session(self) -> str | None:
        row = self.db.execute(
            "SELECT id FROM sessions ORDER BY created DESC, rowid DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def resolve_session(self, session: str | None) -> str:
        """`session` if it exists, else the latest one; ReadError when none."""
        if session is None:
            latest = self.latest_session()
            if latest is None:
                raise ReadError(self.path, "holds no session yet")
            return latest
        if not self.db.execute("SELECT 1 FROM sessions WHERE id=?", (session,)).fetchone():
            raise ReadError(self.path, f"has no session {session!r}")
        return session

    def iter_findings(self, session: str | None = None) -> Iterator[dict[str, Any]]:
        """Finding records (DESIGN.md) of `session` (latest when None), in time order."""
        sid = self.resolve_session(session)
        cur = self.db.execute(
            f"SELECT {', '.join(FINDING_FIELDS)} FROM findings WHERE session=? "
            "ORDER BY ts, rowid", (sid,))
        for row in cur:
            rec = dict(zip(FINDING_FIELDS, row, strict=True))
            rec["encoding"] = json.loads(rec["encoding"])
            yield rec

    def findings(self, session: str | None = None) -> pd.DataFrame:
        """Findings of `session` (latest when None) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(list(self.iter_findings(session)), columns=list(FINDING_FIELDS))

    def flows(self, session: str | None = None) -> pd.DataFrame:
        import pandas as pd

        sid = self.resolve_session(session)
        df = pd.read_sql_query("SELECT * FROM flows WHERE session=? ORDER BY ts",
                               self.db, params=(sid,))
        df["notes"] = df["notes"].map(json.loads)
        return df


def _finding_row(f: Finding) -> tuple[object, ...]:
    return tuple(json.dumps(list(f.encoding)) if name == "encoding" else getattr(f, name)
                 for name in FINDING_FIELDS)


def open(path: str | os.PathLike[str] = "trafficscope.db") -> Store:
    """Open an existing store for reading: ``trafficscope.open(p).findings()``."""
    return Store(path, create=False)
