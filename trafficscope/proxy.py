"""`trafficscope proxy`: mitmdump with the addon, safe defaults, a phone's setup steps.

Pure helpers for the CLI and the addon: which session to write to, the
mitmdump command line, proxy credentials when listening beyond loopback, the
setup text and the WireGuard QR code. Nothing here imports mitmproxy.
"""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import __version__
from .profile import Profile
from .store import Store

DEFAULT_PORT = 8080
MODES = ("regular", "wireguard", "transparent", "upstream", "socks5", "reverse", "local")


def addon_path() -> Path:
    """addons/trafficscope.py beside the package (checkout) or inside it (wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "addons" / "trafficscope.py",
                      here / "_addons" / "trafficscope.py"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("addons/trafficscope.py not found next to the trafficscope package")


def mitmdump_path() -> str:
    """mitmdump of this interpreter's environment, else the one on PATH."""
    sibling = Path(sys.executable).with_name("mitmdump")
    if sibling.is_file():
        return str(sibling)
    found = shutil.which("mitmdump")
    if not found:
        raise FileNotFoundError("mitmdump not found: install mitmproxy")
    return found


def resolve_session(store: Store, wanted: str | None, *, app: str | None,
                    profile: Profile) -> str:
    """The session a proxy writes to: `wanted`, the latest proxy one ('latest'), or new."""
    if wanted == "latest":
        latest = store.latest_session_of("proxy")
        if latest:
            return latest
        wanted = None
    if wanted:
        return store.resolve_session(wanted)  # ReadError when it does not exist
    sid = store.new_session(source="proxy", app=app, profile_keys=profile.keys_used,
                            inputs=[], tool_version=__version__)
    store.commit()
    return sid


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_mode(mode: str) -> str:
    """A mitmproxy mode spec the proxy accepts (`upstream:URL` keeps its URL)."""
    name = mode.split(":", 1)[0].split("@", 1)[0]
    if name not in MODES:
        raise ValueError(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
    if name == "upstream" and ":" not in mode:
        raise ValueError("upstream mode needs a URL: --mode upstream:http://host:port")
    return mode


def random_credentials() -> str:
    return f"phone-{secrets.token_hex(2)}:{secrets.token_urlsafe(12)}"


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    modes: tuple[str, ...] = ()
    db: str = "trafficscope.db"
    profile: str | None = None
    app: str | None = None
    session: str | None = None
    substitute: bool = False
    proxyauth: str | None = None
    client_apps: tuple[str, ...] = ()  # PORT=APP
    sets: tuple[str, ...] = ()  # extra `--set KEY=VALUE` for mitmdump


def mitmdump_argv(cfg: ProxyConfig, mitmdump: str, addon: Path) -> list[str]:
    argv = [mitmdump, "-s", str(addon), "--listen-host", cfg.host, "--listen-port",
            str(cfg.port), "--set", "flow_detail=0", "--set", "termlog_verbosity=warn",
            "--set", f"trafficscope_db={cfg.db}"]
    for mode in cfg.modes:
        argv += ["--mode", mode]
    for name, value in (("profile", cfg.profile), ("app", cfg.app),
                        ("session", cfg.session)):
        if value:
            argv += ["--set", f"trafficscope_{name}={value}"]
    if cfg.substitute:
        argv += ["--set", "trafficscope_substitute=true"]
    if cfg.proxyauth:
        argv += ["--set", f"proxyauth={cfg.proxyauth}"]
    for item in cfg.client_apps:
        argv += ["--set", f"trafficscope_client_apps={item}"]
    for item in cfg.sets:
        argv += ["--set", item]
    return argv


def setup_steps(cfg: ProxyConfig) -> str:
    """What to do on the phone, for the modes given."""
    modes = cfg.modes or ("regular",)
    lines = [f"trafficscope proxy on {cfg.host}:{cfg.port} ({', '.join(modes)}); flows and "
             f"findings go to {cfg.db}", "", "On the test phone:"]
    n = 1
    if any(m.startswith("wireguard") for m in modes):
        lines.append(f"  {n}. Install the WireGuard app and add a tunnel by scanning the QR "
                     f"code printed below (server UDP port {cfg.port}).")
        n += 1
    if any(m.split(":")[0] in ("regular", "upstream") for m in modes):
        where = cfg.host if not is_loopback(cfg.host) else f"{cfg.host} (this computer only; "\
            f"for a USB phone: adb reverse tcp:{cfg.port} tcp:{cfg.port})"
        lines.append(f"  {n}. Wi-Fi settings > this network > proxy: manual, host {where}, "
                     f"port {cfg.port}.")
        n += 1
        if cfg.proxyauth:
            user, _, password = cfg.proxyauth.partition(":")
            lines.append(f"     Proxy login: user {user}  password {password}")
    if any(m.startswith("transparent") for m in modes):
        lines.append(f"  {n}. Route the phone's traffic to this computer and redirect ports "
                     f"80/443 to {cfg.port} (see mitmproxy's transparent-mode docs).")
        n += 1
    lines.append(f"  {n}. Open http://mitm.it in the phone's browser, install the certificate "
                 "(Android: Settings > Security > Install certificate; iOS: then enable full "
                 "trust in Settings > General > About > Certificate Trust Settings).")
    lines.append(f"  {n + 1}. Use the app. Each leak is printed below as it happens.")
    lines.append("")
    lines.append(f"Mark when consent is given: trafficscope mark consent --db {cfg.db}")
    return "\n".join(lines)


def print_wireguard_qr(conf: str, out: IO[str]) -> None:
    """The WireGuard client config as a terminal QR code, then as text."""
    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(conf)
    qr.make(fit=True)
    print("WireGuard client configuration (scan with the WireGuard app):", file=out)
    qr.print_ascii(out=out, invert=True)
    print(conf, file=out, flush=True)


def check_listen(host: str, no_auth: bool, proxyauth: str | None) -> str | None:
    """Proxy credentials to use: none on loopback, given or random beyond it."""
    if is_loopback(host) or no_auth:
        return proxyauth
    return proxyauth or random_credentials()


def parse_client_apps(items: Iterable[str]) -> dict[int, str]:
    """`PORT=APP` items -> {listen port: app id}; ValueError names a bad item.

    Flows arriving through the proxy server on that port belong to APP: e.g. one
    WireGuard tunnel per app (`--mode wireguard@51821`), the phone's WireGuard
    app restricting each tunnel to one application.
    """
    out: dict[int, str] = {}
    for item in items:
        port, sep, app = item.partition("=")
        if not sep or not port.strip().isdigit() or not app.strip():
            raise ValueError(f"not PORT=APP: {item!r}")
        out[int(port)] = app.strip()
    return out


def validate_db(db: str) -> None:
    """Open (or create) the store now, so a bad path is reported before mitmdump starts."""
    with Store(db):
        pass

