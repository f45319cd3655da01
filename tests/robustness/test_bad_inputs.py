"""The CLI over every kind of bad input: exit code 1, one line naming the file and why.

Each hostile sample is generated here and analyzed by a real `trafficscope
analyze` subprocess; stderr must hold exactly one line, naming the file and the
reason, and no traceback anywhere.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

ENTRY = {"startedDateTime": "2025-11-23T12:00:00Z",
         "request": {"method": "GET", "url": "https://a.example/x?imei=490154203237518",
                     "headers": [{"name": "Cookie", "value": "sid=1"}]},
         "response": {"status": 200}}
HAR = json.dumps({"log": {"version": "1.2", "entries": [ENTRY, ENTRY, ENTRY]}}).encode()


def _wrong_types() -> bytes:
    """Every field of every entry has the wrong JSON type."""
    entries = [{"request": 5}, {"request": {"url": 7, "headers": "x"}}, [], "entry",
               {"request": {"url": ["https://a"], "postData": 3}, "startedDateTime": {}},
               {"request": None, "response": "no"}]
    return json.dumps({"log": {"version": 1.2, "entries": entries}}).encode()


def _deep_har() -> bytes:
    depth = 100_000
    return b'{"log": {"entries": [' + b"[" * depth + b"]" * depth + b"]}}"


def _unreadable(folder: Path) -> Path:
    path = folder / "locked.har"
    path.write_bytes(HAR)
    path.chmod(0)
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.har"
    os.mkfifo(path)
    return path


def _no_captures(folder: Path) -> Path:
    path = folder / "docs"
    path.mkdir()
    (path / "readme.md").write_text("# nothing to analyze\n")
    (path / "data.json").write_text("[1, 2, 3]\n")
    return path


def _file(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


# (id, maker, reason expected in the line)
SAMPLES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("text", _file("notes.har", b"hello, not a capture\n"), "not a capture"),
    ("binary", _file("blob.bin", bytes(range(256)) * 4), "not a capture"),
    ("empty", _file("empty.har", b""), "empty file"),
    ("truncated-json", _file("cut.har", HAR[: len(HAR) // 2]), "truncated"),
    ("truncated-gzip", _file("cut.har.gz", gzip.compress(HAR)[:60]), "truncated"),
    ("truncated-zlib", _file("cut.zhar", zlib.compress(HAR)[:60]), "truncated"),
    ("corrupt-gzip", _file("bad.zhar", gzip.compress(HAR)[:120] + b"\xff" * 200),
     "corrupt compressed data"),
    ("json-not-har", _file("list.har", b'{"entries": [1, 2]}'), "not a HAR file"),
    ("entries-not-list", _file("obj.har", b'{"log": {"entries": {"a": 1}}}'),
     "not a list"),
    ("wrong-types", _file("types.har", _wrong_types()), "not a HAR file"),
    ("invalid-json", _file("junk.har", b'{"log": {"entries": [}'), "invalid JSON"),
    ("deep-har", _file("deep.har", _deep_har()), "nested deeper than"),
    ("garbage-tnetstring", _file("junk.mitm", b"5:hello!" + bytes(range(200))),
     "not a flow file"),
    ("tnetstring-huge-length", _file("huge.mitm", b"999999999999:abc"), "not a flow file"),
    ("tnetstring-zero-length", _file("zero.mitm", b"0:~0:~0:]"), "flow file"),
    ("folder-without-captures", _no_captures, "no readable capture"),
    ("missing", lambda folder: folder / "missing.har", "no such file"),
    ("fifo", _fifo, "not a regular file"),
    ("unreadable", _unreadable, "permission denied"),
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("maker", "reason"), [(m, r) for _, m, r in SAMPLES],
                         ids=[i for i, _, _ in SAMPLES])
def test_bad_input_one_line(tmp_path: Path, maker: Callable[[Path], Path],
                            reason: str) -> None:
    if maker is _unreadable and os.geteuid() == 0:
        pytest.skip("running as root: mode 000 does not stop root from reading")
    path = maker(tmp_path)
    r = run_cli("analyze", path.name, "--db", "s.db", cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("trafficscope: "), lines[0]
    assert path.name in lines[0] and reason in lines[0], lines[0]


def test_many_bad_inputs_one_line_each(tmp_path: Path) -> None:
    """All in one run: one line per bad file, the good capture still analyzed."""
    names = []
    for _, maker, _ in SAMPLES:
        if maker in (_unreadable, _fifo) or maker.__name__ == "<lambda>":
            continue
        names.append(maker(tmp_path).name)
    (tmp_path / "good.har").write_bytes(HAR)
    r = run_cli("analyze", *names, "good.har", "--db", "s.db", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == len(names), lines
    for name in names:
        assert sum(f" {name}: " in line for line in lines) == 1, (name, lines)
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT count(*) FROM flows WHERE input_file='good.har'"
                       ).fetchone()[0] == 3
