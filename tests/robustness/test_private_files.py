"""The tool's own data: 0600 files, 0700 folders under umask 022; credentials not exported."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from trafficscope.detection.mask import mask
from trafficscope.export import REDACTED
from trafficscope.store import Store

IMEI = "490154203237518"
EMAIL = "jane.doe.test@example.org"
PROFILE = f'[device]\nimei = "{IMEI}"\n[owner]\nemail = "{EMAIL}"\n'
ENTRIES = [
    {"startedDateTime": "2025-11-23T12:00:00Z",
     "request": {"method": "GET", "url": f"https://t.tracker.example/c?imei={IMEI}",
                 "headers": [
                     {"name": "Cookie", "value": f'uid={IMEI}; d={{"mail":"{EMAIL}"}}'},
                     {"name": "Authorization", "value": f"Basic {EMAIL}"},
                     {"name": "X-Mail", "value": EMAIL}]},
     "response": {"status": 200}},
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0o022))


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    (tmp_path / "phone.toml").write_text(PROFILE)
    path = tmp_path / "phone.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": ENTRIES}}))
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_wal_and_shm_are_0600(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "new" / "deeper" / "s.db"
    with Store(path) as store:
        store.new_session(source="har", app=None, profile_keys=(), inputs=(),
                          tool_version="test")
        store.commit()
        for suffix in ("", "-wal", "-shm"):
            f = Path(f"{path}{suffix}")
            assert f.exists(), f
            assert mode(f) == 0o600, (f, oct(mode(f)))
    assert mode(tmp_path / "new") == 0o700
    assert mode(tmp_path / "new" / "deeper") == 0o700


def test_exports_and_folders_the_cli_creates(capture: Path) -> None:
    d = capture.parent
    r = run_cli("analyze", capture.name, "--profile", "phone.toml", "--db", "db/a/s.db",
                "--jsonl", "out/j/f.jsonl", "--parquet", "out/pq/ds", cwd=d)
    assert r.returncode == 0, r.stderr
    for fmt, name in (("csv", "e/x/f.csv"), ("parquet", "e/y/f.parquet"),
                      ("jsonl", "e/z/f.jsonl")):
        r = run_cli("findings", "--db", "db/a/s.db", "--format", fmt, "-o", name, cwd=d)
        assert r.returncode == 0, r.stderr
    r = run_cli("demo", "-o", "demo/out", cwd=d)
    assert r.returncode == 0, r.stderr
    r = run_cli("report", "--db", "db/a/s.db", "-o", "rep/x/y", cwd=d)
    assert r.returncode == 0, r.stderr
    created = [d / x for x in ("db", "out", "e", "demo", "rep")]
    files = dirs = 0
    for top in created:
        assert mode(top) == 0o700, top
        for root, subdirs, names in os.walk(top):
            for name in subdirs:
                assert mode(Path(root, name)) == 0o700, Path(root, name)
                dirs += 1
            for name in names:
                assert mode(Path(root, name)) == 0o600, Path(root, name)
                files += 1
    # s.db, 4 exports, demo db + 2 exports, at least one parquet part
    assert files >= 8 and dirs >= 6, (files, dirs)


def test_credential_headers_dropped_unless_raw(capture: Path) -> None:
    d = capture.parent
    r = run_cli("analyze", capture.name, "--profile", "phone.toml", "--db", "s.db",
                "--jsonl", "live.jsonl", "--parquet", "pq", cwd=d)
    assert r.returncode == 0, r.stderr
    raw = run_cli("findings", "--db", "s.db", "--raw", cwd=d)
    masked = run_cli("findings", "--db", "s.db", cwd=d)
    assert raw.returncode == masked.returncode == 0
    raw_recs = [json.loads(x) for x in raw.stdout.splitlines()]
    recs = [json.loads(x) for x in masked.stdout.splitlines()]
    where = sorted((x["location"], x["key"]) for x in raw_recs)
    assert where == [("cookie", "d.mail"), ("cookie", "uid"), ("header", "authorization"),
                     ("header", "x-mail"), ("query", "imei")], where
    for rec in raw_recs:
        assert rec["value_masked"] == mask(IMEI if rec["pii_type"] == "IMEI" else EMAIL)
    by_place = {(x["location"], x["key"]): x for x in recs}
    assert set(by_place) == {("cookie", "d"), ("cookie", "uid"), ("header", "authorization"),
                             ("header", "x-mail"), ("query", "imei")}
    for place, rec in by_place.items():
        secret = place[0] == "cookie" or place[1] == "authorization"
        assert (rec["value_masked"] == REDACTED) is secret, place
        assert rec["value_sha256"] == next(
            x["value_sha256"] for x in raw_recs if x["location"] == place[0]
            and x["key"].split(".")[0] == place[1])
    live = [json.loads(x) for x in (d / "live.jsonl").read_text().splitlines()]
    assert sorted(json.dumps(x, sort_keys=True) for x in live) == sorted(
        json.dumps(x, sort_keys=True) for x in recs)
    assert run_cli("findings", "--db", "s.db", "-o", "f.csv", cwd=d).returncode == 0
    rows = list(csv.DictReader((d / "f.csv").open()))
    assert sum(r["value_masked"] == REDACTED for r in rows) == 3
    df = pd.read_parquet(d / "pq")
    assert (df["value_masked"] == REDACTED).sum() == 3
    assert set(df["key"]) == {"d", "uid", "authorization", "x-mail", "imei"}
