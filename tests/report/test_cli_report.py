"""`trafficscope report` and the analysis scripts as users run them."""

from __future__ import annotations

import csv
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trafficscope.store import Store

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ("entities_by_recipient", "recipients_by_party", "data_flow", "timeline",
           "encodings", "countries")  # the demo has countries now that attribution runs


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    assert run("demo", "-o", "out", cwd=d).returncode == 0
    return d / "out"


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(os.stat(p).st_mode)
            for p in [root, *root.rglob("*")]}


def test_report_files_are_private_and_values_hidden(demo: Path, tmp_path: Path) -> None:
    os.umask(0o022)
    r = run("report", "--db", str(demo / "trafficscope.db"), "-o", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = tmp_path / "rep"
    for name, mode in modes(rep).items():
        is_dir = (rep / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), name
    assert {p.name for p in (rep / "charts").iterdir()} >= {
        "flow.png", "flow.svg", "timeline.png", "entities_by_recipient.svg"}
    page = (rep / "index.html").read_text()
    rows = list(csv.DictReader((rep / "findings.csv").open()))
    assert len(rows) == 38
    assert {r["value_masked"].strip("•") for r in rows} == {""}
    assert "49***********18" not in page and "49***********18" not in (
        rep / "findings.csv").read_text()


def test_reveal_shows_what_the_store_holds(demo: Path, tmp_path: Path) -> None:
    r = run("report", "--db", str(demo / "trafficscope.db"), "-o", "rep", "--reveal",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "49***********18" in page  # partly masked, as stored; never the raw IMEI
    assert "490154203237518" not in page
    rows = list(csv.DictReader((tmp_path / "rep" / "findings.csv").open()))
    assert "49***********18" in {r["value_masked"] for r in rows}


def test_compare_two_sessions(demo: Path, tmp_path: Path) -> None:
    har = ROOT / "captures" / "sample.har"
    assert run("analyze", str(har), "--db", "two.db", cwd=tmp_path).returncode == 0
    (sid,) = sqlite3.connect(tmp_path / "two.db").execute("SELECT id FROM sessions").fetchone()
    assert run("analyze", str(har), "--db", "two.db", "--app", "example.shoppingmall.android",
               "--profile", str(ROOT / "captures" / "sample.profile.toml"),
               cwd=tmp_path).returncode == 0
    r = run("report", "--db", "two.db", "-o", "rep", "--compare", sid, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "rep" / "charts" / "compare.svg").stat().st_size > 1000
    assert 'id="chart-compare"' in (tmp_path / "rep" / "index.html").read_text()
    r = run("report", "--db", "two.db", "-o", "rep", "--compare", "nope", cwd=tmp_path)
    assert r.returncode == 1 and "nope" in r.stderr and "Traceback" not in r.stderr


def test_report_errors_are_one_line(tmp_path: Path) -> None:
    r = run("report", "--db", "missing.db", "-o", "rep", cwd=tmp_path)
    assert r.returncode == 1 and "missing.db" in r.stderr and "Traceback" not in r.stderr
    assert run("report", cwd=tmp_path).returncode == 2  # -o is required


@pytest.mark.parametrize("script", SCRIPTS)
def test_analysis_scripts_draw_one_chart(script: str, demo: Path, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "analysis" / f"{script}.py"),
                        str(demo / "trafficscope.db"), "-o", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    written = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert len(written) == 2 and written[0].endswith(".png") and written[1].endswith(".svg")
    assert "wrote" in r.stdout


def test_countries_script_says_when_there_is_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as store:  # a session with no findings
        store.new_session(source="files", app=None, profile_keys=[], inputs=[],
                          tool_version="t")
    r = subprocess.run([sys.executable, str(ROOT / "analysis" / "countries.py"),
                        str(tmp_path / "empty.db"), "-o", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and "nothing to draw" in r.stdout
