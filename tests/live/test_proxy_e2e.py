"""`trafficscope proxy` as a user runs it: a real mitmdump on loopback, a real
client trusting the CA of the test's own confdir, a real upstream server."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import sqlite3
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trafficscope.detection.mask import value_sha256
from trafficscope.profile import load_profile
from trafficscope.sources.mitmflow import read_flow_file
from trafficscope.store import Store
from trafficscope.substitute import Substituter, fakes

pytestmark = pytest.mark.mitmproxy

IMEI, EMAIL = "490154203237518", "jane.doe.test@example.org"
REPO = Path(__file__).resolve().parents[2]


def http_request(proxy_port: int, upstream_port: int, method: str, path: str,
                 body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=30)
    conn.request(method, f"http://127.0.0.1:{upstream_port}{path}", body=body,
                 headers=headers or {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def https_request(proxy_port: int, upstream_port: int, confdir: Path, method: str, path: str,
                  body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
    ctx = ssl.create_default_context(cafile=str(confdir / "mitmproxy-ca-cert.pem"))
    conn = http.client.HTTPSConnection("127.0.0.1", proxy_port, timeout=30, context=ctx)
    conn.set_tunnel("127.0.0.1", upstream_port)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def findings(db: Path) -> list[dict[str, Any]]:
    with Store(db, create=False) as store:
        return list(store.iter_findings_consent(store.latest_session_of("proxy")))


def count_flows(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute("SELECT count(*) FROM flows").fetchone()[0])


def test_http_and_https_leaks_stored_and_shown_live(
        tmp_path: Path, run_proxy: Callable[..., Any], upstream: Any, upstream_tls: Any,
        profile_file: Path) -> None:
    db = tmp_path / "live.db"
    proxy = run_proxy(db, "--profile", str(profile_file))
    assert "mitm.it" in "".join(proxy.output)  # setup steps were printed first
    assert http_request(proxy.port, upstream.port, "GET", f"/collect?imei={IMEI}&v=2",
                        headers={"User-Agent": "com.example.shop/4.2 (Linux; Android 14)"}) == 200
    assert https_request(proxy.port, upstream_tls.port, proxy.confdir, "POST", "/v1/profile",
                         body=json.dumps({"user": {"mail": EMAIL}}).encode(),
                         headers={"Content-Type": "application/json",
                                  "X-Requested-With": "com.example.shop"}) == 200
    lines = proxy.wait_lines(" -> 127.0.0.1 ", 2)
    assert "IMEI" in lines[0] and "query:imei" in lines[0] and "com.example.shop" in lines[0]
    assert "EMAIL" in lines[1] and "body:user.mail" in lines[1] and "[json]" in lines[1]
    assert "2 leaks in 2 flows" in lines[1]
    assert IMEI not in "".join(proxy.output) and EMAIL not in "".join(proxy.output)
    got = {(f["pii_type"], f["location"], f["key"], f["method"], f["source"], f["app"])
           for f in findings(db)}
    assert got == {("IMEI", "query", "imei", "GET", "proxy", "com.example.shop"),
                   ("EMAIL", "body", "user.mail", "POST", "proxy", "com.example.shop")}
    urls = {f["url"] for f in findings(db)}
    assert f"https://127.0.0.1:{upstream_tls.port}/v1/profile" in urls
    assert upstream.seen and upstream_tls.seen
    for path in (db, Path(f"{db}-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_kill9_keeps_completed_flows_and_restart_continues(
        tmp_path: Path, run_proxy: Callable[..., Any], upstream: Any,
        profile_file: Path) -> None:
    db = tmp_path / "k.db"
    n = 25
    proxy = run_proxy(db, "--profile", str(profile_file))
    for i in range(n):
        assert http_request(proxy.port, upstream.port, "POST", f"/e/{i}",
                            body=f"imei={IMEI}&i={i}".encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"}) == 200
    workers = proxy.children()
    assert workers, "the addon's worker process is running"
    proxy.proc.send_signal(signal.SIGKILL)
    proxy.proc.wait(timeout=10)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "worker ends once the proxy is gone"
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert count_flows(db) == n
    first = findings(db)
    assert len(first) == n and {f["pii_type"] for f in first} == {"IMEI"}
    session = first[0]["session"]

    again = run_proxy(db, "--profile", str(profile_file), "--session", "latest")
    assert http_request(again.port, upstream.port, "GET", f"/again?imei={IMEI}") == 200
    again.wait_lines("IMEI", 1)
    again.stop()
    after = findings(db)
    assert len(after) == n + 1 and {f["session"] for f in after} == {session}


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text.rsplit(")", 1)[1].split()[0] != "Z"


def test_consent_mark_from_the_cli_labels_findings(
        tmp_path: Path, run_proxy: Callable[..., Any], upstream: Any,
        profile_file: Path) -> None:
    db = tmp_path / "m.db"
    proxy = run_proxy(db, "--profile", str(profile_file))
    assert http_request(proxy.port, upstream.port, "GET", f"/before?imei={IMEI}") == 200
    proxy.wait_lines("IMEI", 1)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "trafficscope", "mark", "consent",
                           "--db", str(db)], capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "marked 'consent'" in done.stdout
    time.sleep(0.05)
    assert http_request(proxy.port, upstream.port, "GET", f"/after?imei={IMEI}") == 200
    assert http_request(proxy.port, upstream.port, "GET", f"/later?imei={IMEI}") == 200
    before, after, later = proxy.wait_lines("IMEI", 3)
    proxy.stop()
    labelled = [(f["url"].rsplit("/", 1)[1], f["pre_consent"]) for f in findings(db)]
    assert labelled == [("before", True), ("after", False), ("later", False)]
    # the live lines say the same: the worker noticed the mark another process wrote
    assert "  pre-consent  |" in before and before.rstrip().endswith(", 1 pre-consent")
    assert "  pre-consent  |" not in after and after.rstrip().endswith(", 1 pre-consent")
    assert "  pre-consent  |" not in later and "3 leaks in 3 flows, 1 pre-consent" in later


def test_substitute_upstream_sees_only_fakes(
        tmp_path: Path, run_proxy: Callable[..., Any], upstream: Any, upstream_tls: Any,
        profile_file: Path) -> None:
    db = tmp_path / "s.db"
    saved = tmp_path / "flows.mitm"  # mitmproxy's own saving still works beside the addon
    proxy = run_proxy(db, "--profile", str(profile_file), "--substitute",
                      "--set", f"save_stream_file={saved}")
    packed = base64.b64encode(json.dumps({"imei": IMEI, "mail": EMAIL}).encode()).decode()
    form = f"d={json.dumps({'imei': IMEI})}&mail={EMAIL}".replace('"', "%22").replace(
        "@", "%40").replace(" ", "+")
    assert http_request(proxy.port, upstream.port, "GET",
                        f"/u/{EMAIL}/c?imei={IMEI}&mac=02-1A-11-F0-C3-7E",
                        headers={"X-Blob": packed, "Cookie": "phone=8613812345678"}) == 200
    assert https_request(proxy.port, upstream_tls.port, proxy.confdir, "POST", "/f",
                         body=form.encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"}) == 200
    proxy.wait_lines(" -> 127.0.0.1 ", 6)
    proxy.stop()
    seen = upstream.seen_text() + upstream_tls.seen_text()
    for real in (IMEI, EMAIL, "jane.doe.test%40example.org", "02-1A-11-F0-C3-7E",
                 "8613812345678", packed):
        assert real not in seen
    with Store(db, create=False) as store:
        session = store.latest_session_of("proxy")
        subs = store.substitutions(session)
        stored = list(store.iter_findings(session))
    sub = Substituter(load_profile(profile_file), seed=str(session))
    expected = dict(fakes(sub))
    assert expected[IMEI] in seen and expected[EMAIL] in seen
    assert expected["02-1a-11-f0-c3-7e"].upper() in seen
    decoded = [json.loads(base64.b64decode(line.split(": ", 1)[1]))
               for line in seen.splitlines() if line.lower().startswith("x-blob:")]
    assert decoded == [{"imei": expected[IMEI], "mail": expected[EMAIL]}]
    got = {(s["pii_type"], s["location"], tuple(s["encoding"])) for s in subs}
    assert {("IMEI", "query", ()), ("EMAIL", "path", ()), ("MAC", "query", ()),
            ("IMEI", "header", ("base64",)), ("EMAIL", "header", ("base64",)),
            ("PHONE", "cookie", ()), ("IMEI", "body", ("percent",)),
            ("EMAIL", "body", ("percent",))} <= got
    assert all(IMEI not in json.dumps(s) and EMAIL not in json.dumps(s) for s in subs)
    sent = list(read_flow_file(saved))
    assert len(sent) == 2 and IMEI not in (sent[0].url or "")  # the file has what left
    # The store keeps what the app tried to send: findings of the real values.
    assert value_sha256(IMEI) in {f["value_sha256"] for f in stored}
    assert value_sha256(EMAIL) in {f["value_sha256"] for f in stored}


def test_wireguard_mode_prints_the_client_config_as_qr(
        tmp_path: Path, run_proxy: Callable[..., Any]) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        wg_port = s.getsockname()[1]
    proxy = run_proxy(tmp_path / "wg.db", "--mode", "regular", "--mode",
                      f"wireguard@{wg_port}")
    proxy.wait_lines(f"Endpoint = 127.0.0.1:{wg_port}", 1)
    out = "".join(proxy.output)
    assert "WireGuard app" in out and "scan with the WireGuard app" in out
    assert "[Interface]" in out and "PrivateKey = " in out
    assert sum(line.count("█") > 10 for line in proxy.output) > 10  # the QR code's rows


def test_proxy_login_is_enforced(tmp_path: Path, run_proxy: Callable[..., Any],
                                 upstream: Any) -> None:
    proxy = run_proxy(tmp_path / "a.db", "--proxyauth", "phone:s3cret-pass")
    assert "password s3cret-pass" in "".join(proxy.output)
    assert http_request(proxy.port, upstream.port, "GET", "/x") == 407
    token = base64.b64encode(b"phone:s3cret-pass").decode()
    assert http_request(proxy.port, upstream.port, "GET", "/x",
                        headers={"Proxy-Authorization": f"Basic {token}"}) == 200
    assert len(upstream.seen) == 1
