"""read_flow_file and flow_from_mitmproxy, on mitmproxy's own fixtures (formats 7..19)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from mitmproxy import io as mio
from mitmproxy.test import tflow

from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources.mitmflow import decode_fields, flow_from_mitmproxy, read_flow_file

pytestmark = pytest.mark.mitmproxy

GZIP_PROTOBUF_FLOW = "f9e3b0e5-2089-46a5-abf6-6b1484086d7b"


def read_all(path: Path) -> list[Flow]:
    return list(read_flow_file(path))


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("dumpfile-7.mitm", ["http", "http"]),
        ("dumpfile-10.mitm", ["http"]),
        ("dumpfile-011.mitm", ["http"]),
        ("dumpfile-018.mitm", ["http"]),
        ("dumpfile-019.mitm", ["http"]),
        ("dumpfile-19.mitm", ["http"]),
        ("flows__diff_data.mitm", ["http"] * 4 + ["tcp", "tcp", "http"]),
        ("flows__websocket.mitm", ["websocket"] * 3),
    ],
)
def test_corpus_flow_files(corpus_dir: Path, name: str, kinds: list[str]) -> None:
    path = corpus_dir / "mitmproxy" / name
    flows = read_all(path)
    assert [f.kind for f in flows] == kinds
    assert all(f.source == "mitm" and f.input_file == str(path) for f in flows)


def test_too_old_format_is_refused_clearly(corpus_dir: Path) -> None:
    path = corpus_dir / "mitmproxy" / "dumpfile-010.mitm"
    with pytest.raises(ReadError, match=r"flow file format too old: .*version \(0, 10\)") as info:
        read_all(path)
    assert info.value.path == str(path)
    assert "\n" not in str(info.value)


def test_http_fields(corpus_dir: Path) -> None:
    (flow,) = read_all(corpus_dir / "mitmproxy" / "dumpfile-018.mitm")
    assert flow.flow_id == "55367415-10f5-4938-b69f-8a523394f947"
    assert (flow.method, flow.url, flow.host) == ("GET", "https://www.example.com/",
                                                  "www.example.com")
    assert (flow.server_ip, flow.server_port, flow.status) == ("93.184.216.34", 443, 200)
    assert flow.http_version == "HTTP/1.1"
    assert flow.header("host") == "www.example.com"
    assert flow.ts > 1.4e9


def test_server_ip_is_never_a_name(corpus_dir: Path) -> None:
    (flow,) = read_all(corpus_dir / "mitmproxy" / "dumpfile-011.mitm")  # no peername
    assert (flow.server_ip, flow.server_port, flow.host) == (None, 443, "example.com")


def test_gzip_protobuf_body_stays_content_encoded(corpus_dir: Path) -> None:
    flows = {f.flow_id: f for f in read_all(corpus_dir / "mitmproxy" / "flows__diff_data.mitm")}
    flow = flows[GZIP_PROTOBUF_FLOW]
    assert flow.header("content-encoding") == "gzip"
    assert flow.request_body.startswith(b"\x1f\x8b")
    assert b"@gmail.com" in gzip.decompress(flow.request_body)


def test_tcp_flows_keep_their_messages(corpus_dir: Path) -> None:
    flows = read_all(corpus_dir / "mitmproxy" / "flows__diff_data.mitm")
    tcp = [f for f in flows if f.kind == "tcp"]
    assert tcp[0].host == "mtalk.google.com" and tcp[0].server_port == 5228
    assert tcp[0].messages[0].from_client and not tcp[0].messages[1].from_client
    assert tcp[0].bytes_out == sum(len(m.content) for m in tcp[0].messages if m.from_client)


@pytest.mark.parametrize("name", ["flows__websocket.mitm", "dumpfile-7-websocket.mitm"])
def test_websocket_messages(corpus_dir: Path, name: str) -> None:
    flows = read_all(corpus_dir / "mitmproxy" / name)
    ws = [f for f in flows if f.kind == "websocket"]
    assert ws
    for flow in ws:
        assert flow.messages
        assert all(isinstance(m.content, bytes) and m.ts for m in flow.messages)


def test_websocket_directions(corpus_dir: Path) -> None:
    flows = read_all(corpus_dir / "mitmproxy" / "flows__websocket.mitm")
    last = flows[2].messages
    assert [m.from_client for m in last] == [False, True, True]
    assert [m.content for m in last[1:]] == [b"foo", b"bar"]
    assert all(m.is_text for m in last)


def test_flows_before_garbage_are_yielded(tmp_path: Path) -> None:
    path = tmp_path / "f.mitm"
    with path.open("wb") as f:
        writer = mio.FlowWriter(f)
        writer.add(tflow.tflow(resp=True))
        writer.add(tflow.tflow(resp=True))
        f.write(b"9999:trunc")
    reader = read_flow_file(path)
    assert [next(reader).kind, next(reader).kind] == ["http", "http"]
    with pytest.raises(ReadError, match="after 2 flows"):
        next(reader)


@pytest.mark.parametrize("content", [b"12:not a flow", b"garbage", b"{not json"])
def test_not_a_flow_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.mitm"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="not a flow file mitmproxy"):
        read_all(path)


def test_empty_flow_file_has_no_flows(tmp_path: Path) -> None:
    path = tmp_path / "empty.mitm"
    path.write_bytes(b"")
    assert read_all(path) == []


def test_missing_flow_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file or directory"):
        read_all(tmp_path / "absent.mitm")


@pytest.mark.parametrize(
    ("factory", "kind"),
    [(tflow.tflow, "http"), (tflow.twebsocketflow, "websocket"), (tflow.ttcpflow, "tcp"),
     (tflow.tudpflow, "udp"), (tflow.tdnsflow, "dns")],
)
def test_factories_convert(factory: object, kind: str) -> None:
    flow = flow_from_mitmproxy(factory(), source="proxy")  # type: ignore[operator]
    assert flow is not None
    assert (flow.kind, flow.source, flow.server_ip, flow.client_ip) == (
        kind, "proxy", "192.168.0.1", "127.0.0.1")


def test_dns_host_is_the_question() -> None:
    flow = flow_from_mitmproxy(tflow.tdnsflow())
    assert flow is not None and flow.host == "dns.google"


def test_request_body_is_raw_content() -> None:
    mflow = tflow.tflow()
    mflow.request.headers["content-encoding"] = "gzip"
    mflow.request.raw_content = gzip.compress(b"imei=490154203237518")
    flow = flow_from_mitmproxy(mflow)
    assert flow is not None
    assert flow.request_body == mflow.request.raw_content


def test_decode_fields_survives_odd_bytes() -> None:
    assert decode_fields([(b"X-A", b"caf\xe9"), (b"X-B", "é".encode())]) == (
        ("X-A", "caf\udce9"), ("X-B", "é"))
