"""Schema 2: marks, substitutions, pre-consent labels; schema-1 stores stay readable."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from trafficscope.model import Flow
from trafficscope.pipeline import Analyzer
from trafficscope.profile import parse_profile
from trafficscope.store import SCHEMA_VERSION, Store

IMEI = "490154203237518"


def _fill(db: Path) -> str:
    with Store(db) as store:
        a = Analyzer(store, profile=parse_profile({"device": {"imei": IMEI}}), source="proxy")
        for i, ts in enumerate((100.0, 200.0, 300.0)):
            a.process(Flow(flow_id=f"f{i}", ts=ts, source="proxy", kind="http",
                           host="t.example.net", method="GET",
                           url=f"https://t.example.net/c?imei={IMEI}"))
        store.commit()
        return a.session


def _to_schema_1(db: Path) -> None:
    """What a store written before marks existed looks like."""
    c = sqlite3.connect(db)
    c.executescript("DROP VIEW findings_consent; DROP TABLE marks; "
                    "DROP TABLE substitutions; UPDATE meta SET value='1' "
                    "WHERE key='schema_version';")
    c.close()


def test_findings_before_the_consent_mark_are_pre_consent(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    sid = _fill(db)
    with Store(db) as store:
        assert [r["pre_consent"] for r in store.iter_findings_consent(sid)] == [None] * 3
        store.add_mark(sid, "consent", ts=250.0, note="tapped Agree")
        store.add_mark(sid, "consent", ts=280.0)  # the first one counts
        assert store.marks(sid) == [(250.0, "consent", "tapped Agree"), (280.0, "consent", None)]
        assert store.consent_ts(sid) == 250.0
        assert [r["pre_consent"] for r in store.iter_findings_consent(sid)] == [
            True, True, False]
        view = store.db.execute("SELECT ts, pre_consent FROM findings_consent ORDER BY ts")
        assert view.fetchall() == [(100.0, 1), (200.0, 1), (300.0, 0)]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_schema_1_store_is_upgraded_on_open(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    sid = _fill(db)
    _to_schema_1(db)
    with Store(db) as store:
        assert store.marks(sid) == []
        store.add_mark(sid, "consent", ts=150.0)
        assert [r["pre_consent"] for r in store.iter_findings_consent(sid)] == [
            True, False, False]
        version = store.db.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert int(version.fetchone()[0]) == SCHEMA_VERSION == 3


def test_read_only_schema_1_store_stays_readable(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    sid = _fill(db)
    _to_schema_1(db)
    # What Store does on open, over a connection that cannot write (root ignores
    # file modes, so the read-only URI stands in for a read-only file).
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    store = object.__new__(Store)
    store.path, store.db, store._in_tx = db, conn, False
    store._check_schema()
    store._upgrade(create=False)
    assert store.marks(sid) == [] and store.substitutions(sid) == []
    assert [r["pre_consent"] for r in store.iter_findings_consent(sid)] == [None] * 3
    assert len(list(store.iter_findings(sid))) == 3
    conn.close()
