import os
import sqlite3
import stat
from pathlib import Path

import pytest

import trafficscope
from trafficscope.errors import ReadError
from trafficscope.model import FINDING_FIELDS, Finding, Flow
from trafficscope.store import SCHEMA_VERSION, Store, migrate


def _flow(i: int) -> Flow:
    return Flow(flow_id=f"f{i}", ts=1_700_000_000.0 + i, source="har", kind="http",
                host="ulogs.umeng.com", method="POST", url="https://ulogs.umeng.com/unify_logs")


def _finding(session: str, i: int) -> Finding:
    return Finding(
        session=session, flow_id=f"f{i}", ts=1_700_000_000.0 + i, source="har", app=None,
        kind="http", method="POST", url="https://ulogs.umeng.com/unify_logs",
        host="ulogs.umeng.com", server_ip="106.11.86.22", domain="umeng.com", owner=None,
        category=None, party="unknown", country=None, pii_type="IMEI", location="body",
        key="header.imei", encoding=("form", "json"), match="known", confidence=1.0,
        value_masked="49***********18", value_sha256="0" * 64)


def test_store_is_private_wal_and_round_trips(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = tmp_path / "sub" / "t.db"
        with Store(db) as store:
            sid = store.new_session(source="files", app=None, profile_keys=["device.imei"],
                                    inputs=["x.har"], tool_version="t")
            for i in range(3):
                store.add_flow(sid, _flow(i), url=_flow(i).url, domain="umeng.com",
                               party="unknown", findings=[_finding(sid, i)])
            store.commit()
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            for suffix in ("", "-wal", "-shm"):
                p = Path(str(db) + suffix)
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
            assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)
    df = trafficscope.open(db).findings()
    assert list(df.columns) == list(FINDING_FIELDS)
    assert len(df) == 3
    assert df.iloc[0]["encoding"] == ["form", "json"]
    assert df.iloc[2]["ts"] == 1_700_000_002.0
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_latest_session_and_unknown_session(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store:
        a = store.new_session(source="files", app=None, profile_keys=[], inputs=[],
                              tool_version="t")
        b = store.new_session(source="files", app=None, profile_keys=[], inputs=[],
                              tool_version="t")
        assert a != b
        assert store.resolve_session(None) == b
        with pytest.raises(ReadError, match="has no session"):
            store.resolve_session("nope")


def test_open_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such database"):
        trafficscope.open(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ReadError, match="not a trafficscope database"):
        trafficscope.open(junk)
    with pytest.raises(ReadError, match="holds no session"):
        Store(tmp_path / "empty.db").findings()


#: The schema trafficscope 0.1 wrote (schema_version 1), kept to test migrations.
SCHEMA_V1 = '''
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
'''


def _v1_store(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_V1)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO sessions VALUES ('s1', 1.0, 'files', NULL, '0.1.0', '[]', '[]')")
    con.execute("INSERT INTO flows VALUES ('s1', 'f0', 1.0, NULL, 'har', 'http', NULL, 'GET', "
                "'https://ulogs.umeng.com/x', 'ulogs.umeng.com', '106.11.86.22', 443, "
                "'umeng.com', 'unknown', 200, 10, 20, NULL, '[]', 0)")
    con.commit()
    con.close()


def test_schema_1_store_is_read_as_it_is_and_migrated_when_written(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _v1_store(db)
    # reading does not change the file
    flows = trafficscope.open(db).flows("s1")
    assert trafficscope.open(db).session_geoip("s1") is None    # no geoip column yet
    assert list(flows["host"]) == ["ulogs.umeng.com"]
    assert flows.iloc[0]["owner"] is None and flows.iloc[0]["country"] is None
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta").fetchone()[0] == "1"
    con.close()
    # opening to write adds the columns; old rows keep their values, new rows get them all
    with Store(db) as store:
        sid = store.new_session(source="files", app=None, profile_keys=[], inputs=[],
                                tool_version="t")
        store.add_flow(sid, _flow(1), url=None, domain="umeng.com", party="third",
                       findings=[], owner="Alibaba", category="analytics", country="CN")
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    rows = con.execute("SELECT flow_id, domain, owner, category, country FROM flows "
                       "ORDER BY ts").fetchall()
    assert rows == [("f0", "umeng.com", None, None, None),
                    ("f1", "umeng.com", "Alibaba", "analytics", "CN")]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT geoip FROM sessions WHERE id='s1'").fetchone() == (None,)
    assert trafficscope.open(db).session_geoip("s1") is None
    # a fresh store has the same column layout as a migrated one
    with Store(tmp_path / "new.db"):
        pass
    new = sqlite3.connect(tmp_path / "new.db")
    for table in ("sessions", "flows", "findings"):
        assert ([r[1] for r in con.execute(f"PRAGMA table_info({table})")]
                == [r[1] for r in new.execute(f"PRAGMA table_info({table})")]), table
    # migrating again changes nothing
    assert migrate(con) == SCHEMA_VERSION
