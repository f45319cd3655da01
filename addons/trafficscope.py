"""trafficscope as a mitmproxy addon: `mitmdump -s addons/trafficscope.py`.

Each finished flow is converted (trafficscope.sources.mitmflow) and handed to
a worker process (trafficscope.live) that stores it and its findings in the
session store and prints one line per leak; the proxy itself does ~0.05 ms of
work per request. With `trafficscope_substitute`, the phone's profile values
in each request are replaced by consistent fakes before the request leaves;
the stored flow and findings are what the app sent, and each substitution is
recorded. Works with mitmdump and mitmweb, mitmproxy 11 and 12.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from mitmproxy import command, ctx, exceptions, http
from mitmproxy.addonmanager import Loader

# mitmproxy puts this file's folder first on sys.path, where this file would
# shadow the trafficscope package: look the package up without that folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

from trafficscope.errors import ReadError  # noqa: E402
from trafficscope.live import send, start_worker, stop_worker  # noqa: E402
from trafficscope.model import Flow  # noqa: E402
from trafficscope.profile import Profile, load_profile  # noqa: E402
from trafficscope.proxy import (  # noqa: E402
    parse_client_apps,
    print_wireguard_qr,
    resolve_session,
)
from trafficscope.sources.mitmflow import flow_from_mitmproxy  # noqa: E402
from trafficscope.store import Store  # noqa: E402
from trafficscope.substitute import Substituter, substitute_request  # noqa: E402

log = logging.getLogger(__name__)

SENT = "trafficscope.sent"  # flow.metadata: stored already
MAX_PENDING = 10_000  # requests substituted and not finished yet, kept as the app sent them
OPTIONS = ("trafficscope_db", "trafficscope_profile", "trafficscope_app",
           "trafficscope_session", "trafficscope_first_party", "trafficscope_substitute",
           "trafficscope_live", "trafficscope_client_apps")


class TrafficScope:
    def __init__(self) -> None:
        self.worker: subprocess.Popen[bytes] | None = None
        self.substituter: Substituter | None = None
        self.session: str | None = None
        self.client_apps: dict[int, str] = {}
        self.originals: dict[str, Flow] = {}  # flow id -> the request as the app sent it

    def load(self, loader: Loader) -> None:
        loader.add_option("trafficscope_db", str, "trafficscope.db",
                          "Session store (SQLite) for flows, findings and marks.")
        loader.add_option("trafficscope_profile", str | None, None,
                          "TOML profile of the test phone (its IMEI, ad id, email, ...).")
        loader.add_option("trafficscope_app", str | None, None,
                          "App id of all traffic; otherwise inferred per flow.")
        loader.add_option("trafficscope_session", str | None, None,
                          "Continue this session id ('latest': the latest proxy "
                          "session); default: a new session.")
        loader.add_option("trafficscope_first_party", Sequence[str], [],
                          "Domains run by the app's own organisation.")
        loader.add_option("trafficscope_substitute", bool, False,
                          "Replace profile values in requests by consistent fakes.")
        loader.add_option("trafficscope_live", bool, True,
                          "Print each leak as one line on stdout.")
        loader.add_option("trafficscope_client_apps", Sequence[str], [],
                          "PORT=APP: flows through the proxy server on PORT (e.g. a "
                          "WireGuard tunnel limited to one app) belong to APP.")

    def configure(self, updated: set[str]) -> None:
        if not updated.intersection(OPTIONS):
            return
        o = ctx.options
        try:
            profile = load_profile(o.trafficscope_profile) if o.trafficscope_profile else None
            client_apps = parse_client_apps(o.trafficscope_client_apps)
            if o.trafficscope_substitute and not profile:
                raise exceptions.OptionsError("trafficscope: substitute needs a profile")
            with Store(o.trafficscope_db) as store:  # checked before any flow arrives
                session = resolve_session(store, o.trafficscope_session, app=o.trafficscope_app,
                                          profile=profile or Profile())
        except (ReadError, ValueError) as e:
            raise exceptions.OptionsError(f"trafficscope: {e}") from None
        self._stop_worker()
        self.session = session
        self.client_apps = {} if o.trafficscope_app else client_apps
        self.substituter = Substituter(profile, seed=session) if (
            o.trafficscope_substitute and profile) else None
        self.worker = start_worker(o.trafficscope_db, session, o.trafficscope_profile,
                                    o.trafficscope_app, o.trafficscope_first_party,
                                    o.trafficscope_live)
        log.info("trafficscope: session %s in %s", session, o.trafficscope_db)

    def running(self) -> None:
        proxyserver = ctx.master.addons.get("proxyserver")
        for server in getattr(proxyserver, "servers", ()):
            conf = server.client_conf() if hasattr(server, "client_conf") else None
            if conf:
                print_wireguard_qr(conf, sys.stdout)

    def request(self, flow: http.HTTPFlow) -> None:
        if self.substituter is None:
            return
        original = flow_from_mitmproxy(flow, "proxy")
        if original is not None:
            if len(self.originals) >= MAX_PENDING:  # never finished: forget the oldest
                del self.originals[next(iter(self.originals))]
            self.originals[flow.id] = original
        subs = substitute_request(flow.request, self.substituter)
        if subs:
            self._send(("subst", flow.id, flow.request.timestamp_start or time.time(),
                        tuple(subs)))

    def response(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is None:  # WebSocket flows are stored when they end
            self._finished(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._finished(flow)

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        self._finished(flow)

    def done(self) -> None:
        self._stop_worker()

    @command.command("trafficscope.mark")
    def mark(self, name: str) -> None:
        """Mark a moment of the session, e.g. `trafficscope.mark consent`."""
        if not name.strip():
            raise exceptions.CommandError("trafficscope.mark needs a name, e.g. consent")
        self._send(("mark", name.strip(), time.time(), None))
        log.info("trafficscope: marked %s", name.strip())

    def _finished(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get(SENT):
            return
        flow.metadata[SENT] = True
        converted = flow_from_mitmproxy(flow, "proxy")
        original = self.originals.pop(flow.id, None)
        if converted is not None and original is not None:
            converted = replace(converted, url=original.url,
                                request_headers=original.request_headers,
                                request_body=original.request_body,
                                bytes_out=original.bytes_out)
        if converted is not None and self.client_apps:
            port = flow.client_conn.proxy_mode.listen_port(ctx.options.listen_port)
            if port in self.client_apps:
                converted = replace(converted, app=self.client_apps[port])
        if converted is not None:
            self._send(("flow", converted))

    def _send(self, message: tuple[object, ...]) -> None:
        if self.worker is None:
            return
        try:
            send(self.worker, message)
        except OSError as e:  # the worker died: say so once, keep proxying
            log.error("trafficscope: worker gone (%s); flows are no longer stored", e)
            self.worker = None

    def _stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            stop_worker(worker)


addons = [TrafficScope()]
