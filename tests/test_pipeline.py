import pytest

from trafficscope.detection.mask import mask
from trafficscope.pipeline import safe_url


@pytest.mark.parametrize(("url", "masked", "expected"), [
    ("https://a.example/x?imei=1#frag", (), "https://a.example/x"),       # query dropped
    ("https://user:pw@a.example:8443/p", (), "https://a.example:8443/p"),  # credentials dropped
    ("https://a.example/v1/490154203237518/t", (1,),
     "https://a.example/v1/" + mask("490154203237518") + "/t"),
    ("https://a.example//v1//x", (1,), "https://a.example//v1//" + mask("x")),  # empty segments
    (None, (), None),
])
def test_safe_url(url: str | None, masked: tuple[int, ...], expected: str | None) -> None:
    assert safe_url(url, masked) == expected


def test_same_attribution_on_findings_and_destination_only_flows(tmp_path) -> None:
    import sqlite3

    from trafficscope.model import Flow
    from trafficscope.pipeline import Analyzer
    from trafficscope.store import Store

    flows = [
        # a TLS connection seen only by its server name: no request, no findings
        Flow(flow_id="t1", ts=1.0, source="pcap", kind="tls", host="android.bugly.qq.com",
             server_ip="183.3.235.111", server_port=443),
        Flow(flow_id="t2", ts=2.0, source="pcap", kind="tls", host="api.shoppingmall.example",
             server_ip="10.0.0.5", server_port=443),
        # an HTTP request carrying an email address, found by pattern
        Flow(flow_id="h1", ts=3.0, source="har", kind="http", host="ulogs.umeng.com",
             method="GET", url="https://ulogs.umeng.com/u?email=jane.doe.test%40example.org",
             server_ip="106.11.86.22"),
    ]
    with Store(tmp_path / "s.db") as store:
        analyzer = Analyzer(store, profile=None, source="files",
                            app="example.shoppingmall.android")
        findings = [f for flow in flows for f in analyzer.process(flow)]
        store.commit()
    assert findings and all(
        (f.domain, f.owner, f.category, f.party, f.country)
        == ("umeng.com", "Alibaba", "analytics", "third", "CN") for f in findings)
    rows = sqlite3.connect(tmp_path / "s.db").execute(
        "SELECT flow_id, domain, owner, category, party, country FROM flows ORDER BY ts"
    ).fetchall()
    assert rows == [
        ("t1", "qq.com", "Tencent", "crash-reporting", "third", "CN"),
        ("t2", "shoppingmall.example", None, "first-party-api", "first", None),  # private IP
        ("h1", "umeng.com", "Alibaba", "analytics", "third", "CN"),
    ]
    s = analyzer.summary
    assert s.recipients["umeng.com"].owner == "Alibaba"
    assert s.server_countries == {"umeng.com": {"CN"}}
    assert s.geoip is not None and "GeoLite2-Country" in s.geoip[0]
    with Store(tmp_path / "s.db") as store:
        assert store.session_geoip() == s.geoip     # kept with the session, for reports


def test_flows_are_scanned_in_bounded_batches_and_kept_on_a_read_error(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trafficscope import pipeline
    from trafficscope.errors import ReadError
    from trafficscope.model import Flow
    from trafficscope.pipeline import Analyzer
    from trafficscope.store import Store

    def flows(n: int, body: bytes = b""):
        for i in range(n):
            yield Flow(flow_id=f"f{i}", ts=float(i), source="har", kind="http",
                       host="ulogs.umeng.com", method="POST", url=f"https://ulogs.umeng.com/u?i={i}",
                       request_body=body or f"email=user{i}@example.org".encode())

    def broken(n: int):
        yield from flows(n)
        raise ReadError("cap.pcap", "truncated")

    with Store(tmp_path / "s.db") as store:
        analyzer = Analyzer(store, profile=None, source="files")
        sizes: list[int] = []
        scan_many = analyzer.scanner.scan_many
        monkeypatch.setattr(analyzer.scanner, "scan_many",
                            lambda fl: sizes.append(len(fl)) or scan_many(fl))
        monkeypatch.setattr(pipeline, "SCAN_FLOWS", 4)
        got = list(analyzer.scanned(flows(10)))
        assert [f.flow_id for f, _ in got] == [f"f{i}" for i in range(10)]
        assert [{d.value for d in dets} for _, dets in got] == [
            {f"user{i}@example.org"} for i in range(10)]
        assert sizes == [4, 4, 2]
        # what was read before a damaged record is scanned and given, then the error
        sizes.clear()
        seen = []
        with pytest.raises(ReadError, match="truncated"):
            for flow, _ in analyzer.scanned(broken(6)):
                seen.append(flow.flow_id)
        assert seen == [f"f{i}" for i in range(6)] and sizes == [4, 2]
        # big bodies close a batch early, so its memory stays bounded: each flow holds
        # 1,000 bytes of body and the same as a field value, so two pass 3,000
        sizes.clear()
        monkeypatch.setattr(pipeline, "SCAN_BYTES", 3000)
        assert len(list(analyzer.scanned(flows(5, body=b"x" * 1000)))) == 5
        assert sizes == [2, 2, 1]
