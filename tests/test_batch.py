"""Many captures: serial, local processes and a real Dask cluster agree."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trafficscope.batch import analyze_files
from trafficscope.profile import load_profile
from trafficscope.store import Store

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "captures" / "sample.profile.toml"
APP = "example.shoppingmall.android"
N_CAPTURES = 6


def _make_sample():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "captures"))
    import make_sample

    return make_sample


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("captures")
    _make_sample().write_variants(d, N_CAPTURES)
    (d / "broken.har").write_text('{"log": {"entries": [')  # truncated: reported, batch goes on
    return d


def _records(db: Path) -> list[tuple[object, ...]]:
    """Findings without the session id, in a canonical order."""
    with Store(db, create=False) as store:
        recs = list(store.iter_findings())
    rows = [tuple(json.dumps(v) if isinstance(v, list) else v
                  for k, v in sorted(r.items()) if k != "session") for r in recs]
    return sorted(rows, key=repr)


def _flows(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    return sorted(con.execute(
        "SELECT flow_id, ts, host, url, domain, party, n_findings FROM flows"), key=repr)


def _run(folder: Path, db: Path, **kw: object) -> tuple[int, int, int, list[str]]:
    with Store(db) as store:
        s = analyze_files([folder], store, profile=load_profile(PROFILE), app=APP,
                          **kw)  # type: ignore[arg-type]
    return s.files, s.flows, s.skipped, s.errors


@pytest.fixture(scope="module")
def serial(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("serial") / "s.db"
    files, flows, skipped, errors = _run(folder, db)
    assert files == N_CAPTURES + 1 and skipped == 0
    assert len(errors) == 1 and "broken.har" in errors[0]
    assert flows > N_CAPTURES * 10
    return db


def test_local_workers_give_the_serial_result(folder: Path, serial: Path, tmp_path: Path) -> None:
    files, _, _, errors = _run(folder, tmp_path / "p.db", workers=2)
    assert files == N_CAPTURES + 1
    assert len(errors) == 1 and "broken.har" in errors[0]
    assert _records(tmp_path / "p.db") == _records(serial)
    assert _flows(tmp_path / "p.db") == _flows(serial)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, protocol="tcp") as c:
        yield c.scheduler_address


def test_dask_cluster_gives_the_serial_result(folder: Path, serial: Path, tmp_path: Path,
                                              cluster: str) -> None:
    assert cluster.startswith("tcp://127.0.0.1:")
    db = tmp_path / "d.db"
    r = subprocess.run(
        [sys.executable, "-m", "trafficscope", "analyze", str(folder), "--profile",
         str(PROFILE), "--app", APP, "--db", str(db), "--scheduler", cluster,
         "--parquet", str(tmp_path / "pq")],
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr  # the broken capture
    errors = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(errors) == 1 and "broken.har" in errors[0] and "Traceback" not in r.stderr
    assert _records(db) == _records(serial)
    assert _flows(db) == _flows(serial)
    # the Parquet dataset is partitioned by app and capture, and pandas reads it back
    import pandas as pd

    parts = sorted(p.relative_to(tmp_path / "pq").parts[:2]
                   for p in (tmp_path / "pq").rglob("*.parquet"))
    assert parts == [(f"app={APP}", f"capture=capture-{i:04d}.har") for i in range(N_CAPTURES)]
    df = pd.read_parquet(tmp_path / "pq")
    assert len(df) == len(_records(serial))
    assert set(df["capture"].astype(str)) == {f"capture-{i:04d}.har" for i in range(N_CAPTURES)}


def test_unreachable_scheduler_is_a_clear_error(folder: Path, tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "trafficscope", "analyze", str(folder), "--db",
         str(tmp_path / "x.db"), "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.stderr


def test_rerun_skips_finished_captures_and_completes_the_rest(folder: Path, serial: Path,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    _run(folder, db)
    con = sqlite3.connect(db)
    sessions = [s for (s,) in con.execute("SELECT id FROM sessions")]
    # As if killed while capture 3 was being written: its capture row never committed,
    # some of its flows did.
    con.execute("DELETE FROM captures WHERE path LIKE '%capture-0003.har'")
    con.commit()
    files, _, skipped, _ = _run(folder, db)
    # capture 3 again; the broken one was read as far as it goes: done too
    assert (files, skipped) == (1, N_CAPTURES)
    assert [s for (s,) in con.execute("SELECT id FROM sessions")] == sessions  # continued
    assert _records(db) == _records(serial)  # nothing lost, nothing twice
    assert _flows(db) == _flows(serial)
    # A new capture in the folder: only it is read.
    extra = folder.parent / "more"
    extra.mkdir(exist_ok=True)
    _make_sample().write_variants(extra, N_CAPTURES + 1)
    (folder / "capture-new.har").write_bytes((extra / f"capture-{N_CAPTURES:04d}.har").read_bytes())
    try:
        files, _, skipped, _ = _run(folder, db)
        assert (files, skipped) == (1, N_CAPTURES + 1)
        files, _, skipped, _ = _run(folder, db, new_session=True)
        assert (files, skipped) == (N_CAPTURES + 2, 0)
    finally:
        (folder / "capture-new.har").unlink()


# -- content digests: what a rerun skips ------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    d = tmp_path / "small"
    d.mkdir()
    _make_sample().write_variants(d, 3)
    return d


def _captures(db: Path) -> list[tuple[str, str]]:
    """(digest, file name) of the captures rows."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT sha256, path FROM captures")
        return sorted((h, Path(p).name) for h, p in rows)
    finally:
        con.close()


def test_file_digest_is_blake3_of_the_content_and_says_so(tmp_path: Path) -> None:
    import hashlib

    from blake3 import blake3

    from trafficscope.batch import file_digest

    f = tmp_path / "c.pcap"
    data = bytes(range(256)) * 9000  # more than one read
    f.write_bytes(data)
    assert file_digest(f) == "blake3:" + blake3(data).hexdigest()
    assert file_digest(f) != hashlib.sha256(data).hexdigest()  # never an old-style digest
    (tmp_path / "empty").write_bytes(b"")
    assert file_digest(tmp_path / "empty") == "blake3:" + blake3(b"").hexdigest()


def test_rerun_skips_the_same_content_under_another_name(small: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert _run(small, db)[::2] == (3, 0)
    before = _records(db)
    (small / "capture-0001.har").rename(small / "renamed.har")
    files, _, skipped, errors = _run(small, db)
    assert (files, skipped, errors) == (0, 3, [])
    assert _records(db) == before


def test_the_same_content_twice_in_one_run_is_read_once(small: Path, tmp_path: Path) -> None:
    (small / "copy.har").write_bytes((small / "capture-0002.har").read_bytes())
    files, _, skipped, errors = _run(small, tmp_path / "s.db")
    assert (files, skipped, errors) == (3, 1, [])


def test_rerun_reads_a_capture_with_one_changed_byte(small: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _run(small, db)
    old, flows = _captures(db), _flows(db)
    f = small / "capture-0001.har"
    data = f.read_bytes()
    at = data.index(b"cap=1.0") + len(b"cap=1.")
    f.write_bytes(data[:at] + b"x" + data[at + 1:])  # one byte: "cap=1.0" -> "cap=1.x"
    files, _, skipped, errors = _run(small, db)
    assert (files, skipped, errors) == (1, 2, [])
    new = _captures(db)
    assert len(new) == 3 and new != old  # the stale row went with its flows
    assert [n for _, n in new].count("capture-0001.har") == 1
    assert _flows(db) == flows  # its flows replaced, not doubled (stored URLs keep no query)

def test_old_style_sha256_digests_are_not_taken_for_done(small: Path, tmp_path: Path) -> None:
    """A store written before BLAKE3 holds bare SHA-256 hex: those captures are read again."""
    import hashlib

    db = tmp_path / "s.db"
    _run(small, db)
    before = _records(db)
    f = small / "capture-0002.har"
    con = sqlite3.connect(db)
    con.execute("UPDATE captures SET sha256=? WHERE path=?",
                (hashlib.sha256(f.read_bytes()).hexdigest(), str(f)))
    assert con.total_changes == 1
    con.commit()
    con.close()
    files, _, skipped, errors = _run(small, db)
    assert (files, skipped, errors) == (1, 2, [])
    assert _records(db) == before  # read again, stored once
    assert all(h.startswith("blake3:") for h, _ in _captures(db)) and len(_captures(db)) == 3
    assert _run(small, db)[::2] == (0, 3)  # and from then on skipped
