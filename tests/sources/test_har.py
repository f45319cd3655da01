"""read_har: real exports from browsers and proxies, and HAR files written here."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.har import MAX_BODY, flow_from_entry, read_har

TS = "2024-05-01T12:00:00.000Z"
TS_EPOCH = datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp()


def entry(**request: Any) -> dict[str, Any]:
    """A minimal HAR entry; keyword arguments override request fields."""
    req: dict[str, Any] = {"method": "POST", "url": "https://api.example.com/v1/t"}
    req.update(request)
    return {"startedDateTime": TS, "request": req, "response": {"status": 200}}


def write_har(tmp_path: Path, entries: list[Any], name: str = "t.har") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


def read_all(path: Path) -> list[Flow]:
    return list(read_har(path))


# -- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "creator_host"),
    [
        ("har_files__chrome.har", 3, "mitmproxy.org"),
        ("har_files__firefox.har", 14, "mitmproxy.org"),
        ("har_files__safari.har", 19, "mitmproxy.org"),
        ("har_files__charles.har", 1, "mitmproxy.org"),
        ("har_files__insomnia.har", 1, "mitm.it"),
        ("har_files__with-bom.har", 1, "signal-metrics-collector-beta.s-onetag.com"),
        ("flows__compressed.zhar", 2, "example.com"),  # zlib, as mitmproxy writes .zhar
    ],
)
def test_corpus_exports_read(corpus_dir: Path, name: str, count: int, creator_host: str) -> None:
    path = corpus_dir / "mitmproxy" / name
    flows = read_all(path)
    assert len(flows) == count
    first = flows[0]
    assert first.host == creator_host
    assert first.source == "har"
    assert first.flow_id == f"{path.stem}:0"
    assert first.input_file == str(path)
    assert first.method in {"GET", "POST"}
    assert first.ts > 1.6e9
    assert len({f.flow_id for f in flows}) == count


def test_chrome_values(corpus_dir: Path) -> None:
    flows = read_all(corpus_dir / "mitmproxy" / "har_files__chrome.har")
    first = flows[0]
    assert first.url == "https://mitmproxy.org/"
    assert first.http_version == "HTTP/2.0"  # Chrome writes "http/2.0"
    assert first.server_ip == "108.138.246.80"
    assert first.server_port == 443
    assert first.status == 304
    assert first.ts == datetime(2023, 3, 30, 0, 0, 54, 250000, tzinfo=UTC).timestamp()
    assert not any(k.startswith(":") for k, _ in first.request_headers)  # pseudo-headers
    assert flows[1].server_ip is None  # serverIPAddress ""
    assert flows[2].http_version == "HTTP/3"  # "h3"


def test_firefox_and_charles_values(corpus_dir: Path) -> None:
    firefox = read_all(corpus_dir / "mitmproxy" / "har_files__firefox.har")
    assert firefox[0].http_version == "HTTP/3"
    assert firefox[0].server_ip == "13.35.121.55"
    assert firefox[0].ts == datetime(2023, 3, 29, 23, 58, 59, 303000, tzinfo=UTC).timestamp()
    assert firefox[11].host == "s3-us-west-2.amazonaws.com"
    charles = read_all(corpus_dir / "mitmproxy" / "har_files__charles.har")[0]
    assert charles.header("User-Agent") == "Charles/4.6.3"
    assert charles.bytes_out == 68  # headersSize 68 + bodySize 0


def test_postdata_gives_request_body(corpus_dir: Path) -> None:
    (flow,) = read_all(corpus_dir / "mitmproxy" / "har_files__postdata.har")
    assert flow.method == "POST"
    assert flow.request_body.startswith(b'{"metadata":{"pageViewId":1689428126308')
    assert len(flow.request_body) == 1310
    assert flow.header("content-type") == "text/plain;charset=UTF-8"


def test_bom_har_matches_plain_one(corpus_dir: Path) -> None:
    (bom,) = read_all(corpus_dir / "mitmproxy" / "har_files__with-bom.har")
    (plain,) = read_all(corpus_dir / "mitmproxy" / "har_files__postdata.har")
    assert bom.request_body == plain.request_body


def test_websocket_har_gives_messages(corpus_dir: Path) -> None:
    flows = read_all(corpus_dir / "mitmproxy" / "flows__websocket.har")
    last = flows[2]
    assert last.kind == "websocket"
    assert [(m.from_client, m.content) for m in last.messages] == [
        (False, b'{"error":"Unknown api key"}'), (True, b"foo"), (True, b"bar"),
    ]
    assert last.messages[1].ts == pytest.approx(1693314240.7948081)


def test_broken_har_names_the_file(corpus_dir: Path) -> None:
    path = corpus_dir / "mitmproxy" / "corrupted_har__brokenfile.har"
    with pytest.raises(ReadError) as info:
        read_all(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert "not a HAR file" in info.value.reason


def test_har_nested_under_another_key_is_refused(corpus_dir: Path) -> None:
    with pytest.raises(ReadError, match=r"JSON without log\.entries"):
        read_all(corpus_dir / "mitmproxy" / "har_extractor.har")


# -- written here ----------------------------------------------------------------------------


def test_params_rebuild_urlencoded_body(tmp_path: Path) -> None:
    post = {"mimeType": "application/x-www-form-urlencoded",
            "params": [{"name": "email", "value": "a b@example.org"}, {"name": "x", "value": "1"}]}
    (flow,) = read_all(write_har(tmp_path, [entry(postData=post)]))
    assert flow.request_body == b"email=a+b%40example.org&x=1"
    assert flow.header("content-type") == "application/x-www-form-urlencoded"


def test_params_without_mime_get_a_content_type(tmp_path: Path) -> None:
    (flow,) = read_all(write_har(tmp_path, [entry(postData={"params": [{"name": "k"}]})]))
    assert flow.request_body == b"k="
    assert flow.header("content-type") == "application/x-www-form-urlencoded"


def test_params_rebuild_multipart_body(tmp_path: Path) -> None:
    post = {"mimeType": "multipart/form-data; boundary=XyZ",
            "params": [{"name": "imei", "value": "490154203237518"},
                       {"name": "f", "value": "data", "fileName": "a.txt",
                        "contentType": "text/plain"}]}
    headers = [{"name": "Content-Type", "value": "multipart/form-data; boundary=XyZ"}]
    (flow,) = read_all(write_har(tmp_path, [entry(postData=post, headers=headers)]))
    assert flow.request_body == (
        b'--XyZ\r\nContent-Disposition: form-data; name="imei"\r\n\r\n490154203237518\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\ndata\r\n--XyZ--\r\n"
    )
    assert [k for k, _ in flow.request_headers] == ["Content-Type"]  # none added


def test_text_wins_over_params(tmp_path: Path) -> None:
    post = {"mimeType": "application/x-www-form-urlencoded", "text": "a=1&b=2",
            "params": [{"name": "a", "value": "1"}]}
    (flow,) = read_all(write_har(tmp_path, [entry(postData=post)]))
    assert flow.request_body == b"a=1&b=2"


def test_base64_post_data(tmp_path: Path) -> None:
    raw = gzip.compress(b'{"imei":"490154203237518"}')
    post = {"mimeType": "application/json", "encoding": "base64",
            "text": base64.b64encode(raw).decode()}
    (flow,) = read_all(write_har(tmp_path, [entry(postData=post)]))
    assert flow.request_body == raw


def test_bad_base64_keeps_text_and_notes_it(tmp_path: Path) -> None:
    post = {"encoding": "base64", "text": "abc"}
    (flow,) = read_all(write_har(tmp_path, [entry(postData=post)]))
    assert flow.request_body == b"abc"
    assert "body-encoding-invalid" in flow.notes


def test_absent_optional_fields(tmp_path: Path) -> None:
    bare = {"request": {"url": "http://example.com:8080/x"}}
    (flow,) = read_all(write_har(tmp_path, [bare]))
    assert (flow.host, flow.server_port, flow.method, flow.status) == ("example.com", 8080, None,
                                                                       None)
    assert (flow.http_version, flow.server_ip, flow.request_body) == (None, None, b"")
    assert flow.ts == 0.0 and "no-timestamp" in flow.notes


@pytest.mark.parametrize(
    ("version", "expected"),
    [("h3", "HTTP/3"), ("HTTP/3", "HTTP/3"), ("http/2.0", "HTTP/2.0"), ("h2", "HTTP/2.0"),
     ("HTTP/1.1", "HTTP/1.1"), ("spdy/3", "spdy/3"), ("", None)],
)
def test_http_version_spellings(tmp_path: Path, version: str, expected: str | None) -> None:
    (flow,) = read_all(write_har(tmp_path, [entry(httpVersion=version)]))
    assert flow.http_version == expected


def test_cookies_array_becomes_cookie_header(tmp_path: Path) -> None:
    cookies = [{"name": "uid", "value": "42"}, {"name": "ad", "value": "x y"}, {"value": "no"}]
    (flow,) = read_all(write_har(tmp_path, [entry(cookies=cookies)]))
    assert flow.header("cookie") == "uid=42; ad=x y"


def test_cookie_header_is_not_doubled(tmp_path: Path) -> None:
    headers = [{"name": "cookie", "value": "uid=42"}]
    cookies = [{"name": "uid", "value": "42"}]
    (flow,) = read_all(write_har(tmp_path, [entry(cookies=cookies, headers=headers)]))
    assert flow.request_headers == (("cookie", "uid=42"),)


def test_authority_gives_host_when_url_lacks_one(tmp_path: Path) -> None:
    headers = [{"name": ":authority", "value": "API.Example.com:8443"},
               {"name": ":scheme", "value": "https"}]
    (flow,) = read_all(write_har(tmp_path, [entry(url="/v1/t", headers=headers)]))
    assert (flow.host, flow.server_port, flow.request_headers) == ("api.example.com", 8443, ())


@pytest.mark.parametrize(
    ("started", "epoch"),
    [(TS, TS_EPOCH), ("2024-05-01T12:00:00", TS_EPOCH), ("2024-05-01T14:00:00+02:00", TS_EPOCH),
     ("2024-05-01T05:00:00.000-07:00", TS_EPOCH), ("not a date", 0.0)],
)
def test_started_date_time(tmp_path: Path, started: str, epoch: float) -> None:
    item = entry()
    item["startedDateTime"] = started
    (flow,) = read_all(write_har(tmp_path, [item]))
    assert flow.ts == epoch


@pytest.mark.parametrize(
    ("address", "expected"),
    [("[2001:db8::1]", "2001:db8::1"), ("2001:db8::1", "2001:db8::1"), ("", None),
     ("10.0.0.1", "10.0.0.1"), ("example.com", None)],
)
def test_server_ip(tmp_path: Path, address: str, expected: str | None) -> None:
    item = entry()
    item["serverIPAddress"] = address
    (flow,) = read_all(write_har(tmp_path, [item]))
    assert flow.server_ip == expected


def test_bytes_out(tmp_path: Path) -> None:
    sized = entry(headersSize=100, bodySize=5, postData={"text": "hello"})
    unknown = entry(headersSize=-1, bodySize=-1, postData={"text": "hello"})
    flows = read_all(write_har(tmp_path, [sized, unknown]))
    assert [f.bytes_out for f in flows] == [105, 5]


def test_malformed_entries_are_skipped(tmp_path: Path) -> None:
    entries = [entry(), 7, {"request": {}}, {"request": {"url": 3}}, {"request": "x"},
               {"nothing": 1}, entry(headers="nope", cookies={"a": 1}, postData=[1])]
    flows = read_all(write_har(tmp_path, entries))
    assert [f.flow_id for f in flows] == ["t:0", "t:6"]  # ids keep the entry's index


def test_huge_body_is_cut() -> None:
    text = "a" * (MAX_BODY + 10)
    flow = flow_from_entry(entry(postData={"text": text}), "x:0")
    assert len(flow.request_body) == MAX_BODY
    assert flow.notes == ("body-truncated",)


def test_gzip_har_is_sniffed_not_guessed(tmp_path: Path) -> None:
    plain = write_har(tmp_path, [entry(), entry()])
    packed = tmp_path / "capture.json"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert len(read_all(packed)) == 2
    zlibbed = tmp_path / "capture.zhar"
    zlibbed.write_bytes(zlib.compress(plain.read_bytes()))
    assert len(read_all(zlibbed)) == 2


def test_concatenated_gzip_members(tmp_path: Path) -> None:
    data = write_har(tmp_path, [entry(), entry(), entry()]).read_bytes()
    packed = tmp_path / "multi.har"
    packed.write_bytes(gzip.compress(data[:50]) + gzip.compress(data[50:]))
    assert len(read_all(packed)) == 3


def test_empty_entries_is_a_har_with_no_flows(tmp_path: Path) -> None:
    assert read_all(write_har(tmp_path, [])) == []


def test_truncated_json_yields_entries_then_raises(tmp_path: Path) -> None:
    whole = write_har(tmp_path, [entry(), entry(), entry()]).read_text()
    cut = tmp_path / "cut.har"
    cut.write_text(whole[: whole.rindex('{"startedDateTime"') + 30])
    reader = read_har(cut)
    assert [f.flow_id for f in (next(reader), next(reader))] == ["cut:0", "cut:1"]
    with pytest.raises(ReadError, match="truncated JSON after 2 entries"):
        next(reader)


def test_truncated_gzip_yields_entries_then_raises(tmp_path: Path) -> None:
    varied = [entry(url=f"https://h{i}.example/{hashlib.sha256(bytes(i)).hexdigest()}")
              for i in range(200)]  # incompressible enough that half the file inflates
    data = gzip.compress(write_har(tmp_path, varied).read_bytes())
    cut = tmp_path / "cut.har.gz"
    cut.write_bytes(data[: len(data) // 2])
    flows: list[Flow] = []
    with pytest.raises(ReadError, match="truncated JSON after") as info:
        flows.extend(read_har(cut))
    assert flows
    assert info.value.reason == f"truncated JSON after {len(flows)} entries"


def test_lone_surrogate_escapes_are_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Python's json (mitmproxy's HAR export of a body that is not UTF-8) writes the
    # surrogate-escaped bytes as \udcXX: yajl refuses them (read_har raised
    # UnicodeDecodeError, later ReadError at that entry). The Python parser reads them,
    # from that entry on, and the body gets its bytes back.
    body = b"\x08\x96\x01imei=490154203237518"
    path = write_har(tmp_path, [entry(), entry(postData={"text": body.decode(
        "utf-8", "surrogateescape")}), *(entry(url=f"https://h{i}.example/") for i in range(3))])
    assert "\\udc96" in path.read_text()
    with caplog.at_level("INFO"):
        flows = list(read_har(path))
    assert [f.flow_id for f in flows] == [f"t:{i}" for i in range(5)]
    assert flows[1].request_body == body
    assert [f.host for f in flows[2:]] == [f"h{i}.example" for i in range(3)]
    assert "Python parser" in caplog.text and "490154203237518" not in caplog.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, world", "not a HAR file"),
        (b"", "not a HAR file"),
        (b"[1, 2]", "not a HAR file"),
        (b'{"foo": {"entries": []}}', "JSON without log.entries"),
        (b'{"log": {"entries": 5}}', "log.entries is not a list"),
        (b'{"log": {"entries": [], "x": }}', "not a HAR file: invalid JSON"),
        (b'{"log": {"entries": []}} trailing', "not a HAR file: invalid JSON"),
        (b'{"log": {"entries": ["\xff"]}}', "not a HAR file: invalid JSON"),
        (b"\x1f\x8bnot gzip at all", "corrupt compressed data"),
    ],
)
def test_not_a_har(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.har"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=reason) as info:
        read_all(path)
    assert info.value.path == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file or directory"):
        read_all(tmp_path / "absent.har")


def test_error_reason_does_not_quote_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_bytes(b'{"log": {"entries": [{"secret": "jane.doe@example.org" ]}}')
    with pytest.raises(ReadError) as info:
        read_all(path)
    assert "jane.doe" not in str(info.value)


def test_binary_websocket_messages_are_base64(tmp_path: Path) -> None:
    item = entry()
    item["_webSocketMessages"] = [
        {"type": "send", "time": 1.5, "opcode": 2, "data": base64.b64encode(b"\x00\x01").decode()},
        {"type": "receive", "time": 2.0, "opcode": 1, "data": "hi"},
        {"type": "send", "opcode": 1},  # no data: dropped
    ]
    (flow,) = read_all(write_har(tmp_path, [item]))
    assert flow.kind == "websocket"
    assert [(m.from_client, m.content, m.ts, m.is_text) for m in flow.messages] == [
        (True, b"\x00\x01", 1.5, False), (False, b"hi", 2.0, True)]
