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
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ReadError
from .model import FINDING_FIELDS, Finding, Flow

if TYPE_CHECKING:
    import pandas as pd

#: 1: first release. 2: flows gain owner, category, country; sessions gain geoip
#: (the GeoIP database a session's countries came from). 3: marks,
#: substitutions and the findings_consent view (_TABLES_3).
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    app TEXT,
    tool_version TEXT NOT NULL,
    profile_keys TEXT NOT NULL,   -- JSON list of profile keys used, never values
    inputs TEXT NOT NULL,         -- JSON list of input paths
    geoip TEXT                    -- schema 2: JSON [name, date] of the GeoIP database
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
    owner TEXT,                   -- schema 2: same attribution as findings
    category TEXT,
    country TEXT,
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
    sha256 TEXT NOT NULL,         -- content digest `blake3:<hex>` (old name; SHA-256 hex before)
    path TEXT NOT NULL,
    flows INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    error TEXT,                   -- why reading stopped early, if it did
    done REAL NOT NULL,
    PRIMARY KEY (session, sha256)
);
"""

# Schema 3, additive (older stores are upgraded in place on open, and stay
# readable where the file is read-only): named moments on a session's timeline
# ("consent" given, ...), the substitutions `--substitute` made (never the real
# value: its SHA-256 and the masked fake), and `findings_consent`, the findings
# with a derived `pre_consent` column (1 before the session's first consent
# mark, 0 after, NULL when the session has no consent mark).
_TABLES_3 = """
CREATE TABLE IF NOT EXISTS marks (
    session TEXT NOT NULL REFERENCES sessions(id),
    ts REAL NOT NULL,
    name TEXT NOT NULL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS marks_session ON marks(session, name, ts);
CREATE TABLE IF NOT EXISTS substitutions (
    session TEXT NOT NULL REFERENCES sessions(id),
    flow_id TEXT NOT NULL,
    ts REAL NOT NULL,
    pii_type TEXT NOT NULL,
    location TEXT NOT NULL,
    key TEXT,
    encoding TEXT NOT NULL,       -- JSON list
    value_sha256 TEXT NOT NULL,   -- of the real value
    fake_masked TEXT NOT NULL
);
CREATE VIEW IF NOT EXISTS findings_consent AS
    SELECT f.*, CASE WHEN c.ts IS NULL THEN NULL WHEN f.ts < c.ts THEN 1 ELSE 0 END
        AS pre_consent
    FROM findings f LEFT JOIN (SELECT session, MIN(ts) AS ts FROM marks
                               WHERE instr(lower(name), 'consent') > 0
                               GROUP BY session) c
        ON c.session = f.session;
"""

_FLOW_COLUMNS = (
    "session", "flow_id", "ts", "ts_end", "source", "kind", "app", "method", "url", "host",
    "server_ip", "server_port", "domain", "party", "status", "bytes_out", "bytes_in",
    "input_file", "notes", "n_findings", "owner", "category", "country",
)

_INSERT_FLOW = (f"INSERT OR REPLACE INTO flows ({', '.join(_FLOW_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_FLOW_COLUMNS))})")
_INSERT_FINDING = f"INSERT INTO findings VALUES ({', '.join('?' * len(FINDING_FIELDS))})"

#: A table row, in the table's column order.
Row = tuple[Any, ...]

#: Columns added after schema 1, by table: (version, table, column, type).
#: Added at the end of the table, so old and new files have the same layout.
_ADDED_COLUMNS = (
    (2, "sessions", "geoip", "TEXT"),
    (2, "flows", "owner", "TEXT"),
    (2, "flows", "category", "TEXT"),
    (2, "flows", "country", "TEXT"),
)


def is_consent_mark(name: str) -> bool:
    """A mark that records consent: its name mentions it ("consent", "consent given").

    The findings_consent view, the proxy and the report all use this rule.
    """
    return "consent" in name.lower()


def migrate(db: sqlite3.Connection) -> int:
    """Bring a store written by an older trafficscope to SCHEMA_VERSION.

    Only adds what is missing (nullable columns), so it is safe to run on any
    file and old rows stay as they were (new columns NULL). Returns the
    version the file had.
    """
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    old = int(row[0]) if row else SCHEMA_VERSION
    if old >= SCHEMA_VERSION:
        return old
    for _version, table, column, ctype in _ADDED_COLUMNS:
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ctype}")
    db.executescript(_TABLES_3)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
    return old


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
                self.db.executescript(_SCHEMA + _TABLES_3)
                self.db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._check_schema()
            self._upgrade(create)
        except sqlite3.DatabaseError as e:
            raise ReadError(self.path, f"not a trafficscope database ({e})") from None
        self._in_tx = False

    def _upgrade(self, create: bool) -> None:
        """Migrate an older store in place when opened for writing; reading never
        changes the file (an older store reads with no marks or substitutions)."""
        if create:
            migrate(self.db)
        self._has_marks = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE name='marks'").fetchone() is not None

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
                    session_id: str | None = None,
                    geoip: tuple[str, str] | None = None) -> str:
        sid = session_id or new_session_id()
        self.db.execute(
            "INSERT INTO sessions (id, created, source, app, tool_version, profile_keys, "
            "inputs, geoip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, time.time(), source, app, tool_version,
             json.dumps(list(profile_keys)), json.dumps(list(inputs)),
             json.dumps(list(geoip)) if geoip else None))
        return sid

    def session_geoip(self, session: str | None = None) -> tuple[str, str] | None:
        """(name, date) of the GeoIP database the session's countries came from."""
        sid = self.resolve_session(session)
        try:
            row = self.db.execute("SELECT geoip FROM sessions WHERE id=?", (sid,)).fetchone()
        except sqlite3.OperationalError:  # a schema-1 file read as it is
            return None
        if not row or not row[0]:
            return None
        name, date = json.loads(row[0])
        return str(name), str(date)

    def begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def add_flow(self, session: str, flow: Flow, *, url: str | None, domain: str, party: str,
                 findings: Iterable[Finding], owner: str | None = None,
                 category: str | None = None, country: str | None = None) -> None:
        """Add one flow and its findings (inside the current transaction)."""
        rows = tuple(_finding_row(f) for f in findings)
        self.add_rows([(flow_row(session, flow, url=url, domain=domain, party=party,
                                 n_findings=len(rows), owner=owner, category=category,
                                 country=country), rows)])

    def add_rows(self, flows: Iterable[tuple[Row, Sequence[Row]]]) -> None:
        """Add flows as ready rows: (`flow_row`, its findings in FINDING_FIELDS order),
        inside the current transaction, with one statement per table."""
        self.begin()
        flow_rows: list[Row] = []
        finding_rows: list[Row] = []
        for flow, findings in flows:
            flow_rows.append(flow)
            finding_rows.extend(findings)
        self.db.executemany(_INSERT_FLOW, flow_rows)
        if finding_rows:
            self.db.executemany(_INSERT_FINDING, finding_rows)

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
        """Drop what an interrupted run stored of one capture, before redoing it.

        Its capture rows go too: one left with another digest (the file changed,
        or a SHA-256 one from before BLAKE3) would otherwise skip that content with no flows.
        """
        self.begin()
        self.db.execute("DELETE FROM captures WHERE session=? AND path=?",
                        (session, input_file))
        self.db.execute(
            "DELETE FROM findings WHERE session=? AND flow_id IN "
            "(SELECT flow_id FROM flows WHERE session=? AND input_file=?)",
            (session, session, input_file))
        self.db.execute("DELETE FROM flows WHERE session=? AND input_file=?",
                        (session, input_file))

    def add_capture(self, session: str, digest: str, path: str, *, flows: int, findings: int,
                    error: str | None) -> None:
        self.begin()
        self.db.execute("INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (session, digest, path, flows, findings, error, time.time()))

    def add_mark(self, session: str, name: str, *, ts: float | None = None,
                 note: str | None = None) -> float:
        """Record a named moment ("consent", ...) of `session`, committed at once."""
        when = time.time() if ts is None else ts
        self.begin()
        self.db.execute("INSERT INTO marks VALUES (?, ?, ?, ?)", (session, when, name, note))
        self.commit()
        return when

    def add_substitution(self, session: str, flow_id: str, ts: float, *, pii_type: str,
                         location: str, key: str | None, encoding: Iterable[str],
                         value_sha256: str, fake_masked: str) -> None:
        """Record one value `--substitute` replaced (inside the current transaction)."""
        self.begin()
        self.db.execute("INSERT INTO substitutions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (session, flow_id, ts, pii_type, location, key,
                         json.dumps(list(encoding)), value_sha256, fake_masked))

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

    def latest_session_of(self, source: str) -> str | None:
        """The latest session written by `source` (e.g. "proxy"), or None."""
        row = self.db.execute("SELECT id FROM sessions WHERE source=? "
                              "ORDER BY created DESC, rowid DESC LIMIT 1", (source,)).fetchone()
        return row[0] if row else None

    def marks(self, session: str | None = None) -> list[tuple[float, str, str | None]]:
        """(ts, name, note) of the marks of `session` (latest when None), in time order."""
        sid = self.resolve_session(session)
        if not self._has_marks:
            return []
        return [(float(ts), name, note) for ts, name, note in self.db.execute(
            "SELECT ts, name, note FROM marks WHERE session=? ORDER BY ts, rowid", (sid,))]

    def consent_ts(self, session: str | None = None) -> float | None:
        """When consent was first marked in `session`, or None."""
        return next((ts for ts, name, _ in self.marks(session) if is_consent_mark(name)), None)

    def first_consent_ts(self, session: str) -> float | None:
        """`consent_ts` of an existing session in one query (the live proxy asks often)."""
        if not self._has_marks:
            return None
        rows = self.db.execute("SELECT ts, name FROM marks WHERE session=?", (session,))
        return min((float(ts) for ts, name in rows if is_consent_mark(name)), default=None)

    def iter_findings_consent(self, session: str | None = None) -> Iterator[dict[str, Any]]:
        """Finding records plus `pre_consent`: True before the first consent mark,
        False after it, None when the session has no consent mark."""
        consent = self.consent_ts(session)
        for rec in self.iter_findings(session):
            rec["pre_consent"] = None if consent is None else rec["ts"] < consent
            yield rec

    def substitutions(self, session: str | None = None) -> list[dict[str, Any]]:
        """What `--substitute` replaced in `session` (latest when None), in time order."""
        sid = self.resolve_session(session)
        if not self._has_marks:
            return []
        cur = self.db.execute("SELECT * FROM substitutions WHERE session=? ORDER BY ts, rowid",
                              (sid,))
        names = [c[0] for c in cur.description]
        out = [dict(zip(names, row, strict=True)) for row in cur]
        for rec in out:
            rec["encoding"] = json.loads(rec["encoding"])
        return out

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
        for column in ("owner", "category", "country"):  # a schema-1 file read as it is
            if column not in df:
                df[column] = None
        return df


def flow_row(session: str, flow: Flow, *, url: str | None, domain: str, party: str,
             n_findings: int, owner: str | None, category: str | None,
             country: str | None) -> Row:
    """The `flows` row of `flow` (_FLOW_COLUMNS order), attributed by the caller."""
    return (session, flow.flow_id, flow.ts, flow.ts_end, flow.source, flow.kind, flow.app,
            flow.method, url, flow.host, flow.server_ip, flow.server_port, domain, party,
            flow.status, flow.bytes_out, flow.bytes_in, flow.input_file,
            json_list(flow.notes), n_findings, owner, category, country)


@lru_cache(maxsize=4096)
def json_list(items: tuple[str, ...]) -> str:
    """`items` as a JSON list, the form of the notes and encoding columns."""
    return json.dumps(list(items))


def _finding_row(f: Finding) -> tuple[object, ...]:
    return tuple(json_list(f.encoding) if name == "encoding" else getattr(f, name)
                 for name in FINDING_FIELDS)


def open(path: str | os.PathLike[str] = "trafficscope.db") -> Store:
    """Open an existing store for reading: ``trafficscope.open(p).findings()``."""
    return Store(path, create=False)
