"""The report as a reader sees it: real CLI, real SQLite, real headless Chromium."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, Visit
from .payloads import payloads

IMEI = "490154203237518"
PROFILE = f'[device]\nimei = "{IMEI}"\n[owner]\nemail = "jane.doe.test@example.org"\n'

#: Every element the report itself uses; anything else was injected.
REPORT_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section",
    "p", "h1", "h2", "span", "strong", "ul", "li", "figure", "img", "figcaption", "a", "div",
    "table", "thead", "tbody", "tr", "th", "td", "button", "dl", "dt", "dd", "code", "br",
    "script",
}

INSPECT = """() => {
  const all = Array.from(document.querySelectorAll('*'));
  return {
    xss: window.__xss === undefined ? null : String(window.__xss),
    pwn: document.querySelectorAll('x-pwn').length,
    tags: Array.from(new Set(all.map(e => e.localName))),
    on_attrs: all.flatMap(e => Array.from(e.attributes).map(a => a.name))
                 .filter(n => n.startsWith('on')),
    scripts: document.scripts.length,
    imgs: Array.from(document.querySelectorAll('figure.chart img')).map(
        i => [i.closest('figure').id, i.complete && i.naturalWidth > 0]),
    text: document.body.innerText,
    data: JSON.parse(document.getElementById('report-data').textContent),
  };
}"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def inspect(v: Visit) -> dict[str, Any]:
    return dict(v.page.evaluate(INSPECT))


def assert_inert(v: Visit) -> dict[str, Any]:
    """Nothing ran, nothing was injected, nothing was fetched, the console is clean."""
    seen = inspect(v)
    assert seen["xss"] is None, f"payload {seen['xss']} executed"
    assert seen["pwn"] == 0
    assert set(seen["tags"]) <= REPORT_TAGS, set(seen["tags"]) - REPORT_TAGS
    assert seen["on_attrs"] == []
    assert seen["scripts"] == 2  # the JSON data block and the table sorter
    assert v.problems == []
    assert all(u.startswith(("file://", "data:")) for u in v.requests), v.requests
    return seen


def test_demo_report_in_chromium(tmp_path: Path, visit: Any) -> None:
    r = run("demo", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    records = [json.loads(x) for x in (out / "findings.jsonl").read_text().splitlines()]
    v = visit(out / "index.html")
    seen = assert_inert(v)
    # every chart is there and decoded (an image blocked by the CSP has no width)
    charts = dict(seen["imgs"])
    assert set(charts) >= {"chart-flow", "chart-entities_by_recipient", "chart-recipients",
                           "chart-timeline", "chart-encodings"}
    assert all(charts.values()), charts
    for name in charts:
        stem = name.removeprefix("chart-")
        assert (out / "charts" / f"{stem}.png").stat().st_size > 1000
        assert (out / "charts" / f"{stem}.svg").read_bytes().startswith(b"<?xml")
    # the table holds every finding, hides values, and sorts
    rows = v.page.locator("#findings-table tbody tr")
    assert rows.count() == len(records)
    assert IMEI[:2] + "*" not in seen["text"]  # not even the partly masked value
    assert "umeng.com" in seen["text"] and "content.header.imei" in seen["text"]
    first_col = "#findings-table tbody tr td:nth-child(2)"
    v.page.click("#findings-table th:nth-child(2) button")
    shown = [t.strip().lower() for t in v.page.locator(first_col).all_inner_texts()]
    assert shown == sorted(shown) and len(set(shown)) > 3
    v.page.click("#findings-table th:nth-child(2) button")
    shown = [t.strip().lower() for t in v.page.locator(first_col).all_inner_texts()]
    assert shown == sorted(shown, reverse=True)
    assert v.page.get_attribute("#findings-table th:nth-child(2)", "aria-sort") == "descending"
    # plain-language summary and the destination-only flows
    # an organisation is the owner where attribution knows it, else the domain
    orgs = {r["owner"] or r["domain"]: r["party"] for r in records}
    kinds = {r["pii_type"] for r in records}
    third = sum(p == "third" for p in orgs.values())
    assert (f"sent {len(kinds)} kinds of personal data to {len(orgs)} organisations, "
            f"{third} of them third") in seen["text"]
    imei_orgs = {r["owner"] or r["domain"] for r in records if r["pii_type"] == "IMEI"}
    assert (f"The app sent the IMEI (phone serial number) to {len(imei_orgs)} organisations"
            in seen["text"])
    assert v.page.locator("#quiet-table tbody tr").count() == 3
    assert seen["data"]["findings"] == len(records)
    assert v.problems == []
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "demo-report.png"), full_page=True)


def _entry(url: str, *, headers: list[dict[str, str]], body: dict[str, Any] | None,
           cookies: list[dict[str, str]], ip: str, n: int) -> dict[str, Any]:
    req: dict[str, Any] = {"method": "POST" if body else "GET", "url": url,
                           "httpVersion": "HTTP/1.1", "headers": headers,
                           "queryString": [], "cookies": cookies}
    if body is not None:
        req["postData"] = {"mimeType": "application/json", "text": json.dumps(body)}
        headers.append({"name": "Content-Type", "value": "application/json"})
    return {"startedDateTime": f"2025-11-23T12:{n // 60:02d}:{n % 60:02d}.000Z",
            "serverIPAddress": ip, "request": req, "response": {"status": 200, "headers": []}}


def hostile_har(path: Path) -> list[str]:
    """A capture that carries every payload in a host, path, header, query, JSON or cookie."""
    ps = payloads()
    entries = []
    for i, p in enumerate(ps):
        place = i % 6
        host_safe = "".join(ch for ch in p if ch not in "/\\:@?#%[] \t\u2028\u2029")
        host = f"{host_safe}.evil{i}.example" if place == 0 else f"t{i}.tracker.example"
        path_part = p.replace("?", "").replace("#", "") if place == 1 else "collect"
        headers = [{"name": "X-Note", "value": p}, {"name": "User-Agent", "value": p}]
        cookies: list[dict[str, str]] = []
        query = f"imei={IMEI}"
        body: dict[str, Any] | None = {"note": p, "nested": {p: "v"}}
        if place == 2:
            headers.append({"name": p, "value": IMEI})
        elif place == 3:
            query = "x=1"
            body = {"q": 1}
            path_part += "?"  # keep the query below
        elif place == 4:
            body = {"device": {p: IMEI}, "list": [p]}
            query = "x=1"
        elif place == 5:
            cookies = [{"name": p, "value": IMEI}]
            headers.append({"name": "Cookie", "value": f"{p}={IMEI}"})
        url = f"https://{host}/v1/{path_part}"
        url += (f"&{p}={IMEI}" if place == 3 else "") if "?" in url else f"?{query}"
        entries.append(_entry(url, headers=headers, body=body, cookies=cookies,
                              ip=p if i % 10 == 7 else f"198.51.100.{i}", n=i))
    # one destination-only flow with a hostile host and path
    entries.append(_entry(f"https://quiet.{ps[9]}.example/{ps[0]}", headers=[], body=None,
                          cookies=[], ip="203.0.113.9", n=59))
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return ps


def test_xss_payloads_stay_text(tmp_path: Path, visit: Any) -> None:
    ps = hostile_har(tmp_path / "hostile.har")
    (tmp_path / "phone.toml").write_text(PROFILE)
    app = ps[0]  # the app id reaches the title, the headline and the charts
    r = run("analyze", "hostile.har", "--profile", "phone.toml", "--app", app, "--db", "h.db",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(tmp_path / "h.db")
    sid = con.execute("SELECT id FROM sessions").fetchone()[0]
    n_findings = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    assert n_findings >= 50
    # marks with hostile names, consent among them
    con.executemany("INSERT INTO marks (session, ts, name) VALUES (?, ?, ?)",
                    [(sid, 1763899230.0, "consent " + ps[1]), (sid, 1763899240.0, ps[2])])
    con.commit()
    con.close()
    r = run("report", "--db", "h.db", "-o", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    v = visit(tmp_path / "rep" / "index.html")
    seen = assert_inert(v)
    # the payloads reached the page, as text
    text = seen["text"]
    shown = [p for p in ps if p in text or p.lower() in text]
    assert len(shown) >= 30, len(shown)
    keys = {row[0] for row in sqlite3.connect(tmp_path / "h.db").execute(
        "SELECT key FROM findings")}
    for key in keys:
        assert key in text
    assert seen["data"]["app"] == app
    assert "before consent" in text and ps[2] in text
    assert len(seen["imgs"]) >= 5 and all(ok for _, ok in seen["imgs"])
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "xss-report.png"), full_page=False)


def test_detector_catches_an_unescaped_payload(tmp_path: Path, visit: Any) -> None:
    """Control: the same checks do fail on a page that lets the payloads through."""
    page = tmp_path / "raw.html"
    page.write_text("<!DOCTYPE html><html><body>" + "".join(payloads()[:12]) + "</body></html>")
    v = visit(page)
    seen = inspect_raw(v)
    assert seen["xss"] is not None and seen["pwn"] > 0


def inspect_raw(v: Visit) -> dict[str, Any]:
    return dict(v.page.evaluate(
        "() => ({xss: window.__xss === undefined ? null : String(window.__xss),"
        " pwn: document.querySelectorAll('x-pwn').length})"))


@pytest.mark.parametrize("entries, says", [
    ([], "This session holds no traffic"),
    ([{"startedDateTime": "2025-11-23T12:00:00.000Z",
       "request": {"method": "GET", "url": "https://cdn.example/logo.png", "headers": [],
                   "httpVersion": "HTTP/1.1", "queryString": [], "cookies": []},
       "response": {"status": 200, "headers": []}}],
     "No personal data was found in the 1 request of this session"),
], ids=["no-flows", "no-findings"])
def test_empty_session_says_so(tmp_path: Path, visit: Any, entries: list[Any],
                               says: str) -> None:
    (tmp_path / "e.har").write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    assert run("analyze", "e.har", "--db", "e.db", cwd=tmp_path).returncode == 0
    r = run("report", "--db", "e.db", "-o", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    v = visit(tmp_path / "rep" / "index.html")
    seen = assert_inert(v)
    assert says in v.page.inner_text("#empty-note")
    assert seen["imgs"] == [] and not list((tmp_path / "rep" / "charts").iterdir())
    assert v.page.locator("#findings-table").count() == 0
    assert (tmp_path / "rep" / "findings.csv").read_text().startswith("session,flow_id")


def test_print_layout(tmp_path: Path, visit: Any) -> None:
    """Printed (PDF), the report keeps its charts and drops the sort arrows."""
    assert run("demo", "-o", "out", cwd=tmp_path).returncode == 0
    v = visit(tmp_path / "out" / "index.html")
    v.page.emulate_media(media="print")
    arrow = v.page.evaluate(
        "() => getComputedStyle(document.querySelector('th button'), '::after').display")
    assert arrow == "none"
    pdf = v.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 4
    assert v.problems == []


def test_report_of_real_captures(corpus_dir: Path, tmp_path: Path, visit: Any) -> None:
    """Public mitmproxy/HAR test captures (some broken on purpose) give a clean report."""
    r = run("analyze", str(corpus_dir / "mitmproxy"), "--db", "c.db", cwd=tmp_path)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr
    r = run("report", "--db", "c.db", "-o", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    v = visit(tmp_path / "rep" / "index.html")
    assert_inert(v)
    n_flows = sqlite3.connect(tmp_path / "c.db").execute("SELECT count(*) FROM flows").fetchone()
    assert f"in {n_flows[0]} requests" in v.page.inner_text("#headline")


OWNERS = {"umeng.com": ("Alibaba", "CN"), "jpush.cn": ("Aurora Mobile", "CN"),
          "doubleclick.net": ("Google", "US"), "app-measurement.com": ("Google", "US"),
          "facebook.com": ("Meta", "US"), "qq.com": ("Tencent", "CN"),
          "sentry.io": ("Functional Software", "US"), "getui.com": ("Getui", "CN"),
          "pangolin-sdk-toutiao.com": ("ByteDance", "CN")}


def test_attributed_session_with_consent(tmp_path: Path, visit: Any) -> None:
    """Owners, countries and a consent mark (from other issues' tables) show up."""
    assert run("demo", "-o", "out", cwd=tmp_path).returncode == 0
    db = tmp_path / "out" / "trafficscope.db"
    con = sqlite3.connect(db)
    for domain, (owner, country) in OWNERS.items():
        con.execute("UPDATE findings SET owner=?, country=? WHERE domain=?",
                    (owner, country, domain))
    (sid, t0) = con.execute("SELECT session, min(ts) FROM flows").fetchone()
    con.execute("INSERT INTO marks (session, ts, name) VALUES (?, ?, 'consent given')",
                (sid, t0 + 60))
    con.commit()
    con.close()
    r = run("report", "--db", str(db), "-o", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    v = visit(tmp_path / "rep" / "index.html")
    seen = assert_inert(v)
    assert "chart-countries" in dict(seen["imgs"])
    # Google owns two domains: one organisation; the app's own domain has no owner
    text = " ".join(seen["text"].split())
    assert ("The app sent the advertising ID to 3 organisations in 2 countries, "
            "1 of them before consent: Google, Meta, ByteDance.") in text
    assert ("The app sent the IMEI (phone serial number) to 6 organisations in 1 country, "
            "2 of them before consent: Alibaba, shoppingmall.example, Aurora Mobile, Tencent "
            "and 2 more.") in text
    assert "Consent was recorded at 1:00" in seen["text"]
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "attributed-report.png"), full_page=True)
