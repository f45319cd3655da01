"""Real parts for the live-capture tests: an upstream HTTP(S) server on loopback
that records what it receives, and `trafficscope proxy` / `mitmdump` processes."""

from __future__ import annotations

import datetime
import ipaddress
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROFILE = """
[device]
imei = "490154203237518"
ad_id = "38400000-8cf0-11bd-b23e-10b96e40000d"
wifi_mac = "02:1a:11:f0:c3:7e"
[owner]
email = "jane.doe.test@example.org"
phone = "+8613812345678"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Upstream:
    """A loopback server answering 200 to everything; `seen` holds raw requests."""

    port: int
    seen: list[bytes] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def seen_text(self) -> str:
        return b"\n".join(self.seen).decode("utf-8", "replace")


def _handler(up: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            up.seen.append(f"{self.command} {self.path}\n{self.headers}".encode() + body)
            reply = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "upstream.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "up-cert.pem", tmp / "up-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _serve(up: Upstream, tls: tuple[Path, Path] | None) -> Upstream:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(up))
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    up.port = server.server_address[1]
    up.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return up


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    up = _serve(Upstream(0), None)
    yield up
    assert up.server is not None
    up.server.shutdown()


@pytest.fixture
def upstream_tls(tmp_path: Path) -> Iterator[Upstream]:
    up = _serve(Upstream(0), _self_signed(tmp_path))
    yield up
    assert up.server is not None
    up.server.shutdown()


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    p = tmp_path / "phone.toml"
    p.write_text(PROFILE)
    return p


class ProxyProcess:
    """A running `trafficscope proxy` (or mitmdump) with its stdout collected."""

    def __init__(self, argv: list[str], port: int, confdir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.port, self.confdir = port, confdir
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env, cwd=confdir.parent)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_listening()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("proxy exited:\n" + "".join(self.output))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                if (self.confdir / "mitmproxy-ca-cert.pem").exists():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("proxy did not start:\n" + "".join(self.output))

    def wait_lines(self, pattern: str, n: int, timeout: float = 30) -> list[str]:
        """The first `n` output lines containing `pattern` (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            got = [line for line in self.output if pattern in line]
            if len(got) >= n:
                return got[:n]
            if time.monotonic() > deadline:
                raise AssertionError(f"{n} lines with {pattern!r} not seen:\n"
                                     + "".join(self.output))
            time.sleep(0.05)

    def children(self) -> list[int]:
        """Pids whose parent is the proxy (its trafficscope worker)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(stat.parent.name))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def proxy_argv(port: int, db: Path, confdir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "trafficscope", "proxy", "--port", str(port),
            "--db", str(db), "--set", f"confdir={confdir}", "--set", "ssl_insecure=true",
            *extra]


@pytest.fixture
def run_proxy(tmp_path: Path) -> Iterator[object]:
    started: list[ProxyProcess] = []

    def start(db: Path, *extra: str) -> ProxyProcess:
        port = free_port()
        confdir = tmp_path / "mitmconf"
        p = ProxyProcess(proxy_argv(port, db, confdir, *extra), port, confdir)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()

