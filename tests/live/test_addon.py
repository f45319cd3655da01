"""The addon's hooks, options and command inside mitmproxy's test context."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from mitmproxy import exceptions
from mitmproxy.proxy.mode_specs import ProxyMode
from mitmproxy.test import taddons, tflow

from trafficscope.store import Store

pytestmark = pytest.mark.mitmproxy

ADDON = Path(__file__).resolve().parents[2] / "addons" / "trafficscope.py"
IMEI = "490154203237518"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trafficscope_addon_under_test", ADDON)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    a = _module().TrafficScope()
    yield a
    a.done()


def test_bad_options_are_refused_in_configure(addon: Any, tmp_path: Path,
                                              profile_file: Path) -> None:
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match=r"trafficscope: .*nope\.toml: no such"):
            tctx.configure(addon, trafficscope_profile=str(tmp_path / "nope.toml"))
        with pytest.raises(exceptions.OptionsError, match="substitute needs a profile"):
            tctx.configure(addon, trafficscope_db=str(tmp_path / "a.db"),
                           trafficscope_substitute=True)
        with pytest.raises(exceptions.OptionsError, match="has no session 'x-1'"):
            tctx.configure(addon, trafficscope_db=str(tmp_path / "a.db"),
                           trafficscope_session="x-1")
        with pytest.raises(exceptions.OptionsError, match="not PORT=APP: '51820'"):
            tctx.configure(addon, trafficscope_db=str(tmp_path / "a.db"),
                           trafficscope_client_apps=["51820"])
        (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
        with pytest.raises(exceptions.OptionsError, match=r"junk\.db: not a trafficscope"):
            tctx.configure(addon, trafficscope_db=str(tmp_path / "junk.db"))


def test_flows_marks_and_substitution_through_the_hooks(addon: Any, tmp_path: Path,
                                                        profile_file: Path) -> None:
    db = tmp_path / "h.db"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, trafficscope_db=str(db), trafficscope_profile=str(profile_file),
                       trafficscope_app="com.example.shop", trafficscope_live=False,
                       trafficscope_substitute=True)
        f = tflow.tflow(resp=True)
        f.request.path = f"/collect?imei={IMEI}"
        addon.request(f)
        assert IMEI not in f.request.path  # replaced before it leaves
        addon.response(f)
        addon.response(f)  # a second hook call stores nothing twice
        tctx.command(addon.mark, "consent")
        with pytest.raises(exceptions.CommandError):
            tctx.command(addon.mark, " ")
        err = tflow.tflow(err=True)
        addon.error(err)
        ws = tflow.twebsocketflow()
        addon.response(ws)  # stored at websocket_end, not at the handshake
        addon.websocket_end(ws)
        session = addon.session
        addon.done()
    with Store(db, create=False) as store:
        flows = store.flows(session)
        assert sorted(flows["flow_id"]) == sorted([f.id, err.id, ws.id])
        found = list(store.iter_findings(session))
        assert [(x["pii_type"], x["location"], x["app"]) for x in found] == [
            ("IMEI", "query", "com.example.shop")]
        assert [name for _, name, _ in store.marks(session)] == ["consent"]
        subs = store.substitutions(session)
        assert [(s["pii_type"], s["location"], s["flow_id"]) for s in subs] == [
            ("IMEI", "query", f.id)]
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT source FROM sessions").fetchall() == [("proxy",)]


def test_app_per_proxy_server_port(addon: Any, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, trafficscope_db=str(db), trafficscope_live=False,
                       trafficscope_client_apps=["51821=com.example.shop", "8080=com.other"])
        flows = []
        for spec in ("wireguard@51821", "wireguard@51822", "regular"):
            f = tflow.tflow(resp=True)
            f.client_conn.proxy_mode = ProxyMode.parse(spec)
            f.request.headers["User-Agent"] = "com.from.useragent/1.0"
            addon.response(f)
            flows.append(f.id)
        session = addon.session
        addon.done()
    with Store(db, create=False) as store:
        apps = dict(zip(store.flows(session)["flow_id"], store.flows(session)["app"],
                        strict=True))
    # the tunnel's app; else what the flow shows (the worker infers it from the User-Agent)
    assert [apps[i] for i in flows] == ["com.example.shop", "com.from.useragent", "com.other"]


def test_session_latest_continues(addon: Any, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, trafficscope_db=str(db), trafficscope_live=False)
        first = addon.session
        tctx.configure(addon, trafficscope_session="latest")
        assert addon.session == first
        tctx.configure(addon, trafficscope_session=None)
        assert addon.session != first
