"""`trafficscope proxy` helpers and arguments: safe defaults, modes, setup steps."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trafficscope.proxy import (
    ProxyConfig,
    check_listen,
    check_mode,
    is_loopback,
    mitmdump_argv,
    print_wireguard_qr,
    setup_steps,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("proxy.lan", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_loopback_needs_auth_unless_no_auth() -> None:
    assert check_listen("127.0.0.1", False, None) is None
    creds = check_listen("0.0.0.0", False, None)
    assert creds and ":" in creds and len(creds.split(":")[1]) >= 12
    assert check_listen("0.0.0.0", False, None) != creds  # random each time
    assert check_listen("0.0.0.0", False, "me:secret") == "me:secret"
    assert check_listen("0.0.0.0", True, None) is None
    cfg = ProxyConfig(host="0.0.0.0", proxyauth=creds)
    argv = mitmdump_argv(cfg, "mitmdump", Path("a.py"))
    assert ["--set", f"proxyauth={creds}"] == argv[argv.index(f"proxyauth={creds}") - 1:][:2]
    assert creds.split(":")[1] in setup_steps(cfg)


def test_modes_pass_through() -> None:
    assert check_mode("wireguard") == "wireguard"
    assert check_mode("upstream:http://127.0.0.1:3128") == "upstream:http://127.0.0.1:3128"
    for bad in ("upstream", "bogus", "reguler"):
        with pytest.raises(ValueError):
            check_mode(bad)
    cfg = ProxyConfig(modes=("wireguard", "regular"), profile="p.toml", substitute=True)
    argv = mitmdump_argv(cfg, "mitmdump", Path("a.py"))
    assert argv[argv.index("--listen-host") + 1] == "127.0.0.1"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--mode"] == ["wireguard", "regular"]
    assert "trafficscope_substitute=true" in argv and "trafficscope_profile=p.toml" in argv
    steps = setup_steps(cfg)
    assert "WireGuard app" in steps and "mitm.it" in steps and "port 8080" in steps


def test_wireguard_qr_is_printed() -> None:
    out = io.StringIO()
    conf = "[Interface]\nPrivateKey = x\n[Peer]\nEndpoint = 127.0.0.1:51820"
    print_wireguard_qr(conf, out)
    text = out.getvalue()
    assert conf in text and text.count("\n") > 20 and "█" in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "trafficscope", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=60)


def test_cli_usage_and_input_errors(tmp_path: Path) -> None:
    done = _cli("proxy", "--mode", "bogus", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 2 and "unknown mode 'bogus'" in done.stderr
    done = _cli("proxy", "--substitute", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 2 and "--substitute needs --profile" in done.stderr
    done = _cli("proxy", "--profile", str(tmp_path / "none.toml"))
    assert done.returncode == 1 and "none.toml: no such file" in done.stderr
    done = _cli("mark", "consent", "--db", str(tmp_path / "none.db"))
    assert done.returncode == 1 and "none.db: no such database" in done.stderr


def test_cli_refuses_bad_ports() -> None:
    done = _cli("proxy", "--port", "70000")
    assert done.returncode == 2 and "not a port number" in done.stderr


def test_parse_client_apps() -> None:
    from trafficscope.proxy import parse_client_apps

    assert parse_client_apps(["51821=com.example.shop", " 8080 = com.other "]) == {
        51821: "com.example.shop", 8080: "com.other"}
    for bad in ("51821", "=com.x", "port=com.x", "51821="):
        with pytest.raises(ValueError, match="not PORT=APP"):
            parse_client_apps([bad])
    argv = mitmdump_argv(ProxyConfig(client_apps=("51821=com.x",)), "mitmdump", Path("a.py"))
    assert "trafficscope_client_apps=51821=com.x" in argv
