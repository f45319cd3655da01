"""`kill -9` of `trafficscope analyze` at random moments, then a rerun finishes the work.

After every kill: the store passes `PRAGMA integrity_check`, every capture
recorded as done has all its flows and findings, and nothing recorded before
is lost. Rerunning the same command then gives exactly the session an
uninterrupted run gives. `TRAFFICSCOPE_KILLS` sets the number of kills
(`make soak` runs more).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "captures" / "sample.har"
PROFILE = ROOT / "captures" / "sample.profile.toml"
KILLS = int(os.environ.get("TRAFFICSCOPE_KILLS", "20"))
CAPTURES = 12


def command(folder: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "trafficscope", "analyze", str(folder), "--profile",
            str(PROFILE), "--app", "example.shoppingmall.android", "--db", str(db)]


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Captures that differ in content (reruns skip by content hash)."""
    folder = tmp_path_factory.mktemp("captures")
    doc = json.loads(SAMPLE.read_text())
    entries = doc["log"]["entries"]
    for i in range(CAPTURES):
        copy = json.loads(json.dumps(doc))
        copy["log"]["entries"] = entries * (1 + i % 3)
        copy["log"]["comment"] = f"capture {i}"
        (folder / f"c{i:02d}.har").write_text(json.dumps(copy))
    return folder


def session_rows(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Flows and findings of the (only) session, without the session id."""
    con = sqlite3.connect(db)
    flows = sorted(con.execute(
        "SELECT flow_id, ts, kind, url, host, domain, party, n_findings, input_file "
        "FROM flows"))
    findings = sorted(con.execute(
        "SELECT flow_id, pii_type, location, key, encoding, match, confidence, value_masked, "
        "value_sha256 FROM findings"))
    con.close()
    return flows, findings


def check_store(db: Path, done_before: set[str]) -> set[str]:
    """Integrity, done captures complete, nothing done before lost; the done set."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {t for (t,) in con.execute("SELECT name FROM sqlite_master")}
        if "captures" not in tables:
            return set()  # killed before the schema was written
        done = {}
        for path, flows, findings in con.execute(
                "SELECT path, flows, findings FROM captures"):
            done[path] = (flows, findings)
            stored = con.execute("SELECT count(*), coalesce(sum(n_findings), 0) FROM flows "
                                 "WHERE input_file=?", (path,)).fetchone()
            assert stored == (flows, findings), (path, stored, flows, findings)
            assert con.execute("SELECT count(*) FROM findings f JOIN flows w USING "
                               "(session, flow_id) WHERE w.input_file=?",
                               (path,)).fetchone()[0] == findings
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] <= 1
    finally:
        con.close()
    assert done_before <= set(done), done_before - set(done)
    return set(done)


def test_kill_9_at_random_moments_then_rerun(captures: Path, tmp_path: Path) -> None:
    ref_db = tmp_path / "ref.db"
    r = subprocess.run(command(captures, ref_db), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # The kills land within the time a run takes, timed as the killed runs go: with the
    # caches the first run fills (compiled patterns, suffix list, GeoIP arrays). Timing the
    # first run made the window too wide, runs ended before their kill and the chains ran
    # out (seen with 200 kills).
    started = time.monotonic()
    warm = subprocess.run(command(captures, tmp_path / "warm.db"), capture_output=True,
                          text=True, timeout=300)
    whole = time.monotonic() - started
    assert warm.returncode == 0, warm.stderr
    reference = session_rows(ref_db)
    assert len(reference[0]) == 19 * sum(1 + i % 3 for i in range(CAPTURES))
    rng = random.Random(int(os.environ.get("TRAFFICSCOPE_KILL_SEED", "9")))
    kills = chains = 0
    while kills < KILLS:
        chains += 1
        assert chains <= KILLS, "runs keep finishing before the kill"
        db = tmp_path / f"killed-{chains}" / "s.db"
        db.parent.mkdir()
        done: set[str] = set()
        while kills < KILLS:  # kill reruns until one finishes on its own
            proc = subprocess.Popen(command(captures, db), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, whole))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            if db.exists():
                done = check_store(db, done)
        r = subprocess.run(command(captures, db), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        check_store(db, done)
        assert session_rows(db) == reference, f"chain {chains} differs from the reference"
        shutil.rmtree(db.parent)
    print(f"{kills} kills in {chains} chains; a run takes {whole:.1f} s")
