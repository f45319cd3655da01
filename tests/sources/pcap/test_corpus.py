"""Every real capture of the corpus reads; the named ones give what the issue asks for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trafficscope.decoding.fields import extract_fields
from trafficscope.detection import Scanner
from trafficscope.errors import ReadError
from trafficscope.model import Flow
from trafficscope.sources import iter_flows


def _read_all(path: Path) -> tuple[list[Flow], ReadError | None]:
    flows: list[Flow] = []
    try:
        flows.extend(iter_flows(path))
    except ReadError as e:
        return flows, e
    return flows, None


def test_every_corpus_capture_reads(corpus_dir: Path) -> None:
    files = sorted((corpus_dir / "pcap").iterdir())
    assert len(files) >= 11
    for path in files:
        flows, error = _read_all(path)
        assert flows, path.name
        if error is not None:  # damaged: the message names the file and the reason
            assert str(error).startswith(str(path)) and error.reason, path.name
        assert all(f.source == "pcap" and f.host for f in flows), path.name
        assert len({f.flow_id for f in flows}) == len(flows)


def test_split_user_agent_yields_the_whole_header(corpus_dir: Path) -> None:
    flows, error = _read_all(corpus_dir / "pcap" / "ndpi__http_ua_splitted_in_two_pkts.pcapng")
    assert error is None
    agents = {f.header("user-agent") for f in flows if f.kind == "http"}
    assert agents == {
        "Mozilla/5.0 (Linux; Android 6.0.1; SM-T805 Build/MMB29K; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/61.0.3163.98 Safari/537.36"}


def test_80211_capture_yields_its_form_post(corpus_dir: Path) -> None:
    flows, _ = _read_all(corpus_dir / "pcap" / "arkime__80211http.pcap")
    posts = [f for f in flows if f.method == "POST"]
    assert next((f.url, f.request_body) for f in posts) == (
        "http://qq.com/post.php", b"Username=Q&Passwd=B&Section=A")
    assert all(f.header("content-type") == "application/x-www-form-urlencoded" for f in posts)


def test_gtp_capture_yields_the_inner_flows(corpus_dir: Path) -> None:
    flows, _ = _read_all(corpus_dir / "pcap" / "arkime__gtp-iphone.pcap")
    kinds = Counter(f.kind for f in flows)
    assert kinds["dns"] >= 1 and kinds["tcp"] + kinds["udp"] >= 4
    # The inner addresses (the phone's IPv6 and its SIP server), not the tunnel's.
    assert "sentitlement.mobile.att.net" in {f.host for f in flows}
    assert {f.server_port for f in flows} >= {53, 5060}
    assert all(f.server_port != 2152 for f in flows)


def test_android_capture_names_tls_servers_and_dhcp(corpus_dir: Path) -> None:
    flows, _ = _read_all(corpus_dir / "pcap" / "ndpi__android.pcap")
    tls = [f for f in flows if f.kind == "tls"]
    assert tls and all("tls-no-keys" in f.notes for f in tls)
    assert sum(1 for f in tls if f.request_headers and f.request_headers[0][0] == "sni") >= 5
    assert any(f.kind == "dhcp" and dict(f.request_headers).get("hostname") for f in flows)


def test_gtp_capture_leaks_the_imsi_in_sip_register(corpus_dir: Path) -> None:
    # The phone registers with its IMS private identity, <IMSI>@ims.mnc410.mcc310.
    # 3gppnetwork.org: that is its IMSI, not an email address.
    flows, _ = _read_all(corpus_dir / "pcap" / "arkime__gtp-iphone.pcap")
    scanner = Scanner(None)
    found = {(d.pii_type, d.value) for f in flows for d in scanner.scan(list(extract_fields(f)))
             if d.confidence >= 0.5}
    assert ("IMSI", "310410010001002") in found
    assert not any(t == "EMAIL" and v.endswith("3gppnetwork.org") for t, v in found)


def test_dhcp_gives_the_device_names(corpus_dir: Path) -> None:
    scanner = Scanner(None)
    for name, expected in (("ndpi__iphone.pcap", {"Lucas-iPhone", "Lucas-iMac"}),
                           ("ndpi__wechat.pcap", {"iPhonediMonica"})):
        flows, _ = _read_all(corpus_dir / "pcap" / name)
        found = {d.value for f in flows if f.kind == "dhcp"
                 for d in scanner.scan(list(extract_fields(f))) if d.pii_type == "DEVICE_NAME"}
        assert found == expected, name


def test_mdns_gives_the_names_a_mac_announces(corpus_dir: Path) -> None:
    flows, _ = _read_all(corpus_dir / "pcap" / "ndpi__iphone.pcap")
    mdns = [f for f in flows if f.kind == "mdns"]
    assert mdns and all(f.host == "mdns" and "multicast" in f.notes for f in mdns)
    scanner = Scanner(None)
    found = {(d.pii_type, d.value, d.field.location) for f in mdns
             for d in scanner.scan(list(extract_fields(f)))}
    assert found == {("DEVICE_NAME", "Luca’s iMac", "mdns"), ("DEVICE_NAME", "Lucas-iMac", "mdns"),
                     ("MAC", "c4:2c:03:06:49:fe", "mdns")}
