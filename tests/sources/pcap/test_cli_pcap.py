"""`trafficscope analyze` on a crafted pcapng: a real subprocess, real SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fixtures import pcaps

PROFILE = """
[device]
imei = "490154203237518"
wifi_mac = "02:1a:11:f0:c3:7e"
[owner]
email = "jane@example.org"
"""


def test_analyze_pcapng_finds_values_in_http_dhcp_and_stores_destinations(
        tmp_path: Path) -> None:
    pkts = [pcaps.dhcp_request(), *pcaps.dns_exchange("api.example.com"),
            *pcaps.tcp_session(segments=3),
            *pcaps.tcp_session(pcaps.tls_record(pcaps.client_hello("ads.example.net")),
                               dport=443, sport=40002, dst="198.51.100.9")]
    capture = pcaps.write_pcapng(tmp_path / "phone.pcapng", pcaps.ether(pkts))
    (tmp_path / "p.toml").write_text(PROFILE)
    db = tmp_path / "t.db"
    proc = subprocess.run(
        [sys.executable, "-m", "trafficscope", "analyze", str(capture), "--profile",
         str(tmp_path / "p.toml"), "--db", str(db), "--jsonl", "-"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = {(r["pii_type"], r["location"], r["kind"], r["host"])
             for r in map(json.loads, proc.stdout.splitlines())}
    assert ("IMEI", "query", "http", "api.example.com") in found
    assert ("EMAIL", "body", "http", "api.example.com") in found
    assert ("MAC", "dhcp", "dhcp", "dhcp") in found
    assert not any(host == "255.255.255.255" for *_, host in found)
    assert "490154203237518" not in proc.stdout + proc.stderr
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT kind, host, server_ip, server_port, bytes_out, notes, ts, "
                           "ts_end FROM flows WHERE kind = 'tls'").fetchall()
    assert len(rows) == 1
    _kind, host, ip, port, out, notes, ts, ts_end = rows[0]
    assert (host, ip, port) == ("ads.example.net", "198.51.100.9", 443)
    assert out > 0 and "tls-no-keys" in json.loads(notes) and ts_end > ts
