"""`--keylog`: a capture recorded here (curl over TLS to a local HTTPS server, tcpdump on
127.0.0.1) is decrypted with the key log curl wrote, for HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trafficscope.errors import ReadError
from trafficscope.sources import iter_flows

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("tshark", "tcpdump", "curl")) or os.geteuid() != 0,
    reason="needs tshark, tcpdump, curl and root to capture on lo (make test installs them)")

IMEI = "490154203237518"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.fixtures.https_capture import record

    folder = tmp_path_factory.mktemp("tls")
    return record(folder, [
        ("--http1.1", f"/v1/track?imei={IMEI}", b'{"email":"jane@example.org"}'),
        ("--http2", "/v2/events", b'{"device":{"imei":"%s"}}' % IMEI.encode()),
    ])


@needs_tools
def test_without_keys_only_destinations(recorded: tuple[Path, Path]) -> None:
    pcap, _ = recorded
    flows = list(iter_flows(pcap))
    assert {f.kind for f in flows} == {"tls"}
    assert all(f.host == "api.keylog-test.example" and "tls-no-keys" in f.notes for f in flows)
    assert not any(IMEI.encode() in m.content for f in flows for m in f.messages)


@needs_tools
def test_keylog_decrypts_http1_and_http2(recorded: tuple[Path, Path]) -> None:
    pcap, keys = recorded
    http = [f for f in iter_flows(pcap, keylog=keys) if f.kind == "http"]
    got = {(f.http_version, f.method, f.url.split(":", 2)[2].split("/", 1)[1], f.request_body)
           for f in http if f.url}
    assert got == {
        ("HTTP/1.1", "POST", f"v1/track?imei={IMEI}", b'{"email":"jane@example.org"}'),
        ("HTTP/2", "POST", "v2/events", b'{"device":{"imei":"%s"}}' % IMEI.encode()),
    }
    assert all(f.host == "api.keylog-test.example" and "tls-decrypted" in f.notes for f in http)


@needs_tools
def test_cli_keylog_finds_values_inside_tls(recorded: tuple[Path, Path], tmp_path: Path) -> None:
    pcap, keys = recorded
    (tmp_path / "p.toml").write_text(f'[device]\nimei = "{IMEI}"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "trafficscope", "analyze", str(pcap), "--keylog", str(keys),
         "--profile", str(tmp_path / "p.toml"), "--db", str(tmp_path / "t.db"), "--jsonl", "-"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = {(r["pii_type"], r["location"]) for r in map(json.loads, proc.stdout.splitlines())}
    assert {("IMEI", "query"), ("IMEI", "body")} <= found


def test_missing_tshark_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trafficscope.sources.pcap import keylog

    monkeypatch.setattr(keylog.shutil, "which", lambda name: None)
    keys = tmp_path / "keys.log"
    keys.write_text("")
    with pytest.raises(ReadError, match=r"c\.pcap: --keylog needs tshark"):
        list(keylog.read_decrypted(tmp_path / "c.pcap", keys))
