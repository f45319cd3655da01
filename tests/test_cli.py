"""The CLI as users run it: a real subprocess, real files, real SQLite."""

import argparse
import csv
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trafficscope.cli import build_parser
from trafficscope.detection.mask import mask

PROFILE = """
[device]
imei = "490154203237518"
ad_id = "38400000-8cf0-11bd-b23e-10b96e40000d"
[owner]
email = "jane.doe.test@example.org"
"""

ENTRIES = [
    {"startedDateTime": "2025-11-23T12:00:00.000Z", "serverIPAddress": "198.51.100.7",
     "request": {"method": "GET", "httpVersion": "HTTP/1.1",
                 "url": "https://t.tracker-example.net/collect?imei=490154203237518&x=1",
                 "headers": [], "queryString": [], "cookies": []},
     "response": {"status": 204, "headers": []}},
    {"startedDateTime": "2025-11-23T12:00:01.500+00:00", "serverIPAddress": "203.0.113.10",
     "request": {"method": "POST", "httpVersion": "HTTP/2",
                 "url": "https://api.shop.example/v1/u/jane.doe.test%40example.org/profile",
                 "headers": [], "queryString": [], "cookies": []},
     "response": {"status": 200, "headers": []}},
    {"startedDateTime": "2025-11-23T12:00:02.000Z",
     "request": {"method": "POST", "httpVersion": "HTTP/1.1",
                 "url": "https://bid.adsexample.com/bid",
                 "headers": [{"name": "Content-Type", "value": "application/json"}],
                 "queryString": [], "cookies": [],
                 "postData": {"mimeType": "application/json",
                              "text": json.dumps({"device": {
                                  "ifa": "38400000-8CF0-11BD-B23E-10B96E40000D"}})}},
     "response": {"status": 200, "headers": []}},
    {"startedDateTime": "2025-11-23T12:00:03.000Z",
     "request": {"method": "GET", "httpVersion": "HTTP/1.1",
                 "url": "https://cdn.shop.example/logo.png",
                 "headers": [], "queryString": [], "cookies": []},
     "response": {"status": 200, "headers": []}},
]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    (tmp_path / "phone.toml").write_text(PROFILE)
    har = tmp_path / "phone.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": ENTRIES}}))
    return har


def sha(v: str) -> str:
    return hashlib.sha256(v.encode()).hexdigest()


def test_analyze_writes_records_field_by_field(capture: Path) -> None:
    d = capture.parent
    r = run("analyze", str(capture), "--profile", "phone.toml", "--app", "example.shop.app",
            "--db", "s.db", "--jsonl", "out.jsonl", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    records = [json.loads(line) for line in (d / "out.jsonl").read_text().splitlines()]
    session = sqlite3.connect(d / "s.db").execute("SELECT id FROM sessions").fetchone()[0]
    common = {"session": session, "source": "har", "app": "example.shop.app",
              "kind": "http", "owner": None, "country": None,  # documentation addresses
              "match": "known", "confidence": 1.0}
    expected = [
        {**common, "ts": 1763899200.0, "method": "GET",
         "url": "https://t.tracker-example.net/collect", "host": "t.tracker-example.net",
         "server_ip": "198.51.100.7", "domain": "tracker-example.net", "party": "third",
         "category": None,
         "pii_type": "IMEI", "location": "query", "key": "imei", "encoding": [],
         "value_masked": mask("490154203237518"), "value_sha256": sha("490154203237518")},
        {**common, "ts": 1763899201.5, "method": "POST",
         "url": "https://api.shop.example/v1/u/" + mask("jane.doe.test@example.org")
         + "/profile", "host": "api.shop.example", "server_ip": "203.0.113.10",
         "domain": "shop.example", "party": "first", "category": "first-party-api",
         "pii_type": "EMAIL",
         "location": "path", "key": "2", "encoding": ["percent"],
         "value_masked": mask("jane.doe.test@example.org"),
         "value_sha256": sha("jane.doe.test@example.org")},
        {**common, "ts": 1763899202.0, "method": "POST", "url": "https://bid.adsexample.com/bid",
         "host": "bid.adsexample.com", "server_ip": None, "domain": "adsexample.com",
         "party": "third", "category": None,
         "pii_type": "AD_ID", "location": "body", "key": "device.ifa",
         "encoding": ["json"], "value_masked": mask("38400000-8cf0-11bd-b23e-10b96e40000d"),
         "value_sha256": sha("38400000-8cf0-11bd-b23e-10b96e40000d")},
    ]
    assert len(records) == len(expected)
    for rec, exp in zip(records, expected, strict=True):
        flow_id = rec.pop("flow_id")
        assert isinstance(flow_id, str) and flow_id
        for name, value in exp.items():
            assert rec[name] == value, (name, rec[name], value)
        assert set(rec) == set(exp)
    # flows are stored too, the image request included, URLs without query strings
    con = sqlite3.connect(d / "s.db")
    assert con.execute("SELECT count(*) FROM flows").fetchone()[0] == 4
    urls = [u for (u,) in con.execute("SELECT url FROM flows")]
    assert not any("490154203237518" in u for u in urls)
    assert stat.S_IMODE(os.stat(d / "s.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(d / "out.jsonl").st_mode) == 0o600
    assert "t.tracker-example.net" not in r.stdout  # summary names domains
    assert "tracker-example.net (third)" in r.stdout


def test_findings_export_formats(capture: Path) -> None:
    d = capture.parent
    assert run("analyze", str(capture), "--profile", "phone.toml", "--db", "s.db",
               cwd=d).returncode == 0
    r = run("findings", "--db", "s.db", cwd=d)
    assert r.returncode == 0
    jsonl = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["pii_type"] for x in jsonl] == ["IMEI", "EMAIL", "AD_ID"]
    assert {x["party"] for x in jsonl} == {"unknown"}  # no --app
    assert run("findings", "--db", "s.db", "-o", "f.csv", cwd=d).returncode == 0
    rows = list(csv.DictReader((d / "f.csv").open()))
    assert [x["pii_type"] for x in rows] == ["IMEI", "EMAIL", "AD_ID"]
    assert rows[1]["encoding"] == "percent"
    assert run("findings", "--db", "s.db", "-o", "f.parquet", cwd=d).returncode == 0
    import pandas as pd

    df = pd.read_parquet(d / "f.parquet")
    assert list(df["pii_type"]) == ["IMEI", "EMAIL", "AD_ID"]
    assert list(df.iloc[2]["encoding"]) == ["json"]
    for name in ("f.csv", "f.parquet"):
        assert stat.S_IMODE(os.stat(d / name).st_mode) == 0o600


def _one_error_line(r: subprocess.CompletedProcess[str], path: str, reason: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, lines
    assert path in lines[0] and reason in lines[0], lines[0]


def test_bad_inputs_exit_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello, not a capture\n")
    _one_error_line(run("analyze", "notes.txt", "--db", "a.db", cwd=tmp_path),
                    "notes.txt", "not a capture")
    whole = json.dumps({"log": {"entries": ENTRIES}})
    (tmp_path / "cut.har").write_text(whole[:whole.index("cdn.shop.example")])  # in entry 4
    r = run("analyze", "cut.har", "--db", "b.db", cwd=tmp_path)
    _one_error_line(r, "cut.har", "truncated")
    # what could be read is kept
    n = sqlite3.connect(tmp_path / "b.db").execute("SELECT count(*) FROM flows").fetchone()[0]
    assert n == 3
    _one_error_line(run("analyze", "missing.har", "--db", "c.db", cwd=tmp_path),
                    "missing.har", "no such file")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("# nothing here")
    _one_error_line(run("analyze", "empty", "--db", "d.db", cwd=tmp_path),
                    "empty", "no readable capture")
    (tmp_path / "bad.toml").write_text("[device\n")
    _one_error_line(run("analyze", "notes.txt", "--profile", "bad.toml", cwd=tmp_path),
                    "bad.toml", "TOML")
    _one_error_line(run("findings", "--db", "nothing.db", cwd=tmp_path),
                    "nothing.db", "no such database")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("analyze", cwd=tmp_path).returncode == 2
    assert run("frobnicate", cwd=tmp_path).returncode == 2


def test_every_command_has_help() -> None:
    parser = build_parser()

    def walk(p: argparse.ArgumentParser, name: str) -> None:
        assert p.description, f"{name} has no description"
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for sub, subparser in action.choices.items():
                    assert helps.get(sub), f"{name} {sub} has no help"
                    walk(subparser, f"{name} {sub}")
            elif not isinstance(action, argparse._HelpAction):
                assert action.help, f"{name} {action.dest} has no help"

    walk(parser, "trafficscope")


def test_profile_init(tmp_path: Path) -> None:
    assert run("profile", "init", "p.toml", cwd=tmp_path).returncode == 0
    assert "[device]" in (tmp_path / "p.toml").read_text()
    r = run("profile", "init", "p.toml", cwd=tmp_path)
    _one_error_line(r, "p.toml", "already exists")


def test_demo(tmp_path: Path) -> None:
    r = run("demo", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    for name in ("trafficscope.db", "findings.jsonl", "findings.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    records = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    kinds = {x["pii_type"] for x in records}
    assert {"IMEI", "AD_ID", "EMAIL", "PHONE", "MAC", "LOCATION", "CONTACTS"} <= kinds
    parties = {x["domain"]: x["party"] for x in records}
    assert parties["shoppingmall.example"] == "first"
    assert parties["umeng.com"] == "third"
    # every place a value hides in the sample is found
    locations = {x["location"] for x in records}
    assert {"query", "path", "header", "cookie", "body", "websocket"} <= locations
    encodings = {tuple(x["encoding"]) for x in records}
    assert any("gzip" in e for e in encodings) and any("br" in e for e in encodings)
    assert any("zstd" in e for e in encodings) and any("multipart" in e for e in encodings)
    assert "umeng.com (third)" in r.stdout and "stored in" in r.stdout
    # who received it: owners, categories and countries, in the records and the summary
    by_host = {x["host"]: (x["owner"], x["category"], x["party"], x["country"]) for x in records}
    assert by_host["ulogs.umeng.com"] == ("Alibaba", "analytics", "third", "CN")
    assert by_host["android.bugly.qq.com"] == ("Tencent", "crash-reporting", "third", "CN")
    assert by_host["api-access.pangolin-sdk-toutiao.com"] == (
        "ByteDance", "advertising", "third", "CN")
    assert by_host["graph.facebook.com"] == ("Meta", "social", "third", "US")
    assert by_host["app-measurement.com"] == ("Google", "analytics", "third", "US")
    assert by_host["api.shoppingmall.example"] == (None, "first-party-api", "first", None)
    rows = {line.split(" (")[0]: line for line in r.stdout.splitlines() if " (" in line}
    assert "umeng.com (third) — Alibaba (CN, analytics)" in rows["umeng.com"]
    assert rows["umeng.com"].rstrip().endswith("CN")            # servers column
    assert "facebook.com (third) — Meta (US, social)" in rows["facebook.com"]
    assert rows["facebook.com"].rstrip().endswith("US")
    assert "shoppingmall.example (first) — first-party-api" in rows["shoppingmall.example"]
    assert rows["shoppingmall.example"].rstrip().endswith("-")  # TEST-NET: no country
    assert "server countries from GeoLite2-Country (MaxMind" in r.stdout
    flows = sqlite3.connect(out / "trafficscope.db").execute(
        "SELECT host, owner, country FROM flows WHERE host LIKE 'img.%'").fetchall()
    assert flows and all(f[1:] == (None, None) for f in flows)   # destination-only rows too
    # the pcapng sample of the same phone: values in HTTP over the wire, DHCP, TLS destinations
    pcap = [x for x in records if x["source"] == "pcap"]
    assert {("AD_ID", "adsexample.com"), ("MAC", "dhcp")} <= {
        (x["pii_type"], x["domain"]) for x in pcap}
    with sqlite3.connect(out / "trafficscope.db") as con:
        kinds = dict(con.execute("SELECT kind, count(*) FROM flows WHERE source = 'pcap' "
                                 "GROUP BY kind").fetchall())
    assert kinds.keys() >= {"http", "dns", "tls", "quic", "dhcp"}


def test_analyze_with_owner_lists_and_geoip(capture: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    d = capture.parent
    (d / "tds.json").write_text(json.dumps({"trackers": {"tracker-example.net": {
        "domain": "tracker-example.net", "owner": {"name": "Tracker Example Inc",
                                                   "displayName": "Tracker Example"},
        "categories": ["Advertising"]}}, "entities": {}}))
    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-Country")
    w.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "NL"}})
    w.to_db_file(str(d / "mine.mmdb"))
    r = run("analyze", str(capture), "--profile", "phone.toml", "--app", "example.shop.app",
            "--owners", "tds.json", "--geoip", "mine.mmdb", "--db", "s.db", "--jsonl", "-",
            cwd=d)
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    # 198.51.100.7 is a documentation address: no country even though the file has one
    assert (first["owner"], first["category"], first["country"]) == (
        "Tracker Example", "advertising", None)
    assert "tracker-example.net (third) — Tracker Example (advertising)" in r.stderr
    assert "server countries from GeoIP2-Country" in r.stderr
    (d / "junk.json").write_text('{"hello": 1}')
    _one_error_line(run("analyze", str(capture), "--owners", "junk.json", "--db", "t.db",
                        cwd=d), "junk.json", "not a known owner list")
    (d / "junk.mmdb").write_bytes(b"\0" * 64)
    _one_error_line(run("analyze", str(capture), "--geoip", "junk.mmdb", "--db", "t.db",
                        cwd=d), "junk.mmdb", "MaxMind DB")
