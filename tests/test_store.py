import os
import sqlite3
import stat
from pathlib import Path

import pytest

import trafficscope
from trafficscope.errors import ReadError
from trafficscope.model import FINDING_FIELDS, Finding, Flow
from trafficscope.store import Store


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
