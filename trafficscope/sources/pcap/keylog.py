"""TLS decryption with a key log (SSLKEYLOGFILE format), done by tshark.

`read_decrypted(capture, keylog)` runs `tshark -o tls.keylog_file:KEYLOG` over
the capture and yields one `http` flow per decrypted request, HTTP/1.1 and
HTTP/2 (headers, body, server address), noted `tls-decrypted`. tshark is an
optional system dependency (Debian: `apt-get install tshark`); without it a
`ReadError` says so. Its output is read line by line (`-T ek`), so memory
holds only the HTTP/2 streams still open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trafficscope.errors import ReadError
from trafficscope.model import Flow

FIELDS = (
    "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
    "tcp.dstport", "tcp.stream", "http.request.method", "http.request.uri",
    "http.request.version", "http.request.line", "http.file_data", "http2.streamid",
    "http2.type", "http2.header.name", "http2.header.value", "http2.data.data",
)
NO_TSHARK = ("--keylog needs tshark (Wireshark's command-line tool) to decrypt TLS; "
             "install it (Debian/Ubuntu: apt-get install tshark) or leave out --keylog")


def tshark_command(capture: str, keylog: str) -> list[str]:
    tshark = shutil.which("tshark")
    if tshark is None:
        raise ReadError(capture, NO_TSHARK)
    cmd = [tshark, "-n", "-r", capture, "-o", f"tls.keylog_file:{keylog}",
           "-Y", "http.request or http2", "-T", "ek"]
    for name in FIELDS:
        cmd += ["-e", name]
    return cmd


def read_decrypted(capture: str | os.PathLike[str], keylog: str | os.PathLike[str],
                   ) -> Iterator[Flow]:
    capture, keylog = os.fspath(capture), os.fspath(keylog)
    if not os.path.isfile(keylog):
        raise ReadError(keylog, "key log file not found")
    proc = subprocess.Popen(tshark_command(capture, keylog), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    h2 = _H2Streams(capture)
    n = 0
    try:
        for line in proc.stdout:
            if not line.startswith('{"timestamp"'):
                continue
            layers = json.loads(line).get("layers", {})
            for flow in _http1(layers, capture) + h2.packet(layers):
                n += 1
                yield _with_id(flow, f"{os.path.basename(capture)}:tls:{n}", capture)
        for flow in h2.flush():
            n += 1
            yield _with_id(flow, f"{os.path.basename(capture)}:tls:{n}", capture)
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait()
    if code != 0:
        lines = [x for x in err.splitlines() if x.strip() and "as user" not in x]
        raise ReadError(capture, "tshark failed: " + (lines[-1] if lines else f"exit {code}"))


def _with_id(flow: Flow, flow_id: str, capture: str) -> Flow:
    return replace(flow, flow_id=flow_id, input_file=capture)


def _one(layers: dict[str, Any], name: str) -> str | None:
    values = layers.get(name.replace(".", "_"))
    return values[0] if values else None


def _addresses(layers: dict[str, Any]) -> tuple[str | None, str | None, int | None]:
    src = _one(layers, "ip.src") or _one(layers, "ipv6.src")
    dst = _one(layers, "ip.dst") or _one(layers, "ipv6.dst")
    port = _one(layers, "tcp.dstport")
    return src, dst, int(port) if port else None


def _http1(layers: dict[str, Any], capture: str) -> list[Flow]:
    method = _one(layers, "http.request.method")
    if not method:
        return []
    headers = []
    for line in layers.get("http_request_line", []):
        name, _, value = line.rstrip("\r\n").partition(":")
        headers.append((name.strip(), value.strip()))
    host = next((v for k, v in headers if k.lower() == "host"), "")
    target = _one(layers, "http.request.uri") or "/"
    src, dst, port = _addresses(layers)
    body = (_one(layers, "http.file_data") or "").encode("utf-8", "surrogateescape")
    ts = float(_one(layers, "frame.time_epoch") or 0)
    return [Flow(
        flow_id="", ts=ts, source="pcap", kind="http", host=host.rsplit(":", 1)[0] or dst or "",
        method=method, url=f"https://{host or dst}{target}" if target.startswith("/") else target,
        http_version=_one(layers, "http.request.version"), request_headers=tuple(headers),
        request_body=body, server_ip=dst, server_port=port, client_ip=src,
        bytes_out=len(body), ts_end=ts, notes=("tls-decrypted",))]


class _H2Streams:
    """HTTP/2 requests being put together: HEADERS with `:method`, then the client's DATA."""

    def __init__(self, capture: str) -> None:
        self.capture = capture
        self.open: dict[tuple[str, str, str], dict[str, Any]] = {}

    def packet(self, layers: dict[str, Any]) -> list[Flow]:
        types = layers.get("http2_type", [])
        ids = layers.get("http2_streamid", [])
        names = list(layers.get("http2_header_name", []))
        values = list(layers.get("http2_header_value", []))
        datas = list(layers.get("http2_data_data", []))
        src, dst, port = _addresses(layers)
        conn = _one(layers, "tcp.stream") or ""
        sender = f"{src}:{_one(layers, 'tcp.srcport')}"  # the client's end, for its DATA
        ts = float(_one(layers, "frame.time_epoch") or 0)
        done: list[Flow] = []
        for ftype, sid in zip(types, ids, strict=False):
            if ftype == "1" and names:  # HEADERS: its fields run to the next pseudo-header block
                end = next((i for i in range(1, len(names)) if names[i].startswith(":")
                            and not names[i - 1].startswith(":")), len(names))
                block = list(zip(names[:end], values[:end], strict=False))
                del names[:end], values[:end]
                if any(k == ":method" for k, _ in block):
                    self.open[(conn, sid, sender)] = {
                        "headers": block, "body": bytearray(), "ts": ts, "dst": dst,
                        "port": port, "src": src}
            elif ftype == "0" and datas:
                data = datas.pop(0)
                req = self.open.get((conn, sid, sender))
                if req is not None and len(req["body"]) < 1 << 20:
                    req["body"] += bytes.fromhex(data.replace(":", ""))
        return done

    def flush(self) -> list[Flow]:
        flows = [self._flow(req) for req in self.open.values()]
        self.open.clear()
        return flows

    @staticmethod
    def _flow(req: dict[str, Any]) -> Flow:
        pseudo = {k: v for k, v in req["headers"] if k.startswith(":")}
        headers = tuple((k, v) for k, v in req["headers"] if not k.startswith(":"))
        authority = pseudo.get(":authority", req["dst"] or "")
        url = f"{pseudo.get(':scheme', 'https')}://{authority}{pseudo.get(':path', '/')}"
        return Flow(
            flow_id="", ts=req["ts"], source="pcap", kind="http",
            host=authority.rsplit(":", 1)[0] if not authority.startswith("[") else authority,
            method=pseudo.get(":method"), url=url, http_version="HTTP/2",
            request_headers=(("host", authority), *headers), request_body=bytes(req["body"]),
            server_ip=req["dst"], server_port=req["port"], client_ip=req["src"],
            bytes_out=len(req["body"]), ts_end=req["ts"], notes=("tls-decrypted",))
